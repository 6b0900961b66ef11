#include "suspendguard.h"
#include "util/error.h"

#include <QByteArray>

#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

namespace ndb {

namespace {

// The guard's side. libdevmapper cannot be used after fork() in a multi-threaded process (locks,
// allocation), and a helper binary would have to be installed and found; the ioctls it needs
// (DM_DEV_STATUS to ask, DM_TABLE_CLEAR and DM_DEV_SUSPEND without DM_SUSPEND_FLAG to resume) are
// plain system calls on /dev/mapper/control, so the guard issues them itself.
struct DmGuard
{
    int controlFd = -1;
    dm_ioctl request {}; // version and name filled in by the parent
    long long limitMs = 0;
    long long suspendedSince = -1;
    bool fired = false;

    bool suspended() const
    {
        dm_ioctl io = request;
        return ::ioctl(controlFd, DM_DEV_STATUS, &io) == 0 && (io.flags & DM_SUSPEND_FLAG);
    }
    void resume() const
    {
        // lvcreate loads the origin's new table (snapshot-origin over a "-real" device that goes
        // live only in lvm's own resume) before it suspends; resuming with that table gives the
        // workload I/O errors (seen in the vm guest). Dropping the inactive table first resumes
        // the origin with the table it had, over the same data; an lvm still running loads its
        // table again when it resumes.
        dm_ioctl io = request;
        ::ioctl(controlFd, DM_TABLE_CLEAR, &io);
        io = request;
        io.flags = 0; // no DM_SUSPEND_FLAG: resume (and thaw what dm's lockfs froze)
        ::ioctl(controlFd, DM_DEV_SUSPEND, &io);
    }
    // Polls the suspended flag: lvm suspends and resumes the device by itself, possibly more than once.
    static long long tick(void *context, long long elapsedMs)
    {
        auto *g = static_cast<DmGuard *>(context);
        if (!g->suspended()) {
            g->suspendedSince = -1;
        } else if (g->suspendedSince < 0) {
            g->suspendedSince = elapsedMs;
        } else if (elapsedMs - g->suspendedSince > g->limitMs) {
            g->resume();
            g->fired = true;
            g->suspendedSince = -1;
        }
        return 50;
    }
    static bool release(void *context, bool ownerGone)
    {
        auto *g = static_cast<DmGuard *>(context);
        // The owner's lvcreate may be stuck (or killed) with the device suspended; nobody else
        // would resume it before the next engine start.
        if (ownerGone && g->suspended())
            g->resume();
        return g->fired;
    }
};

} // namespace

SuspendGuard::SuspendGuard(const QString &dmName, std::chrono::milliseconds limit)
{
    const QByteArray name = dmName.toUtf8();
    if (name.isEmpty() || name.size() >= DM_NAME_LEN)
        throw Error(QStringLiteral("cannot guard the suspend of '%1': not a device-mapper name").arg(dmName));
    DmGuard guard;
    guard.controlFd = ::open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
    if (guard.controlFd < 0)
        throw Error(QStringLiteral("cannot guard the suspend of %1: cannot open /dev/mapper/control: %2")
                        .arg(dmName, QString::fromLocal8Bit(strerror(errno))));
    guard.request.version[0] = DM_VERSION_MAJOR;
    guard.request.data_size = sizeof(dm_ioctl);
    guard.request.data_start = sizeof(dm_ioctl);
    std::memcpy(guard.request.name, name.constData(), size_t(name.size()));
    guard.limitMs = limit.count();
    GuardActions actions;
    actions.name = "ndb-dm-guard";
    actions.context = &guard;
    actions.keepFd = guard.controlFd;
    actions.tick = &DmGuard::tick;
    actions.release = &DmGuard::release;
    QString failure;
    const bool started = m_guard.start(actions, &failure);
    ::close(guard.controlFd);
    if (!started)
        throw Error(QStringLiteral("cannot guard the suspend of %1: %2").arg(dmName, failure));
}

bool SuspendGuard::stop()
{
    if (m_guard.running())
        m_withinLimit = m_guard.stop() != GuardProcess::Outcome::ReleasedByLimit;
    return m_withinLimit;
}

} // namespace ndb
