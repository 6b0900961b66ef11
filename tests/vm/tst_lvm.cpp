// vm tier: real LVM in a qemu guest. One boot runs guest/scenarios.sh (all scenarios of the
// LVM issue) with the host's binaries through the shared root; each scenario writes
// <results>/<scenario>.result ("PASS ..." or "FAIL ..."), and every test function here checks one.
#include "qemuguest.h"
#include "util/error.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcessEnvironment>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace ndbtest;

class TestLvm : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void guestEnvironment() { checkScenario(QStringLiteral("0-environment")); }
    void driverInventory() { checkScenario(QStringLiteral("0-driver-inventory")); }
    void driverScenarios();
    void availableBackupRestore() { checkScenario(QStringLiteral("1-available")); }
    void inUseExt4WithWriter() { checkScenario(QStringLiteral("2-in-use-ext4")); }
    void inUseWithoutForceRefused() { checkScenario(QStringLiteral("3-no-force")); }
    void thinInUse() { checkScenario(QStringLiteral("4-thin")); }
    void killDuringTransferThenCleanup() { checkScenario(QStringLiteral("5-kill-cleanup")); }
    void snapshotOverflow() { checkScenario(QStringLiteral("6-overflow")); }
    void killWhileSuspendedResumedByGuard() { checkScenario(QStringLiteral("7-kill-suspended")); }
    void killAllWhileSuspendedResumedByCleanup() { checkScenario(QStringLiteral("8-kill-all-suspended")); }
    void sourceEioUnderLvFailsCleanly() { checkScenario(QStringLiteral("9-dm-error")); }
    void cleanupTestCase();

private:
    void checkScenario(const QString &name);
    QString readResult(const QString &name) const;

    QTemporaryDir m_work;
    QString m_resultsDir;
    QString m_console;
    bool m_booted = false;
    bool m_driverScenarios = false; // NDB_VM_DRIVER_SCENARIOS=1: also run the lvmdriver_probe scenarios
    bool m_anyFailure = false;
};

