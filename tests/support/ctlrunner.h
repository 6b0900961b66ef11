#pragma once
// ndbackupctl as a script runs it, for the CLI tests: a fixture with its own temporary
// directory (catalog, repository, image pool, XDG directories there) and a runner.
#include "support/scratchfs.h"

#include <QProcessEnvironment>
#include <QStringList>
#include <QTemporaryDir>
#include <memory>

namespace ndbtest {

// $NDB_BUILD_DIR/app/cli/ndbackupctl; empty when NDB_BUILD_DIR is not set.
QString ctlPath();

struct CtlRun
{
    int exitCode = -1; // -1: crashed or timed out
    QString out;
    QString err;
};

class CtlFixture
{
public:
    // Fails (false, *why) when ndbackupctl is not built or the test does not run as root.
    static bool canRun(QString *why);

    // A fresh temporary directory with an empty pool; cleanupUnder() it at the end.
    bool setUp();
    void tearDown();

    QString path() const { return m_dir->path(); }
    QString filePath(const QString &name) const { return m_dir->filePath(name); }
    QString catalogPath() const { return m_dir->filePath(QStringLiteral("catalog.sqlite")); }
    QString pool;
    // Runs ndbackupctl through this (e.g. ip netns exec NS) when not empty.
    QStringList launcher;

    // --catalog, --repository-root and --pool of this fixture.
    QStringList globalArgs() const;
    // The environment with XDG_CONFIG_HOME / XDG_DATA_HOME inside dir().
    QProcessEnvironment environment() const;
    CtlRun run(const QStringList &args, int timeoutMs = 120000, bool withGlobals = true) const;
    // First column of the first row of `sql` on the fixture's catalog; empty when none.
    QString queryOne(const QString &sql) const;

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ScratchCleanup> m_cleanup;
};

} // namespace ndbtest
