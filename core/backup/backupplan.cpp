#include "backupplan.h"

#include "model/status.h"
#include "volumes/volumedriver.h"

namespace ndb {

bool BackupPlan::pointInTime() const
{
    return consistency != Consistency::NotPointInTime;
}

QString BackupPlan::refusal(const QString &volumeName) const
{
    if (pointInTime())
        return {};
    return QStringLiteral("Volume %1 is in use and its storage can neither snapshot it nor freeze a filesystem on it: "
                          "the copy would not be point-in-time, and copies that are not point-in-time are refused "
                          "(refuse_inconsistent_copies / --require-point-in-time). Mount its filesystem from the "
                          "volume so that it can be frozen, stop its writer, or move the pool to a filesystem with "
                          "reflink (btrfs, xfs) to back it up.").arg(volumeName);
}

QCoro::Task<BackupPlan> planBackup(VolumeDriver &driver, Volume volume)
{
    BackupPlan plan;
    const DriverCapabilities capabilities = driver.capabilities();
    if (capabilities.snapshotExport && !capabilities.snapshotLocalRead) {
        // Data path 4 (5 on another node): its volumes are never read in place, not even a
        // detached one, so every backup reads an exported temporary snapshot.
        plan.dataPath = DataPath::Export;
        const QString name = volume.name;
        plan.consistency = volume.status == VolumeStatus::InUse ? co_await driver.plannedCopyConsistency(name)
                                                                : Consistency::Detached;
        co_return plan;
    }
    if (volume.status != VolumeStatus::InUse) {
        plan.dataPath = DataPath::Volume;
        plan.consistency = Consistency::Detached;
        co_return plan;
    }
    plan.dataPath = driver.capabilities().snapshotLocalRead ? DataPath::Snapshot : DataPath::TempVolume;
    const QString name = volume.name; // a named local: GCC 12 destroys co_await argument temporaries twice
    plan.consistency = co_await driver.plannedCopyConsistency(name);
    co_return plan;
}

} // namespace ndb
