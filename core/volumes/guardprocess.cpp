#include "guardprocess.h"

#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <ctime>

namespace ndb {

namespace {

// Replies of the guard on its socket.
constexpr char kReleasedOnRequest = 'T';
constexpr char kReleasedByLimit = 'L';

QString errnoText(int e) { return QString::fromLocal8Bit(strerror(e)); }

long long monotonicMs()
{
    struct timespec ts {};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

// Closes every descriptor but `a` and `b` (either may be -1).
void closeAllBut(int a, int b)
{
    const int lo = a < b ? a : b;
    const int hi = a < b ? b : a;
    unsigned next = 0;
    for (int keep : {lo, hi}) {
        if (keep < 0)
            continue;
        if (unsigned(keep) > next)
            ::syscall(SYS_close_range, next, unsigned(keep - 1), 0u);
        next = unsigned(keep) + 1;
    }
    ::syscall(SYS_close_range, next, ~0u, 0u);
}

// The guard process (see GuardActions for what it may call).
[[noreturn]] void runGuard(int sock, const GuardActions &a)
{
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    // A Ctrl-C or SIGTERM meant for the front end must not kill the guard of a held state.
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE})
        ::sigaction(sig, &ignore, nullptr);
    // Keep nothing of the parent open (loop devices, the catalog, the caller's pipes).
    closeAllBut(sock, a.keepFd);
    ::prctl(PR_SET_NAME, a.name, 0, 0, 0);

    const int result = a.take ? a.take(a.context) : 0;
    sendAll(sock, &result, sizeof result);
    if (result != 0)
        ::_exit(1);

    const long long started = monotonicMs();
    long long wait = a.tick ? a.tick(a.context, 0) : -1;
    long long nextTick = started + wait;
    for (;;) {
        const long long left = wait < 0 ? -1 : nextTick - monotonicMs();
        if (wait >= 0 && left <= 0) {
            const long long now = monotonicMs();
            wait = a.tick(a.context, now - started);
            nextTick = now + wait;
            continue;
        }
        struct pollfd p {sock, POLLIN, 0};
        const int n = ::poll(&p, 1, left < 0 ? -1 : int(left > INT_MAX ? INT_MAX : left));
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            continue; // the next tick is due
        // A byte: the owner asks to release. End-of-file or an error: the owner died, however.
        char request = 0;
        ssize_t got;
        do
            got = ::recv(sock, &request, 1, MSG_DONTWAIT);
        while (got < 0 && errno == EINTR);
        const bool byLimit = a.release(a.context, got != 1);
        const char reply = byLimit ? kReleasedByLimit : kReleasedOnRequest;
        sendAll(sock, &reply, 1);
        ::_exit(0);
    }
}

} // namespace

GuardProcess::~GuardProcess()
{
    stop();
}

bool GuardProcess::start(const GuardActions &actions, QString *failure)
{
    int sv[2] = {-1, -1};
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        *failure = QStringLiteral("no socket for its guard: %1").arg(errnoText(errno));
        return false;
    }
    const pid_t child = ::fork();
    if (child == 0)
        runGuard(sv[1], actions);
    const int forkErrno = errno;
    ::close(sv[1]);
    if (child < 0) {
        ::close(sv[0]);
        *failure = QStringLiteral("cannot start its guard process: %1").arg(errnoText(forkErrno));
        return false;
    }
    int result = -1;
    ssize_t n;
    do
        n = ::recv(sv[0], &result, sizeof result, MSG_WAITALL);
    while (n < 0 && errno == EINTR);
    if (n != ssize_t(sizeof result) || result != 0) {
        ::close(sv[0]);
        ::waitpid(child, nullptr, 0);
        *failure = n != ssize_t(sizeof result) ? QStringLiteral("its guard process ended unexpectedly") : errnoText(result);
        return false;
    }
    m_pid = child;
    m_socket = sv[0];
    return true;
}

GuardProcess::Outcome GuardProcess::stop()
{
    if (m_pid <= 0)
        return Outcome::Gone;
    const char request = 1;
    sendAll(m_socket, &request, 1);
    char reply = 0;
    ssize_t n;
    do
        n = ::recv(m_socket, &reply, 1, 0);
    while (n < 0 && errno == EINTR);
    ::close(m_socket);
    m_socket = -1;
    ::waitpid(m_pid, nullptr, 0);
    m_pid = -1;
    if (n != 1)
        return Outcome::Gone;
    return reply == kReleasedByLimit ? Outcome::ReleasedByLimit : Outcome::Released;
}

} // namespace ndb
