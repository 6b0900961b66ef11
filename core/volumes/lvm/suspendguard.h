#pragma once
// Hard limit on how long lvm may keep a device-mapper device suspended (its filesystem frozen by
// dm's lockfs) while it takes a snapshot, held by a guard process (volumes/guardprocess.h) so that
// the limit outlives this process: the guard resumes the device once it has been suspended longer
// than the limit, and right away when this process dies while the device is suspended.
#include "volumes/guardprocess.h"

#include <QString>

#include <chrono>

namespace ndb {

class SuspendGuard
{
public:
    // Starts the guard for device-mapper device `dmName`. Throws ndb::Error when it cannot.
    SuspendGuard(const QString &dmName, std::chrono::milliseconds limit);
    // Ends the guard; returns false when it had to resume the device (the limit passed).
    bool stop();
    pid_t guardPid() const { return m_guard.pid(); }

private:
    GuardProcess m_guard;
    bool m_withinLimit = true;
};

} // namespace ndb
