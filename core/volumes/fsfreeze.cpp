#include "fsfreeze.h"
#include "util/error.h"

#include <QFile>
#include <QFileInfo>
#include <QTextStream>

#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <ctime>

namespace ndb {

QString FilesystemFreeze::mountPointOf(const QString &devicePath)
{
    struct stat st {};
    if (::stat(QFile::encodeName(devicePath).constData(), &st) != 0 || !S_ISBLK(st.st_mode))
        return {};
    const QString wanted = QStringLiteral("%1:%2").arg(major(st.st_rdev)).arg(minor(st.st_rdev));
    QFile f(QStringLiteral("/proc/self/mountinfo"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    // Fields: id parent major:minor root mountpoint ... ; octal escapes for spaces.
    for (const QByteArray &line : f.readAll().split('\n')) {
        const QList<QByteArray> fields = line.split(' ');
        if (fields.size() > 4 && QString::fromLatin1(fields[2]) == wanted && fields[3] == "/") {
            QByteArray mp = fields[4];
            mp.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
            return QFile::decodeName(mp);
        }
    }
    return {};
}

namespace {

thread_local FreezeJournal *t_journal = nullptr;

QString errnoText(int e) { return QString::fromLocal8Bit(strerror(e)); }

// Replies of the guard on its socket.
constexpr char kThawedOnRequest = 'T';
constexpr char kThawedByLimit = 'L';

qint64 monotonicMs()
{
    struct timespec ts {};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return qint64(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void sendAll(int fd, const void *data, size_t size)
{
    const char *p = static_cast<const char *>(data);
    while (size > 0) {
        const ssize_t n = ::send(fd, p, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        p += n;
        size -= size_t(n);
    }
}

// The guard process. It runs in a child forked from a multi-threaded process, so it may only
// make async-signal-safe calls (raw system calls; no allocation, no locks, no Qt). It freezes
// the filesystem, reports the result, and thaws on the first of: a byte from the parent, the
// parent's end of the socket closing (the parent died, however), the time limit.
[[noreturn]] void runGuard(int sock, int mountFd, qint64 limitMs)
{
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    // A Ctrl-C or SIGTERM meant for the front end must not kill the guard of a frozen filesystem.
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE})
        ::sigaction(sig, &ignore, nullptr);
    // Keep nothing of the parent open (loop devices, the catalog, the caller's pipes).
    const int lo = sock < mountFd ? sock : mountFd;
    const int hi = sock < mountFd ? mountFd : sock;
    if (lo > 0)
        ::syscall(SYS_close_range, 0u, unsigned(lo - 1), 0u);
    if (hi > lo + 1)
        ::syscall(SYS_close_range, unsigned(lo + 1), unsigned(hi - 1), 0u);
    ::syscall(SYS_close_range, unsigned(hi + 1), ~0u, 0u);
    ::prctl(PR_SET_NAME, "ndb-freeze", 0, 0, 0);

    int result = 0;
    if (::ioctl(mountFd, FIFREEZE, 0) != 0)
        result = errno;
    sendAll(sock, &result, sizeof result);
    if (result != 0)
        ::_exit(1);

    const qint64 deadline = monotonicMs() + limitMs;
    bool thawedByLimit = false;
    for (;;) {
        const qint64 left = thawedByLimit ? -1 : deadline - monotonicMs();
        if (!thawedByLimit && left <= 0) {
            ::ioctl(mountFd, FITHAW, 0);
            thawedByLimit = true;
            continue; // stay until the parent asks, so that it learns the limit was exceeded
        }
        struct pollfd p {sock, POLLIN, 0};
        const int n = ::poll(&p, 1, left < 0 ? -1 : int(left > INT_MAX ? INT_MAX : left));
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            continue; // the deadline is checked at the top
        // A byte (thaw request), end-of-file (the parent died) or an error: thaw and go.
        if (!thawedByLimit)
            ::ioctl(mountFd, FITHAW, 0);
        const char reply = thawedByLimit ? kThawedByLimit : kThawedOnRequest;
        sendAll(sock, &reply, 1);
        ::_exit(0);
    }
}

} // namespace

FreezeJournal *FilesystemFreeze::threadJournal() { return t_journal; }
void FilesystemFreeze::setThreadJournal(FreezeJournal *journal) { t_journal = journal; }

bool FilesystemFreeze::thawMountPoint(const QString &mountPoint, QString *error)
{
    const int fd = ::open(QFile::encodeName(mountPoint).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (error)
            *error = QStringLiteral("cannot open %1 to thaw it: %2").arg(mountPoint, errnoText(errno));
        return false;
    }
    const bool thawed = ::ioctl(fd, FITHAW, 0) == 0;
    const int e = errno;
    ::close(fd);
    if (!thawed && error && e != EINVAL) // EINVAL: it was not frozen
        *error = QStringLiteral("cannot thaw %1: %2").arg(mountPoint, errnoText(e));
    return thawed;
}

FilesystemFreeze::FilesystemFreeze(const QString &mountPoint, std::chrono::milliseconds limit, const QString &device)
    : m_mountPoint(mountPoint)
    , m_journal(t_journal)
{
    const int mountFd = ::open(QFile::encodeName(mountPoint).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (mountFd < 0)
        throw Error(QStringLiteral("cannot open %1 to freeze it: %2").arg(mountPoint, errnoText(errno)));
    int sv[2] = {-1, -1};
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        const int e = errno;
        ::close(mountFd);
        throw Error(QStringLiteral("cannot freeze filesystem at %1: no socket for its guard: %2").arg(mountPoint, errnoText(e)));
    }
    // Recorded before FIFREEZE: whatever instant this process dies at, cleanup knows what to thaw.
    if (m_journal) {
        try {
            FreezeRecord record;
            record.kind = QString::fromLatin1(FreezeRecord::kFilesystem);
            record.target = mountPoint;
            record.device = device;
            m_recordId = m_journal->add(record);
        } catch (...) {
            ::close(mountFd);
            ::close(sv[0]);
            ::close(sv[1]);
            throw;
        }
    }
    const pid_t child = ::fork();
    if (child == 0)
        runGuard(sv[1], mountFd, qint64(limit.count()));
    const int forkErrno = errno;
    ::close(sv[1]);
    ::close(mountFd);
    m_socket = sv[0];
    m_guard = child;
    QString failure;
    if (child < 0) {
        failure = QStringLiteral("cannot freeze filesystem at %1: cannot start its guard process: %2").arg(mountPoint, errnoText(forkErrno));
    } else {
        int result = -1;
        ssize_t n;
        do
            n = ::recv(m_socket, &result, sizeof result, MSG_WAITALL);
        while (n < 0 && errno == EINTR);
        if (n != ssize_t(sizeof result))
            failure = QStringLiteral("cannot freeze filesystem at %1: its guard process ended unexpectedly").arg(mountPoint);
        else if (result != 0)
            failure = QStringLiteral("cannot freeze filesystem at %1: %2").arg(mountPoint, errnoText(result));
    }
    if (!failure.isEmpty()) {
        ::close(m_socket);
        m_socket = -1;
        if (m_guard > 0)
            ::waitpid(m_guard, nullptr, 0);
        m_guard = -1;
        m_thawed = true;
        thawMountPoint(mountPoint); // in case the guard froze it and died before saying so
        if (m_journal && m_recordId)
            m_journal->remove(m_recordId);
        throw Error(failure);
    }
    if (m_journal && m_recordId) {
        try {
            m_journal->setGuard(m_recordId, m_guard);
        } catch (const Error &) {
            // Only informative; the record itself is what cleanup needs.
        }
    }
}

FilesystemFreeze::~FilesystemFreeze()
{
    try {
        thaw();
    } catch (...) {
    }
}

bool FilesystemFreeze::thaw()
{
    if (m_thawed)
        return !m_thawedByLimit;
    m_thawed = true;
    const char request = 1;
    sendAll(m_socket, &request, 1);
    char reply = 0;
    ssize_t n;
    do
        n = ::recv(m_socket, &reply, 1, 0);
    while (n < 0 && errno == EINTR);
    ::close(m_socket);
    m_socket = -1;
    ::waitpid(m_guard, nullptr, 0);
    if (n != 1)
        thawMountPoint(m_mountPoint); // the guard is gone without answering: thaw here
    m_thawedByLimit = n == 1 && reply == kThawedByLimit;
    if (m_journal && m_recordId) {
        try {
            m_journal->remove(m_recordId);
        } catch (const Error &) {
            // A stale record is harmless: cleanup thaws only for dead owners, EINVAL when not frozen.
        }
    }
    return !m_thawedByLimit;
}

} // namespace ndb
