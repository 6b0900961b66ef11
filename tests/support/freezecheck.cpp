#include "freezecheck.h"

#include "volumes/fsfreeze.h"

#include <QFile>
#include <QProcess>

namespace ndbtest {

bool writeCompletes(const QString &directory, int timeoutMs, QString *why)
{
    // A child, not this process: a write into a frozen filesystem blocks uninterruptibly.
    const QString probe = directory + QStringLiteral("/.freeze-check");
    QProcess dd;
    dd.start(QStringLiteral("dd"), {QStringLiteral("if=/dev/zero"), QStringLiteral("of=") + probe, QStringLiteral("bs=4096"),
                                    QStringLiteral("count=1"), QStringLiteral("conv=fsync"), QStringLiteral("status=none")});
    if (!dd.waitForStarted(10000)) {
        *why = QStringLiteral("cannot start dd: %1").arg(dd.errorString());
        return false;
    }
    if (dd.waitForFinished(timeoutMs)) {
        QFile::remove(probe);
        if (dd.exitStatus() == QProcess::NormalExit && dd.exitCode() == 0)
            return true;
        *why = QStringLiteral("dd into %1 failed: %2").arg(directory, QString::fromLocal8Bit(dd.readAllStandardError()));
        return false;
    }
    // Rescue: thaw, so the hung dd finishes and the scratch filesystem can be unmounted.
    const bool wasFrozen = ndb::FilesystemFreeze::thawMountPoint(directory);
    dd.waitForFinished(30000);
    QFile::remove(probe);
    *why = QStringLiteral("a write + fsync into %1 hung for %2 ms%3").arg(directory).arg(timeoutMs)
               .arg(wasFrozen ? QStringLiteral(": the filesystem was frozen (thawed by the test)") : QString());
    return false;
}

} // namespace ndbtest
