#pragma once
// Drivers by kind. DriverSet builds the drivers of each kind from the settings' locations of that
// kind, so that a new driver is one new folder plus one line in driverregistry.cpp.
#include <QMap>
#include <QString>
#include <QStringList>
#include <QVariantMap>

#include <memory>
#include <vector>

namespace ndb {

class JobLog;
class VolumeDriver;

// What the drivers are built from; the engine fills it from its configuration.
struct DriverSettings
{
    // kind -> the storages of that kind to manage: image pool directories, LVM volume groups ...
    QMap<QString, QStringList> locations;
    // Options every driver may read, under the configuration's snake_case keys
    // (freeze_filesystems, freeze_limit_ms, lvm_snapshot_percent, pre_snapshot_hook ...).
    QVariantMap options;
};

struct DriverKind
{
    QString kind;
    // One driver for one location (a pool directory, a VG name); it logs to `log` (may be null).
    std::unique_ptr<VolumeDriver> (*create)(const QString &location, const QVariantMap &options, JobLog *log);
};

// Every known kind, in the order their volumes are listed.
const std::vector<DriverKind> &driverKinds();

} // namespace ndb
