#pragma once
#include <QDateTime>
#include <QMetaType>
#include <QString>

namespace ndb {

// One row of the catalog's backups table; column names from the specification.
struct Backup
{
    QString id; // UUID
    QString volumeId;
    QString volumeName;
    QString name;
    QString description;
    QString container;
    QString status; // BackupStatus
    QString failReason;
    qint64 size = 0;        // bytes of the volume
    qint64 storedBytes = 0; // bytes this backup added to the container
    QString tempVolumeId;
    QString tempSnapshotId;
    QString parentId;
    QString dataPath; // "volume", "snapshot", "temp-volume", "export"
    QString consistency; // Consistency; "unknown" for backups older than the column
    // Cancelled by its user: status stays `error` (the specification's status set), shown as
    // "cancelled" and left out of the default backup lists.
    bool cancelled = false;
    QDateTime createdAt;
    QDateTime updatedAt;
    QDateTime startedAt;
    QDateTime finishedAt;
};

struct Snapshot
{
    QString id;
    QString volumeId;
    QString backupId;
    QString name;   // name on the storage, e.g. ndbackup-snap-<backup id>
    QString status; // creating, available, deleting, deleted, error
    QString providerId;
    QString providerLocation;
    QString providerAuth;
    QDateTime createdAt;
};

} // namespace ndb
Q_DECLARE_METATYPE(ndb::Backup)
