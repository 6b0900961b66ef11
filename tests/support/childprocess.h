#pragma once
// Forked child processes for tests that need a second process on the same container.
//
// A forked child gets a copy of every lock another thread held at the moment of fork (Qt's
// global mutexes, locale data, ...) with no thread left to release it, and can hang forever on
// one. So a test forks only while it runs no worker threads of its own: forkChild() refuses
// otherwise. And a child that still hangs is killed after a timeout, so a test fails in seconds
// with a message instead of running into ctest's limit.
#include <QString>

#include <functional>
#include <sys/types.h>

namespace ndbtest {

// Runs `body` in a forked child; its return value is the child's exit code (an exception: 1).
// Returns -1 and sets *why when the process runs other threads than the Qt Test watchdog.
pid_t forkChild(const std::function<int()> &body, QString *why);

// Waits at most timeoutMsec for `child`; kills it when it overstays. True when it exited with 0;
// otherwise *why says what happened.
bool waitForChild(pid_t child, int timeoutMsec, QString *why);

// Threads of this process right now (from /proc/self/task).
int threadCount();

} // namespace ndbtest
