#pragma once
// Whether a mounted filesystem takes writes: a frozen one makes every writer hang.
#include <QString>

namespace ndbtest {

// Writes and fsyncs a small file under `directory` in a child process (dd). True when that
// completes within `timeoutMs`. Otherwise the filesystem is thawed (FITHAW) so that the child and
// the test can go on, and *why says it was frozen.
bool writeCompletes(const QString &directory, int timeoutMs, QString *why);

} // namespace ndbtest
