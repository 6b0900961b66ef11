#include "faultfs.h"

#include "scratchfs.h"
#include "util/error.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QThread>

#include <sys/vfs.h>

namespace ndbtest {

namespace {

constexpr long kFuseMagic = 0x65735546;

bool isFuseMount(const QString &path)
{
    struct statfs st {};
    return ::statfs(QFile::encodeName(path).constData(), &st) == 0 && st.f_type == kFuseMagic;
}

} // namespace

QString faultFsExecutable()
{
    const QString build = qEnvironmentVariable("NDB_BUILD_DIR");
    const QString path = build + QStringLiteral("/tests/ndb-test-faultfs");
    return !build.isEmpty() && QFile::exists(path) ? path : QString();
}

FaultFs::FaultFs(const QString &root, const QString &mountPoint, const QStringList &faultOptions)
    : m_mountPoint(mountPoint), m_cue(QDir::cleanPath(root + QStringLiteral("/../")) + QStringLiteral("/faultfs-cue-")
                                          + QFileInfo(mountPoint).fileName())
{
    const QString program = faultFsExecutable();
    if (program.isEmpty())
        throw ndb::Error(QStringLiteral("ndb-test-faultfs is not built: install libfuse3-dev and fuse3 "
                                        "(resources/scripts/install-deps-debian.sh) and configure again"));
    QDir().mkpath(mountPoint);
    QFile::remove(m_cue);
    m_process.setProgram(program);
    m_process.setArguments(QStringList{root, mountPoint, QStringLiteral("--cue"), m_cue} + faultOptions);
    // A file, not a pipe: a pipe nobody drains would stop the filesystem once full.
    m_logFile = m_cue + QStringLiteral(".log");
    m_process.setStandardOutputFile(m_logFile);
    m_process.setStandardErrorFile(m_logFile);
    m_process.start();
    QElapsedTimer t;
    t.start();
    while (!isFuseMount(mountPoint)) {
        if (m_process.state() == QProcess::NotRunning || t.elapsed() > 10000) {
            m_process.kill();
            m_process.waitForFinished(5000);
            throw ndb::Error(QStringLiteral("ndb-test-faultfs did not mount %1: %2")
                                 .arg(mountPoint, log()));
        }
        QThread::msleep(20);
    }
}

FaultFs::~FaultFs()
{
    arm(false);
    if (!unmount(m_mountPoint))
        qWarning("could not unmount %s", qPrintable(m_mountPoint));
    if (!m_process.waitForFinished(10000)) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
    QFile::remove(m_cue);
    QFile::remove(m_logFile);
}

QString FaultFs::log() const
{
    QFile f(m_logFile);
    return f.open(QIODevice::ReadOnly) ? QString::fromLocal8Bit(f.readAll()) : QString();
}

void FaultFs::arm(bool on, qint64 readFrom)
{
    if (on) {
        QFile f(m_cue);
        if (f.open(QIODevice::WriteOnly) && readFrom >= 0)
            f.write(QByteArray::number(readFrom));
    } else {
        QFile::remove(m_cue);
    }
}

int FaultFs::injected() const
{
    static const QRegularExpression line(QStringLiteral("faultfs: injected (\\d+):"));
    int count = 0;
    for (auto it = line.globalMatch(log()); it.hasNext();)
        count = it.next().captured(1).toInt();
    return count;
}

} // namespace ndbtest