void TestLvm::initTestCase()
{
    QVERIFY2(m_work.isValid(), "cannot create a temporary directory");
    const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    const QString buildDir = env.value(QStringLiteral("NDB_BUILD_DIR"));
    const QString sourceDir = env.value(QStringLiteral("NDB_SOURCE_DIR"));
    const QString probe = env.value(QStringLiteral("NDB_PROBE"));
    QVERIFY2(!buildDir.isEmpty() && !sourceDir.isEmpty() && !probe.isEmpty(),
             "NDB_BUILD_DIR, NDB_SOURCE_DIR and NDB_PROBE must be set (ctest sets them)");
    // The guest sees the host root, but mounts its own tmpfs on /run (and /tmp, where the build and
    // source trees are bound back in: see QemuGuest::run).
    for (const QString &dir : {QFileInfo(buildDir).canonicalFilePath(), QFileInfo(sourceDir).canonicalFilePath()})
        for (const char *hidden : {"/run/", "/dev/", "/proc/", "/sys/"})
            QVERIFY2(!dir.startsWith(QLatin1String(hidden)),
                     qPrintable(QStringLiteral("%1 is hidden inside the guest (it has its own %2)").arg(dir, QLatin1String(hidden))));
    for (const char *tool : {"qemu-system-x86_64", "lvm", "mkfs.ext4", "e2fsck", "losetup", "sha256sum", "modprobe"})
        QVERIFY2(!QStandardPaths::findExecutable(QString::fromLatin1(tool),
                                                 {QStringLiteral("/usr/sbin"), QStringLiteral("/usr/bin"),
                                                  QStringLiteral("/sbin"), QStringLiteral("/bin")}).isEmpty(),
                 qPrintable(QStringLiteral("%1 is not installed (apt-get install qemu-system-x86 lvm2 e2fsprogs "
                                           "util-linux coreutils kmod)").arg(QLatin1String(tool))));

    m_driverScenarios = env.value(QStringLiteral("NDB_VM_DRIVER_SCENARIOS")) == QLatin1String("1");
    m_resultsDir = m_work.filePath(QStringLiteral("results"));
    QVERIFY(QDir().mkpath(m_resultsDir));
    // NDB_VM_SCRIPT runs another guest script (for poking at the guest by hand).
    const QString script = QFileInfo(env.value(QStringLiteral("NDB_VM_SCRIPT"),
                                               sourceDir + QStringLiteral("/tests/vm/guest/scenarios.sh"))).canonicalFilePath();
    QVERIFY2(!script.isEmpty(), "tests/vm/guest/scenarios.sh not found");
    QStringList tools;
    for (const char *var : {"NDB_CTL", "NDB_WRITER", "NDB_WRITER_CHECK"}) {
        const QString path = QFileInfo(env.value(QString::fromLatin1(var))).canonicalFilePath();
        QVERIFY2(QFileInfo(path).isExecutable(), qPrintable(QStringLiteral("%1 is not set to an executable").arg(QLatin1String(var))));
        tools << path;
    }

    const QString boot = QStringLiteral(
        "#!/bin/sh\n"
        "export PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
        "export NDB_VM_DRIVER_SCENARIOS=%8\n"
        "export NDB_RESULTS=%1 NDB_PROBE='%2' NDB_CTL='%3' NDB_WRITER='%4' NDB_WRITER_CHECK='%7' NDB_SOURCE_DIR='%5'\n"
        "/bin/sh '%6' > %1/guest.log 2>&1 < /dev/null\n"
        "echo \"guest script exited with $?\" >> %1/guest.log\n"
        "sync\n"
        "echo 1 > /proc/sys/kernel/sysrq; echo o > /proc/sysrq-trigger\n"
        "sleep 30\n")
        .arg(QemuGuest::guestResultsDir(), QFileInfo(probe).canonicalFilePath(), tools[0], tools[1],
             QFileInfo(sourceDir).canonicalFilePath(), script, tools[2])
        .arg(m_driverScenarios ? 1 : 0);

    QElapsedTimer timer;
    timer.start();
    QemuGuest guest;
    try {
        m_booted = guest.run(m_work.path(), m_resultsDir, boot, 840, 2048,
                             {qEnvironmentVariable("NDB_BUILD_DIR"), qEnvironmentVariable("NDB_SOURCE_DIR")});
    } catch (const ndb::Error &e) {
        QFAIL(qPrintable(QStringLiteral("cannot start the guest: ") + e.message()));
    }
    m_console = guest.consoleLog();
    qInfo("guest ran for %.1f s", timer.elapsed() / 1000.0);
    QFile log(m_resultsDir + QStringLiteral("/guest.log"));
    if (log.open(QIODevice::ReadOnly))
        qInfo().noquote() << "---- guest.log ----\n" << QString::fromUtf8(log.readAll()).right(20000) << "\n---- end ----";
    if (!m_booted)
        qInfo().noquote() << "---- console ----\n" << m_console.right(6000);
    QVERIFY2(m_booted, "the guest did not finish in time");
}

QString TestLvm::readResult(const QString &name) const
{
    QFile f(m_resultsDir + QLatin1Char('/') + name + QStringLiteral(".result"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll()).trimmed();
}

void TestLvm::checkScenario(const QString &name)
{
    const QString result = readResult(name);
    qInfo().noquote() << "scenario" << name << ":" << (result.isEmpty() ? QStringLiteral("NO RESULT") : result);
    if (result.isEmpty()) {
        m_anyFailure = true;
        QFAIL(qPrintable(QStringLiteral("scenario %1 left no result (see guest.log above)").arg(name)));
    }
    if (!result.startsWith(QLatin1String("PASS"))) {
        m_anyFailure = true;
        QFAIL(qPrintable(result));
    }
}

// With NDB_VM_DRIVER_SCENARIOS=1 the guest also ran 1, 2, 4, 5, 6 through lvmdriver_probe.
void TestLvm::driverScenarios()
{
    if (!m_driverScenarios) {
        qInfo("driver-level scenarios not requested (NDB_VM_DRIVER_SCENARIOS=1 runs them)");
        return;
    }
    for (const char *name : {"d1-available", "d2-in-use-ext4", "d4-thin", "d5-kill-cleanup", "d6-overflow"}) {
        checkScenario(QString::fromLatin1(name));
        if (QTest::currentTestFailed())
            return;
    }
}

void TestLvm::cleanupTestCase()
{
    if (m_anyFailure && !m_console.isEmpty())
        qInfo().noquote() << "---- console (tail) ----\n" << m_console.right(4000);
}

QTEST_GUILESS_MAIN(TestLvm)
#include "tst_lvm.moc"
