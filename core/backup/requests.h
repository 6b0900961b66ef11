#pragma once
// What a front end asks the engine to do. Validated by BackupService before anything is created.
#include <QString>

namespace ndb {

struct BackupRequest
{
    QString volumeId;    // Volume::id
    QString container;   // empty = EngineConfig::defaultContainer
    QString name;
    QString description;
    bool force = false;  // required for in-use volumes
    qint64 bandwidthLimit = 0;           // bytes per second, 0 = unlimited
    QString ioPriority = QStringLiteral("idle"); // idle | best-effort | none
    // Refuse the backup when its copy would not be point-in-time (also when the setting is off).
    bool requirePointInTime = false;
};

struct RestoreRequest
{
    enum class Target { ExistingVolume, NewVolume, File };
    QString backupId;
    Target target = Target::File;
    QString volumeId;      // ExistingVolume: must be available and at least the backup's size
    QString driverId;      // NewVolume: driver to create it in
    QString newVolumeName; // NewVolume
    QString filePath;      // File: written with the backup's bytes (never inside storage, repository, catalog)
    bool overwrite = false; // File: an existing file is replaced only when this is set
    qint64 bandwidthLimit = 0;
};

} // namespace ndb
