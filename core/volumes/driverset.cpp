#include "driverset.h"
#include "util/error.h"
#include "volumes/image/imagedriver.h"
#include "volumes/lvm/lvmdriver.h"

namespace ndb {

DriverSet::DriverSet(const EngineConfig &config, JobLog *log)
{
    for (const QString &pool : config.imagePools)
        m_drivers.push_back(std::make_unique<ImageDriver>(pool, config.freezeFilesystems, config.freezeLimitMs, log));
    LvmOptions lvm;
    lvm.snapshotPercent = config.lvmSnapshotPercent;
    lvm.freezeFilesystems = config.freezeFilesystems;
    lvm.freezeLimitMs = config.freezeLimitMs;
    lvm.preSnapshotHook = config.preSnapshotHook;
    lvm.postSnapshotHook = config.postSnapshotHook;
    for (const QString &vg : config.lvmVolumeGroups)
        m_drivers.push_back(std::make_unique<LvmDriver>(vg, lvm, log));
}

DriverSet::~DriverSet() = default;

QList<VolumeDriver *> DriverSet::all() const
{
    QList<VolumeDriver *> out;
    for (const auto &d : m_drivers)
        out << d.get();
    return out;
}

VolumeDriver *DriverSet::byId(const QString &driverId) const
{
    for (const auto &d : m_drivers)
        if (d->id() == driverId)
            return d.get();
    return nullptr;
}

VolumeDriver &DriverSet::forVolume(const QString &volumeId) const
{
    const int slash = volumeId.lastIndexOf(QLatin1Char('/'));
    VolumeDriver *d = slash > 0 ? byId(volumeId.left(slash)) : nullptr;
    if (!d)
        throw NotFoundError(QStringLiteral("no configured storage holds volume '%1'").arg(volumeId));
    return *d;
}

QString DriverSet::volumeName(const QString &volumeId)
{
    return volumeId.mid(volumeId.lastIndexOf(QLatin1Char('/')) + 1);
}

QString DriverSet::volumeId(const QString &driverId, const QString &name)
{
    return driverId + QLatin1Char('/') + name;
}

} // namespace ndb
