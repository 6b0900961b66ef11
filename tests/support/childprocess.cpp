#include "childprocess.h"

#include <QDir>

#include <chrono>
#include <csignal>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace ndbtest {

int threadCount()
{
    return int(QDir(QStringLiteral("/proc/self/task")).entryList(QDir::Dirs | QDir::NoDotAndDotDot).size());
}

pid_t forkChild(const std::function<int()> &body, QString *why)
{
    // The main thread plus Qt Test's watchdog are expected (and ThreadSanitizer's own background
    // thread, which its runtime handles across fork); anything more may hold a lock.
    // GCC (tsan preset) says so with __SANITIZE_THREAD__; clang with __has_feature.
#if defined(__SANITIZE_THREAD__)
    constexpr int kSanitizerThreads = 1;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
    constexpr int kSanitizerThreads = 1;
#else
    constexpr int kSanitizerThreads = 0;
#endif
#else
    constexpr int kSanitizerThreads = 0;
#endif
    if (const int threads = threadCount(); threads > 2 + kSanitizerThreads) {
        *why = QStringLiteral("refusing to fork with %1 threads running: start worker threads after forking")
                   .arg(threads);
        return -1;
    }
    const pid_t child = ::fork();
    if (child < 0) {
        *why = QStringLiteral("fork failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        return -1;
    }
    if (child == 0) {
        int code = 1;
        try {
            code = body();
        } catch (...) {
        }
        ::_exit(code);
    }
    return child;
}

bool waitForChild(pid_t child, int timeoutMsec, QString *why)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMsec);
    int status = 0;
    for (;;) {
        const pid_t done = ::waitpid(child, &status, WNOHANG);
        if (done == child)
            break;
        if (done < 0) {
            *why = QStringLiteral("waitpid(%1) failed: %2").arg(child).arg(QString::fromLocal8Bit(strerror(errno)));
            return false;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(child, SIGKILL);
            ::waitpid(child, &status, 0);
            *why = QStringLiteral("child %1 still running after %2 ms: killed").arg(child).arg(timeoutMsec);
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    *why = WIFEXITED(status) ? QStringLiteral("child %1 exited with %2").arg(child).arg(WEXITSTATUS(status))
                             : QStringLiteral("child %1 died from signal %2").arg(child).arg(WTERMSIG(status));
    return false;
}

} // namespace ndbtest
