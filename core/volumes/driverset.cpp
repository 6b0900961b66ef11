#include "driverset.h"
#include "util/error.h"

namespace ndb {

DriverSet::DriverSet(const DriverSettings &settings, JobLog *log)
{
    for (const DriverKind &kind : driverKinds())
        for (const QString &location : settings.locations.value(kind.kind))
            m_drivers.push_back(kind.create(location, settings.options, log));
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
