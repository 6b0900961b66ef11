#include "ctlrunner.h"

#include "catalog/catalog.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QSqlQuery>

#include <unistd.h>

namespace ndbtest {

QString ctlPath()
{
    const QString build = qEnvironmentVariable("NDB_BUILD_DIR");
    return build.isEmpty() ? QString() : build + QStringLiteral("/app/cli/ndbackupctl");
}

bool CtlFixture::canRun(QString *why)
{
    if (!QFile::exists(ctlPath()))
        *why = QStringLiteral("ndbackupctl not built (NDB_BUILD_DIR must point at the build tree)");
    else if (::geteuid() != 0)
        *why = QStringLiteral("these tests need root for loop devices; CI runs as root");
    else
        return true;
    return false;
}

bool CtlFixture::setUp()
{
    m_dir = std::make_unique<QTemporaryDir>();
    if (!m_dir->isValid())
        return false;
    m_cleanup = std::make_unique<ScratchCleanup>(m_dir->path());
    pool = m_dir->filePath(QStringLiteral("pool"));
    return QDir().mkpath(pool);
}

void CtlFixture::tearDown()
{
    m_cleanup.reset();
    m_dir.reset();
}

QStringList CtlFixture::globalArgs() const
{
    return {QStringLiteral("--catalog"), catalogPath(), QStringLiteral("--repository-root"), m_dir->filePath(QStringLiteral("repo")),
            QStringLiteral("--pool"), pool};
}

QProcessEnvironment CtlFixture::environment() const
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir->filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir->filePath(QStringLiteral("data")));
    return env;
}

CtlRun CtlFixture::run(const QStringList &args, int timeoutMs, bool withGlobals) const
{
    QProcess p;
    p.setProcessEnvironment(environment());
    const QStringList all = (withGlobals ? globalArgs() : QStringList()) + args;
    if (launcher.isEmpty())
        p.start(ctlPath(), all);
    else
        p.start(launcher.first(), launcher.mid(1) + QStringList{ctlPath()} + all);
    CtlRun r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("timed out");
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QString CtlFixture::queryOne(const QString &sql) const
{
    ndb::Catalog catalog(catalogPath());
    QSqlQuery q = catalog.exec(sql);
    return q.next() ? q.value(0).toString() : QString();
}

} // namespace ndbtest
