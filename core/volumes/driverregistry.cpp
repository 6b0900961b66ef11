#include "driverregistry.h"
#include "volumes/image/imagedriver.h"
#include "volumes/lvm/lvmdriver.h"
#include "volumes/remote/remotedriver.h"

namespace ndb {

namespace {

std::unique_ptr<VolumeDriver> createImageDriver(const QString &pool, const QVariantMap &options, JobLog *log)
{
    return std::make_unique<ImageDriver>(pool, options.value(QStringLiteral("freeze_filesystems"), true).toBool(),
                                         options.value(QStringLiteral("freeze_limit_ms"), 10000).toInt(), log);
}

std::unique_ptr<VolumeDriver> createLvmDriver(const QString &vg, const QVariantMap &options, JobLog *log)
{
    LvmOptions lvm;
    lvm.snapshotPercent = options.value(QStringLiteral("lvm_snapshot_percent"), lvm.snapshotPercent).toInt();
    lvm.freezeFilesystems = options.value(QStringLiteral("freeze_filesystems"), lvm.freezeFilesystems).toBool();
    lvm.freezeLimitMs = options.value(QStringLiteral("freeze_limit_ms"), lvm.freezeLimitMs).toInt();
    lvm.preSnapshotHook = options.value(QStringLiteral("pre_snapshot_hook")).toString();
    lvm.postSnapshotHook = options.value(QStringLiteral("post_snapshot_hook")).toString();
    return std::make_unique<LvmDriver>(vg, lvm, log);
}

std::unique_ptr<VolumeDriver> createRemoteDriver(const QString &agent, const QVariantMap &options, JobLog *log)
{
    return std::make_unique<RemoteDriver>(agent, options, log);
}

} // namespace

const std::vector<DriverKind> &driverKinds()
{
    static const std::vector<DriverKind> kinds = {
        {QStringLiteral("image"), &createImageDriver},
        {QStringLiteral("lvm"), &createLvmDriver},
        {QStringLiteral("remote"), &createRemoteDriver},
    };
    return kinds;
}

} // namespace ndb
