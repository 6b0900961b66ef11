#pragma once
// The ndbackupctl binary of the build tree, for tests that drive it as a script does.
#include <QString>

namespace ndbtest {

// $NDB_BUILD_DIR/app/cli/ndbackupctl; empty when NDB_BUILD_DIR is not set.
inline QString ctlPath()
{
    const QString build = qEnvironmentVariable("NDB_BUILD_DIR");
    return build.isEmpty() ? QString() : build + QStringLiteral("/app/cli/ndbackupctl");
}

// What one finished run printed and returned (-1: it crashed or timed out).
struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

} // namespace ndbtest
