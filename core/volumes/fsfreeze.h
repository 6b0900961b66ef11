#pragma once
// Filesystem freeze for the instant of a snapshot: FIFREEZE on the filesystem mounted from a
// block device, thawed by the destructor and, whatever happens, by a watchdog after a hard
// time limit, so no failure can leave the workload's filesystem frozen.
#include <QString>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace ndb {

class FilesystemFreeze
{
public:
    // Mount point of the filesystem whose source is block device `devicePath` (matched by
    // major:minor in /proc/self/mountinfo); empty when it is not mounted.
    static QString mountPointOf(const QString &devicePath);

    // Freezes the filesystem at `mountPoint`. Throws ndb::Error when FIFREEZE fails.
    FilesystemFreeze(const QString &mountPoint, std::chrono::milliseconds limit);
    ~FilesystemFreeze(); // thaws (unless the watchdog already did)
    FilesystemFreeze(const FilesystemFreeze &) = delete;
    FilesystemFreeze &operator=(const FilesystemFreeze &) = delete;

    // Thaws now; returns false when the watchdog had thawed it already (the limit was exceeded).
    bool thaw();
    QString mountPoint() const { return m_mountPoint; }

private:
    bool thawLocked();

    QString m_mountPoint;
    int m_fd = -1;
    bool m_frozen = false;
    bool m_thawedByWatchdog = false;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::thread m_watchdog;
};

} // namespace ndb
