#pragma once
// The backups and snapshots tables.
#include "model/backup.h"

#include <QList>
#include <optional>

namespace ndb {

class Catalog;

class BackupStore
{
public:
    explicit BackupStore(Catalog &catalog) : m_catalog(catalog) {}

    void insert(const Backup &backup); // stamps worker = this process
    std::optional<Backup> find(const QString &id) const;
    // Newest first; `includeDeleted` also lists rows of deleted backups (history).
    QList<Backup> list(const QString &volumeId = {}, bool includeDeleted = false) const;
    QList<Backup> withStatus(const QString &status) const;
    QString workerOf(const QString &id) const;

    // Status moves after the backup exists (restore, verify, cleanup): its timings stay as they are.
    void setStatus(const QString &id, const QString &status, const QString &failReason = {});
    // The end of the backup's own creation job when it failed or was cancelled (stamps finished_at).
    void markFailed(const QString &id, const QString &failReason, bool cancelled = false);
    void setConsistency(const QString &id, const QString &consistency);
    // Only when the row is in `expected`; returns false otherwise (someone else got there first).
    bool transition(const QString &id, const QString &expected, const QString &status);
    void setTempVolume(const QString &id, const QString &tempVolumeId);
    void setTempSnapshot(const QString &id, const QString &tempSnapshotId);
    void setDataPath(const QString &id, const QString &dataPath);
    void markAvailable(const QString &id, qint64 size, qint64 storedBytes);
    void markStarted(const QString &id);
    void markDeleted(const QString &id);

private:
    Catalog &m_catalog;
};

class SnapshotStore
{
public:
    explicit SnapshotStore(Catalog &catalog) : m_catalog(catalog) {}

    void insert(const Snapshot &snapshot);
    std::optional<Snapshot> find(const QString &id) const;
    void setStatus(const QString &id, const QString &status);
    void setProvider(const QString &id, const QString &providerId, const QString &providerLocation,
                     const QString &providerAuth);
    // Data path 4: the export's id and the connection properties (JSON, no secrets).
    void setExport(const QString &id, const QString &exportId);
    void setConnection(const QString &id, const QString &connection, const QString &providerAuth);
    void markDeleted(const QString &id);
    // Rows in `status` that are not deleted (e.g. 'error_deleting': a removal to retry).
    QList<Snapshot> withStatus(const QString &status) const;

private:
    Catalog &m_catalog;
};

} // namespace ndb
