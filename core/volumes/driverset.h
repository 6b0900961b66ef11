#pragma once
// The drivers one thread works with. Each job thread builds its own set from the engine's
// driver settings, so drivers never need to be shared between threads.
#include "volumes/driverregistry.h"
#include "volumes/volumedriver.h"

#include <memory>
#include <vector>

namespace ndb {

class JobLog;

class DriverSet
{
public:
    // The drivers write their commands and notes to `log` (the job's; null outside a job).
    explicit DriverSet(const DriverSettings &settings, JobLog *log = nullptr);
    ~DriverSet();

    QList<VolumeDriver *> all() const;
    VolumeDriver *byId(const QString &driverId) const; // nullptr when unknown
    // The driver of a volume id "<driver id>/<name>"; throws NotFoundError when there is none.
    VolumeDriver &forVolume(const QString &volumeId) const;
    static QString volumeName(const QString &volumeId);
    static QString volumeId(const QString &driverId, const QString &name);

private:
    std::vector<std::unique_ptr<VolumeDriver>> m_drivers;
};

} // namespace ndb
