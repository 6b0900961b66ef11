// vm tier: real LVM in a qemu guest. One boot runs guest/scenarios.sh (all scenarios of the
// LVM issue) with the host's binaries through the shared root; each scenario writes
// <results>/<scenario>.result ("PASS ..." or "FAIL ..."), and every test function here checks one.
// The same boot is the remote LVM node of the agent tier: the guest runs ndbackup-agent over its
// VG (guest/agent-scenarios.sh) and this test, on the host, is the console (the a* scenarios):
// first by hand over the agent API, then as the real ndbackupctl, which also backs up volumes on
// two agents on 127.0.0.2/.3 at the same time.
#include "qemuguest.h"
#include "agent/support/agentnode.h"
#include "net/identity.h"
#include "support/agentapi.h"
#include "support/ctlrunner.h"
#include "support/scratchfs.h"
#include "support/writercheck.h"
#include "model/status.h"
#include "util/error.h"
#include "volumes/nbd/nbdblockdevice.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcessEnvironment>
#include <QStandardPaths>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QThread>
#include <QUrl>
#include <QtTest>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#include <unistd.h>

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
    void agentStartsInGuest() { checkScenario(QStringLiteral("a0-agent-start")); }
    void agentExportReadFromHost() { checkScenario(QStringLiteral("a1-agent-export")); }
    void agentKilledMidReadThenReaped() { checkScenario(QStringLiteral("a2-agent-killed")); }
    void consoleBacksUpGuestLvWithWriter() { checkScenario(QStringLiteral("a3-console-backup")); }
    // Needs restore onto node volumes (RemoteDriver::openVolumeSink, branch remoterestore).
    void consoleRestoresIntoNewGuestLv() { checkScenario(QStringLiteral("a4-console-restore")); }
    void consoleBacksUpGuestAndTwoAgentsAtOnce() { checkScenario(QStringLiteral("a5-console-at-once")); }
    void consoleJobFailsWhenGuestAgentKilled() { checkScenario(QStringLiteral("a6-console-agent-killed")); }
    void cleanupTestCase();

private:
    void checkScenario(const QString &name);
    QString readResult(const QString &name) const;
    void writeResult(const QString &name, const QString &result) const;

    // The console side of the agent scenarios, run on the host while the guest runs.
    bool pickPorts();
    void runAgentScenarios();
    QString agentExportScenario(const QJsonObject &snapshot, const QJsonObject &data);
    QString agentKilledScenario(const QJsonObject &snapshot, const QJsonObject &data);
    // Exports a new snapshot of a1 for `backupId`, then runs `scenario` on it; the result line.
    QString withExport(const QString &backupId, QString (TestLvm::*scenario)(const QJsonObject &, const QJsonObject &));
    // One question to guest/agent-scenarios.sh through the results share; empty *why when answered.
    QString askGuest(const QString &question, QString *why);
    ndbtest::ApiResponse api(const QByteArray &method, const QString &path, const QByteArray &body = {});
    // Polls the agent's operation `id` (from a 202) until it is no longer running; the last answer.
    ndbtest::ApiResponse waitOperation(const QString &id, QJsonObject *operation);
    // A temporary snapshot of the guest's LV a1, exported and connected: the snapshot's
    // {id, name} and the connection's data. False with *why when a step failed.
    bool exportSnapshot(const QString &backupId, QJsonObject &snapshot, QJsonObject &data, QString *why);
    ndb::NbdConnectionProperties nbdProperties(const QJsonObject &data) const;

    // The console scenarios: the real ndbackupctl (catalog, repository and identity in m_ctl).
    QString consoleBackupScenario();
    QString consoleRestoreScenario();
    QString consoleAtOnceScenario();
    QString consoleAgentKilledScenario();
    ndbtest::CtlRun ctl(const QStringList &args, int timeoutMs = 600000) const;
    std::unique_ptr<QProcess> startCtl(const QStringList &args) const;
    // The console's id of volume `name` on node `host`; empty with *why when it does not list it.
    QString consoleVolumeId(const QString &host, const QString &name, const QStringList &extra, QString *why);
    // Restores backup `id` of the guest's a1 into the results share and has the guest check it
    // (fsck, the writer's files completed before `logPosition`); the guest's answer, *why when not ok.
    QString checkGuestBackup(const QString &id, const QString &logPosition, QString *why);
    // Two agents on 127.0.0.2/.3 with a btrfs image pool each holding busyN.img.
    bool startHostNodes(QString *why);
    QStringList hostNodeArgs() const;

    struct HostNode
    {
        ndbtest::AgentNode agent;
        std::unique_ptr<ndbtest::ScratchFilesystem> fs;
        std::unique_ptr<QProcess> writer;
        QString writerLog;
    };

    QTemporaryDir m_work;
    QString m_resultsDir;
    QString m_console;
    bool m_booted = false;
    bool m_driverScenarios = false; // NDB_VM_DRIVER_SCENARIOS=1: also run the lvmdriver_probe scenarios
    bool m_anyFailure = false;
    bool m_onlyAgent = false; // NDB_VM_ONLY=agent: the guest runs only 0-environment and the agent scenarios

    std::atomic<bool> m_guestDone{false};
    ndb::TlsIdentity m_consoleIdentity;
    QString m_consoleTlsDir; // libnbd's: ca-cert.pem (the guest agent's), client-cert.pem, client-key.pem
    QString m_agentFingerprint;
    quint16 m_apiPort = 0;     // 127.0.0.1 on the host -> 10.0.2.15:8787 in the guest
    quint16 m_exportFirst = 0; // three export ports, the same numbers on both sides
    int m_questions = 0;
    QString m_volumeId; // the guest's a1 as the agent lists it

    ndbtest::CtlFixture m_ctl;
    QString m_ctlConfig;       // agents = the guest's forwarded API port
    QString m_guestBackupId;   // a3's backup of a1, restored by a4
    QString m_guestBackupSha;  // sha256 of its restored bytes
    HostNode m_hostNodes[2];
    QString m_hostNodesWhy;    // why the host agents did not start (a5 fails with it)
};

namespace {
const QString kHost = QStringLiteral("127.0.0.1");
const QString kGuestNode = QStringLiteral("ndb-guest"); // node_name in guest/agent-scenarios.sh
constexpr int kExportPorts = 3;
constexpr qint64 kLvSize = 16 << 20; // the guest's LV a1 (small: TCG and slirp read it at ~1.5 MiB/s)

constexpr qint64 kChunk = 1 << 20;

// BlockSource::readAt wants 4096-byte aligned buffers.
std::unique_ptr<char, decltype(&std::free)> readBuffer()
{
    return {static_cast<char *>(std::aligned_alloc(4096, kChunk)), &std::free};
}

bool hostPortFree(quint16 port)
{
    QTcpServer probe;
    return probe.listen(QHostAddress(kHost), port);
}
} // namespace

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
    m_onlyAgent = env.value(QStringLiteral("NDB_VM_ONLY")) == QLatin1String("agent");
    m_resultsDir = m_work.filePath(QStringLiteral("results"));
    QVERIFY(QDir().mkpath(m_resultsDir));
    // NDB_VM_SCRIPT runs another guest script (for poking at the guest by hand).
    const QString script = QFileInfo(env.value(QStringLiteral("NDB_VM_SCRIPT"),
                                               sourceDir + QStringLiteral("/tests/vm/guest/scenarios.sh"))).canonicalFilePath();
    QVERIFY2(!script.isEmpty(), "tests/vm/guest/scenarios.sh not found");
    QStringList tools;
    for (const char *var : {"NDB_CTL", "NDB_WRITER", "NDB_WRITER_CHECK", "NDB_AGENT"}) {
        const QString path = QFileInfo(env.value(QString::fromLatin1(var))).canonicalFilePath();
        QVERIFY2(QFileInfo(path).isExecutable(), qPrintable(QStringLiteral("%1 is not set to an executable").arg(QLatin1String(var))));
        tools << path;
    }

    // The console's identity (the guest agent trusts its fingerprint) and the forwarded ports. It
    // is ndbackupctl's own (the catalog's directory), so the API scenarios and ndbackupctl are
    // one console to the guest's agent.
    QString why;
    QVERIFY2(ndbtest::CtlFixture::canRun(&why), qPrintable(why));
    QVERIFY2(QFileInfo(ndbtest::agentExecutable()).isExecutable(), "ndbackup-agent is not built");
    QVERIFY(m_ctl.setUp());
    try {
        m_consoleIdentity = ndb::TlsIdentity::loadOrCreate(m_ctl.filePath(QStringLiteral("identity")),
                                                           QStringLiteral("tst_lvm console"));
    } catch (const ndb::Error &e) {
        QFAIL(qPrintable(e.message()));
    }
    m_consoleTlsDir = m_work.filePath(QStringLiteral("console-nbd"));
    QVERIFY(QDir().mkpath(m_consoleTlsDir));
    QVERIFY(QFile::copy(m_consoleIdentity.certificatePath, m_consoleTlsDir + QStringLiteral("/client-cert.pem")));
    QVERIFY(QFile::copy(m_consoleIdentity.keyPath, m_consoleTlsDir + QStringLiteral("/client-key.pem")));
    QVERIFY2(pickPorts(), "no four free ports on 127.0.0.1 for the guest's forwards");
    m_ctlConfig = m_ctl.filePath(QStringLiteral("console.conf"));
    {
        QFile conf(m_ctlConfig);
        QVERIFY(conf.open(QIODevice::WriteOnly));
        conf.write(QStringLiteral("agents = %1:%2\n").arg(kHost).arg(m_apiPort).toUtf8());
    }

    const QString boot = QStringLiteral(
        "#!/bin/sh\n"
        "export PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
        "export NDB_VM_ONLY='%9' NDB_AGENT='%10' NDB_AGENT_PORTS=%11-%12 NDB_CONSOLE_FINGERPRINT='%13'\n"
        "export NDB_VM_DRIVER_SCENARIOS=%8\n"
        "export NDB_RESULTS=%1 NDB_PROBE='%2' NDB_CTL='%3' NDB_WRITER='%4' NDB_WRITER_CHECK='%7' NDB_SOURCE_DIR='%5'\n"
        "/bin/sh '%6' > %1/guest.log 2>&1 < /dev/null\n"
        "echo \"guest script exited with $?\" >> %1/guest.log\n"
        "sync\n"
        "echo 1 > /proc/sys/kernel/sysrq; echo o > /proc/sysrq-trigger\n"
        "sleep 30\n")
        .arg(QemuGuest::guestResultsDir(), QFileInfo(probe).canonicalFilePath(), tools[0], tools[1],
             QFileInfo(sourceDir).canonicalFilePath(), script, tools[2])
        .arg(m_driverScenarios ? 1 : 0)
        .arg(m_onlyAgent ? QStringLiteral("agent") : QString(), tools[3])
        .arg(m_exportFirst)
        .arg(m_exportFirst + kExportPorts - 1)
        .arg(m_consoleIdentity.fingerprint());

    QElapsedTimer timer;
    timer.start();
    QemuGuest guest;
    QList<PortForward> forwards{{m_apiPort, 8787}};
    for (int i = 0; i < kExportPorts; ++i)
        forwards.append({quint16(m_exportFirst + i), quint16(m_exportFirst + i)});
    guest.setPortForwards(forwards);
    QString startError;
    // The guest runs on its own thread; this one is the console of the agent scenarios meanwhile.
    std::thread guestThread([&] {
        try {
            // All scenarios took 14 min once on two cores shared by five builds: room to spare.
            m_booted = guest.run(m_work.path(), m_resultsDir, boot, 1140, 2048,
                                 {qEnvironmentVariable("NDB_BUILD_DIR"), qEnvironmentVariable("NDB_SOURCE_DIR")});
        } catch (const ndb::Error &e) {
            startError = e.message();
        }
        m_guestDone = true;
    });
    runAgentScenarios();
    guestThread.join();
    if (!startError.isEmpty())
        QFAIL(qPrintable(QStringLiteral("cannot start the guest: ") + startError));
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

void TestLvm::writeResult(const QString &name, const QString &result) const
{
    QFile f(m_resultsDir + QLatin1Char('/') + name + QStringLiteral(".result"));
    if (f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        f.write(result.toUtf8() + '\n');
    qInfo().noquote() << "[host]" << name << ":" << result;
}

void TestLvm::checkScenario(const QString &name)
{
    if (m_onlyAgent && !name.startsWith(QLatin1String("a")) && name != QLatin1String("0-environment"))
        QSKIP("not run: NDB_VM_ONLY=agent asked for the agent scenarios only");
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

bool TestLvm::pickPorts()
{
    for (int base = 20000 + int(::getpid() % 2000) * 16; base + kExportPorts < 65000; base += 11) {
        bool free = true;
        for (int p = base; p <= base + kExportPorts && free; ++p)
            free = hostPortFree(quint16(p));
        if (free) {
            m_apiPort = quint16(base);
            m_exportFirst = quint16(base + 1);
            return true;
        }
    }
    return false;
}

QString TestLvm::askGuest(const QString &question, QString *why)
{
    const QString number = QString::number(++m_questions);
    const QString ask = m_resultsDir + QStringLiteral("/ask-") + number;
    {
        QFile f(ask + QStringLiteral(".tmp"));
        if (!f.open(QIODevice::WriteOnly) || f.write(question.toUtf8() + '\n') < 0) {
            *why = QStringLiteral("cannot write %1").arg(f.fileName());
            return {};
        }
    }
    QFile::rename(ask + QStringLiteral(".tmp"), ask);
    QFile answer(m_resultsDir + QStringLiteral("/answer-") + number);
    QElapsedTimer timer;
    timer.start();
    while (!answer.exists()) {
        if (m_guestDone || timer.elapsed() > 120000) {
            *why = QStringLiteral("the guest did not answer '%1'").arg(question);
            return {};
        }
        QThread::msleep(100);
    }
    if (!answer.open(QIODevice::ReadOnly)) {
        *why = QStringLiteral("cannot read %1").arg(answer.fileName());
        return {};
    }
    why->clear();
    return QString::fromUtf8(answer.readAll()).trimmed();
}

ndbtest::ApiResponse TestLvm::waitOperation(const QString &id, QJsonObject *operation)
{
    ndbtest::ApiResponse r;
    for (int i = 0; i < 900; ++i) { // TCG: an lvcreate or lvremove takes tens of seconds
        r = api("GET", QStringLiteral("/v1/operations/") + id);
        *operation = r.json().value(QStringLiteral("operation")).toObject();
        if (r.status != 200 || operation->value(QStringLiteral("status")).toString() != QLatin1String("running"))
            return r;
        QThread::msleep(200);
    }
    return r;
}

ndbtest::ApiResponse TestLvm::api(const QByteArray &method, const QString &path, const QByteArray &body)
{
    // The agent runs its lvm commands under TCG: a snapshot takes tens of seconds.
    return ndbtest::agentExchange(kHost, m_apiPort, &m_consoleIdentity, m_agentFingerprint,
                                  ndbtest::agentRequestBytes(method, path, kHost, body), 180000);
}

ndb::NbdConnectionProperties TestLvm::nbdProperties(const QJsonObject &data) const
{
    ndb::NbdConnectionProperties p;
    p.host = data.value(QStringLiteral("host")).toString();
    p.port = quint16(data.value(QStringLiteral("port")).toInt());
    p.exportName = data.value(QStringLiteral("export_name")).toString();
    p.certificatesDir = m_consoleTlsDir;
    p.timeoutMs = 20000;
    return p;
}

bool TestLvm::exportSnapshot(const QString &backupId, QJsonObject &snapshot, QJsonObject &data, QString *why)
{
    const auto failed = [&](const QString &step, const ndbtest::ApiResponse &r) {
        *why = QStringLiteral("%1: %2 %3%4").arg(step).arg(r.status).arg(QString::fromUtf8(r.body), r.transportError);
        return false;
    };
    ndbtest::ApiResponse r;
    if (m_volumeId.isEmpty()) { // the inventory once: every lvs costs seconds under TCG
        r = api("GET", QStringLiteral("/v1/volumes"));
        QJsonObject volume;
        for (const QJsonValue v : r.json().value(QStringLiteral("volumes")).toArray())
            if (v.toObject().value(QStringLiteral("name")).toString() == QLatin1String("a1"))
                volume = v.toObject();
        if (volume.isEmpty())
            return failed(QStringLiteral("GET /v1/volumes lists no a1"), r);
        if (volume.value(QStringLiteral("driver")).toString() != QLatin1String("lvm")
            || volume.value(QStringLiteral("status")).toString() != QLatin1String("in-use"))
            return failed(QStringLiteral("a1 is not an in-use LVM volume"), r);
        m_volumeId = volume.value(QStringLiteral("id")).toString();
    }
    r = api("POST", QStringLiteral("/v1/volumes/%1/snapshots").arg(QString::fromLatin1(QUrl::toPercentEncoding(m_volumeId))),
            QJsonDocument(QJsonObject{{QStringLiteral("backup_id"), backupId}}).toJson(QJsonDocument::Compact));
    if (r.status != 202)
        return failed(QStringLiteral("POST snapshots"), r);
    QJsonObject op;
    r = waitOperation(r.json().value(QStringLiteral("operation")).toObject().value(QStringLiteral("id")).toString(), &op);
    if (op.value(QStringLiteral("status")).toString() == QLatin1String("succeeded"))
        snapshot = op.value(QStringLiteral("result")).toObject().value(QStringLiteral("snapshot")).toObject();
    else if (op.value(QStringLiteral("status")).toString() != QLatin1String("running"))
        return failed(QStringLiteral("snapshot operation"), r);
    const QString id = snapshot.value(QStringLiteral("id")).toString();
    if (id.isEmpty())
        return failed(QStringLiteral("the snapshot operation never finished"), r);
    r = api("POST", QStringLiteral("/v1/snapshots/%1/export").arg(id));
    if (r.status != 200)
        return failed(QStringLiteral("POST export"), r);
    r = api("POST", QStringLiteral("/v1/snapshots/%1/connection").arg(id));
    if (r.status != 200)
        return failed(QStringLiteral("POST connection"), r);
    data = r.json().value(QStringLiteral("connection")).toObject().value(QStringLiteral("data")).toObject();
    const int port = data.value(QStringLiteral("port")).toInt();
    if (data.value(QStringLiteral("host")).toString() != kHost || port < m_exportFirst || port >= m_exportFirst + kExportPorts)
        return failed(QStringLiteral("the connection is not the forwarded 127.0.0.1 port (export_public_address)"), r);
    return true;
}

QString TestLvm::withExport(const QString &backupId, QString (TestLvm::*scenario)(const QJsonObject &, const QJsonObject &))
{
    QString why;
    QJsonObject snapshot, data;
    if (!exportSnapshot(backupId, snapshot, data, &why))
        return QStringLiteral("FAIL ") + why;
    return (this->*scenario)(snapshot, data);
}

// a1: snapshot of the in-use LV, exported, read from the host through hostfwd with core's
// NbdSource, bytes equal to the snapshot LV in the guest; then everything torn down.
QString TestLvm::agentExportScenario(const QJsonObject &snapshot, const QJsonObject &data)
{
    QString why;
    const QString id = snapshot.value(QStringLiteral("id")).toString();
    QCryptographicHash hash(QCryptographicHash::Sha256);
    QElapsedTimer timer;
    timer.start();
    try {
        ndb::NbdSource source(nbdProperties(data));
        if (source.size() != kLvSize)
            return QStringLiteral("FAIL the export is %1 bytes, the LV %2").arg(source.size()).arg(kLvSize);
        const qint64 chunk = kChunk;
        const auto buffer = readBuffer();
        for (qint64 offset = 0; offset < source.size(); offset += chunk) {
            const qint64 n = source.readAt(buffer.get(), qMin(chunk, source.size() - offset), offset);
            hash.addData(QByteArrayView(buffer.get(), n));
        }
    } catch (const ndb::Error &e) {
        return QStringLiteral("FAIL reading the export from the host: ") + e.message();
    }
    const double seconds = timer.elapsed() / 1000.0;
    const QString guestSum = askGuest(QStringLiteral("sha256 ") + snapshot.value(QStringLiteral("name")).toString(), &why);
    if (!why.isEmpty())
        return QStringLiteral("FAIL ") + why;
    if (guestSum != QString::fromLatin1(hash.result().toHex()))
        return QStringLiteral("FAIL read %1, the snapshot LV in the guest is %2").arg(QString::fromLatin1(hash.result().toHex()), guestSum);

    ndbtest::ApiResponse r = api("DELETE", QStringLiteral("/v1/snapshots/%1/connection").arg(id));
    if (r.status != 204)
        return QStringLiteral("FAIL DELETE connection: %1 %2").arg(r.status).arg(QString::fromUtf8(r.body));
    const QString servers = askGuest(QStringLiteral("nbdkit"), &why);
    if (!why.isEmpty() || !servers.isEmpty())
        return QStringLiteral("FAIL nbdkit still runs after terminate: %1%2").arg(servers, why);
    r = api("DELETE", QStringLiteral("/v1/snapshots/%1/export").arg(id));
    if (r.status != 204)
        return QStringLiteral("FAIL DELETE export: %1 %2").arg(r.status).arg(QString::fromUtf8(r.body));
    r = api("DELETE", QStringLiteral("/v1/snapshots/%1").arg(id));
    if (r.status != 202)
        return QStringLiteral("FAIL DELETE snapshot: %1 %2").arg(r.status).arg(QString::fromUtf8(r.body));
    // The storage deletes it in the operation (on the agent's storage worker).
    QJsonObject deletion;
    r = waitOperation(r.json().value(QStringLiteral("operation")).toObject().value(QStringLiteral("id")).toString(), &deletion);
    if (deletion.value(QStringLiteral("status")).toString() != QLatin1String("succeeded"))
        return QStringLiteral("FAIL the snapshot's deletion: %1 %2").arg(r.status).arg(QString::fromUtf8(r.body));
    const QString left = askGuest(QStringLiteral("ourlvs"), &why);
    if (!why.isEmpty() || !left.isEmpty())
        return QStringLiteral("FAIL temporary LVs left in the guest: %1%2").arg(left, why);
    return QStringLiteral("PASS read %1 MiB of the snapshot of in-use a1 over NBD+TLS through hostfwd in %2 s, sha256 equal "
                          "to the guest's; no nbdkit, no snapshot LV left")
        .arg(kLvSize >> 20).arg(seconds, 0, 'f', 1);
}

// a2: the agent is killed while the host reads: the read fails (network error, no hang); the
// snapshot LV stays until the agent's restart reaps it.
QString TestLvm::agentKilledScenario(const QJsonObject &snapshot, const QJsonObject &data)
{
    QString why;
    const QString name = snapshot.value(QStringLiteral("name")).toString();
    QString readError;
    try {
        ndb::NbdSource source(nbdProperties(data));
        const qint64 chunk = kChunk;
        const auto buffer = readBuffer();
        source.readAt(buffer.get(), chunk, 0);
        const QString killed = askGuest(QStringLiteral("kill-agent"), &why);
        if (!why.isEmpty())
            return QStringLiteral("FAIL ") + why;
        qInfo().noquote() << "[host] guest:" << killed;
        for (qint64 offset = chunk; offset < source.size(); offset += chunk)
            source.readAt(buffer.get(), qMin(chunk, source.size() - offset), offset);
        return QStringLiteral("FAIL the whole export was read after the agent was killed");
    } catch (const ndb::Error &e) {
        if (e.kind() != ndb::ErrorKind::Network)
            return QStringLiteral("FAIL the read failed, but not as a network error: ") + e.message();
        readError = e.message();
    }
    const QString servers = askGuest(QStringLiteral("nbdkit"), &why);
    if (!why.isEmpty() || !servers.isEmpty())
        return QStringLiteral("FAIL nbdkit outlived the agent: %1%2").arg(servers, why);
    QString left = askGuest(QStringLiteral("ourlvs"), &why);
    if (!why.isEmpty() || !left.contains(name))
        return QStringLiteral("FAIL the snapshot LV %1 should stay until the agent restarts: %2%3").arg(name, left, why);
    const QString started = askGuest(QStringLiteral("start-agent"), &why);
    if (started != QLatin1String("started"))
        return QStringLiteral("FAIL restarting the agent: %1%2").arg(started, why);
    left = askGuest(QStringLiteral("ourlvs"), &why);
    if (!why.isEmpty() || !left.isEmpty())
        return QStringLiteral("FAIL the restarted agent did not reap: %1%2").arg(left, why);
    const ndbtest::ApiResponse r = api("GET", QStringLiteral("/v1/node"));
    if (r.status != 200)
        return QStringLiteral("FAIL the restarted agent does not answer: %1 %2").arg(r.status).arg(r.transportError);
    return QStringLiteral("PASS the host read failed: %1; the restart reaped %2").arg(readError, name);
}

void TestLvm::runAgentScenarios()
{
    const QStringList names{QStringLiteral("a1-agent-export"), QStringLiteral("a2-agent-killed"),
                            QStringLiteral("a3-console-backup"), QStringLiteral("a4-console-restore"),
                            QStringLiteral("a5-console-at-once"), QStringLiteral("a6-console-agent-killed")};
    // The host's agents start while the guest boots.
    if (!startHostNodes(&m_hostNodesWhy) && m_hostNodesWhy.isEmpty())
        m_hostNodesWhy = QStringLiteral("the host agents did not start");
    QString started;
    while (!m_guestDone && (started = readResult(QStringLiteral("a0-agent-start"))).isEmpty())
        QThread::msleep(250);
    if (!started.startsWith(QLatin1String("PASS"))) {
        for (const QString &name : names)
            writeResult(name, QStringLiteral("FAIL not run: the agent did not start in the guest (%1)")
                                  .arg(started.isEmpty() ? QStringLiteral("no a0 result") : started));
        return;
    }
    // Enrolment: the agent's certificate came through the results share; pin it.
    const QString agentCert = m_resultsDir + QStringLiteral("/agent-cert.pem");
    m_agentFingerprint = ndb::certificateFingerprint(QSslCertificate::fromPath(agentCert).value(0));
    QFile::remove(m_consoleTlsDir + QStringLiteral("/ca-cert.pem"));
    QFile::copy(agentCert, m_consoleTlsDir + QStringLiteral("/ca-cert.pem"));

    writeResult(names[0], withExport(QStringLiteral("g1"), &TestLvm::agentExportScenario));
    // The console: ndbackupctl pins the guest's agent as an administrator does (the fingerprint
    // came through the share), then backs up, restores, runs beside two more agents.
    const ndbtest::CtlRun trust = ctl({QStringLiteral("agent"), QStringLiteral("trust"), QStringLiteral("%1:%2").arg(kHost).arg(m_apiPort),
                                       QStringLiteral("--fingerprint"), m_agentFingerprint});
    if (trust.exitCode != 0) {
        for (const QString &name : names.mid(2))
            writeResult(name, QStringLiteral("FAIL not run: ndbackupctl agent trust exited %1: %2").arg(trust.exitCode).arg(trust.err.trimmed()));
    } else {
        writeResult(names[2], consoleBackupScenario());
        writeResult(names[3], consoleRestoreScenario());
        writeResult(names[4], consoleAtOnceScenario());
    }
    writeResult(names[1], withExport(QStringLiteral("g2"), &TestLvm::agentKilledScenario));
    if (trust.exitCode == 0)
        writeResult(names[5], consoleAgentKilledScenario());
    QString why;
    askGuest(QStringLiteral("done"), &why);
}

ndbtest::CtlRun TestLvm::ctl(const QStringList &args, int timeoutMs) const
{
    return m_ctl.run(QStringList{QStringLiteral("--config"), m_ctlConfig, QStringLiteral("--no-progress")} + args, timeoutMs);
}

std::unique_ptr<QProcess> TestLvm::startCtl(const QStringList &args) const
{
    auto p = std::make_unique<QProcess>();
    p->setProcessEnvironment(m_ctl.environment());
    p->start(ndbtest::ctlPath(), m_ctl.globalArgs() + QStringList{QStringLiteral("--config"), m_ctlConfig, QStringLiteral("--no-progress")} + args);
    return p;
}

QString TestLvm::consoleVolumeId(const QString &host, const QString &name, const QStringList &extra, QString *why)
{
    const ndbtest::CtlRun r = ctl(extra + QStringList{QStringLiteral("--json"), QStringLiteral("volumes")});
    for (const QJsonValue v : QJsonDocument::fromJson(r.out.toUtf8()).array())
        if (v.toObject().value(QStringLiteral("host")).toString() == host && v.toObject().value(QStringLiteral("name")).toString() == name)
            return v.toObject().value(QStringLiteral("id")).toString();
    *why = QStringLiteral("ndbackupctl volumes lists no %1 on %2 (exit %3): %4 %5").arg(name, host).arg(r.exitCode).arg(r.out, r.err);
    return {};
}

QString TestLvm::checkGuestBackup(const QString &id, const QString &logPosition, QString *why)
{
    const QString file = id + QStringLiteral(".img");
    const ndbtest::CtlRun r = ctl({QStringLiteral("backup"), QStringLiteral("restore"), id, QStringLiteral("--to-file"),
                                   m_resultsDir + QLatin1Char('/') + file});
    if (r.exitCode != 0) {
        *why = QStringLiteral("restore --to-file of %1 exited %2: %3").arg(id).arg(r.exitCode).arg(r.err.trimmed());
        return {};
    }
    const QString answer = askGuest(QStringLiteral("check-files %1 %2").arg(file, logPosition), why);
    if (why->isEmpty() && !answer.startsWith(QLatin1String("ok:")))
        *why = QStringLiteral("backup %1 of the written a1: %2").arg(id, answer);
    return answer;
}

// a3: ndbackupctl backs up the guest's in-use a1 (the writer running) through the agent: a
// snapshot, recorded so; it verifies; restored, it holds every file written before it began.
QString TestLvm::consoleBackupScenario()
{
    QString why;
    const QString volume = consoleVolumeId(kGuestNode, QStringLiteral("a1"), {}, &why);
    if (volume.isEmpty())
        return QStringLiteral("FAIL ") + why;
    ndbtest::CtlRun r = ctl({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), volume});
    if (r.exitCode != 3 || !r.err.contains(QLatin1String("Backing up an in-use volume must use the force flag.")))
        return QStringLiteral("FAIL without --force: exit %1 (expected 3): %2").arg(r.exitCode).arg(r.err.trimmed());
    const QString position = askGuest(QStringLiteral("logpos"), &why);
    if (!why.isEmpty())
        return QStringLiteral("FAIL ") + why;
    QElapsedTimer timer;
    timer.start();
    r = ctl({QStringLiteral("--json"), QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--force"),
             QStringLiteral("--volume"), volume});
    const double seconds = timer.elapsed() / 1000.0;
    if (r.exitCode != 0)
        return QStringLiteral("FAIL backup create --force exited %1: %2").arg(r.exitCode).arg(r.err.trimmed());
    const QJsonObject backup = QJsonDocument::fromJson(r.out.toUtf8()).object();
    const QString id = backup.value(QStringLiteral("id")).toString();
    if (backup.value(QStringLiteral("status")).toString() != QLatin1String("available")
        || backup.value(QStringLiteral("data_path")).toString() != QLatin1String("export")
        || backup.value(QStringLiteral("consistency")).toString() != ndb::Consistency::FrozenSnapshot)
        return QStringLiteral("FAIL expected an available export backup recorded as a frozen snapshot (lvm suspends the "
                              "mounted ext4): ") + r.out.trimmed();
    const QString status = m_ctl.queryOne(QStringLiteral("SELECT status FROM volumes WHERE id='%1'").arg(volume));
    if (status != QLatin1String("in-use"))
        return QStringLiteral("FAIL a1's status is %1 after the backup, not in-use").arg(status);
    const QString left = askGuest(QStringLiteral("ourlvs"), &why) + askGuest(QStringLiteral("nbdkit"), &why);
    if (!why.isEmpty() || !left.isEmpty())
        return QStringLiteral("FAIL left in the guest after the backup: %1%2").arg(left, why);
    r = ctl({QStringLiteral("backup"), QStringLiteral("verify"), id});
    if (r.exitCode != 0)
        return QStringLiteral("FAIL backup verify exited %1: %2").arg(r.exitCode).arg(r.err.trimmed());
    const QString check = checkGuestBackup(id, position, &why);
    if (!why.isEmpty())
        return QStringLiteral("FAIL ") + why;
    QFile restored(m_resultsDir + QLatin1Char('/') + id + QStringLiteral(".img"));
    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!restored.open(QIODevice::ReadOnly) || !hash.addData(&restored))
        return QStringLiteral("FAIL cannot read %1").arg(restored.fileName());
    m_guestBackupId = id;
    m_guestBackupSha = QString::fromLatin1(hash.result().toHex());
    return QStringLiteral("PASS ndbackupctl backed up in-use a1 on %1 in %2 s (export, consistency frozen-snapshot), verified; "
                          "without --force refused; restored: %3")
        .arg(kGuestNode).arg(seconds, 0, 'f', 1).arg(check);
}

// a4: restore a3's backup into a new LV on the guest through its agent, byte-equal.
QString TestLvm::consoleRestoreScenario()
{
    if (m_guestBackupId.isEmpty())
        return QStringLiteral("FAIL not run: a3 made no backup");
    QString why;
    const QString lv = QStringLiteral("a1-restored");
    const ndbtest::CtlRun r = ctl({QStringLiteral("backup"), QStringLiteral("restore"), m_guestBackupId, QStringLiteral("--new-volume"), lv,
                                   QStringLiteral("--driver"), QStringLiteral("remote:%1:%2").arg(kHost).arg(m_apiPort)});
    if (r.exitCode != 0)
        return QStringLiteral("FAIL backup restore --new-volume %1 --driver remote:... exited %2: %3").arg(lv).arg(r.exitCode).arg(r.err.trimmed());
    const QString sum = askGuest(QStringLiteral("sha256 ") + lv, &why);
    if (!why.isEmpty())
        return QStringLiteral("FAIL ") + why;
    if (sum != m_guestBackupSha)
        return QStringLiteral("FAIL the restored LV %1 has sha256 %2, the backup %3").arg(lv, sum, m_guestBackupSha);
    const QString left = askGuest(QStringLiteral("ourlvs"), &why) + askGuest(QStringLiteral("nbdkit"), &why);
    if (!why.isEmpty() || !left.isEmpty())
        return QStringLiteral("FAIL left in the guest after the restore: %1%2").arg(left, why);
    return QStringLiteral("PASS restored backup %1 into the new LV %2 on %3, sha256 equal to the backup's").arg(m_guestBackupId, lv, kGuestNode);
}

bool TestLvm::startHostNodes(QString *why)
{
    try {
        for (int i = 0; i < 2; ++i) {
            HostNode &n = m_hostNodes[i];
            const QString name = QStringLiteral("node%1").arg(i + 1);
            n.fs = std::make_unique<ndbtest::ScratchFilesystem>(m_ctl.path(), QStringLiteral("btrfs"), 256, name + QStringLiteral("fs"));
            const QString image = n.fs->mountPoint() + QStringLiteral("/busy%1.img").arg(i + 1);
            QFile busy(image);
            if (!busy.open(QIODevice::WriteOnly) || !busy.resize(24 << 20)) {
                *why = QStringLiteral("cannot create %1: %2").arg(image, busy.errorString());
                return false;
            }
            busy.close();
            if (!n.agent.configure(m_ctl.path(), QStringLiteral("127.0.0.%1").arg(i + 2), name, {n.fs->mountPoint()}, 30, i + 1, why)
                || !n.agent.start(why))
                return false;
        }
    } catch (const ndb::Error &e) {
        *why = e.message();
        return false;
    }
    return true;
}

QStringList TestLvm::hostNodeArgs() const
{
    QStringList args;
    for (const HostNode &n : m_hostNodes)
        args << QStringLiteral("--agent") << n.agent.addressText();
    return args;
}

// a5: one console, three forced backups of in-use volumes started together: busy1 on 127.0.0.2,
// busy2 on 127.0.0.3 (raw writers) and the guest's a1 (file writer); all complete and verify.
QString TestLvm::consoleAtOnceScenario()
{
    if (!m_hostNodesWhy.isEmpty())
        return QStringLiteral("FAIL the host agents: ") + m_hostNodesWhy;
    QString why;
    const QString consoleFingerprint = ctl({QStringLiteral("show-fingerprint")}).out.trimmed();
    for (HostNode &n : m_hostNodes) {
        QString out;
        if (n.agent.command({QStringLiteral("trust-console"), consoleFingerprint, QStringLiteral("--label"), QStringLiteral("tst_lvm")}, &out) != 0)
            return QStringLiteral("FAIL %1 trust-console: %2").arg(n.agent.nodeName, out);
        const ndbtest::CtlRun r = ctl({QStringLiteral("agent"), QStringLiteral("trust"), n.agent.addressText(),
                                       QStringLiteral("--fingerprint"), n.agent.fingerprint});
        if (r.exitCode != 0)
            return QStringLiteral("FAIL agent trust %1 exited %2: %3").arg(n.agent.addressText()).arg(r.exitCode).arg(r.err.trimmed());
    }
    // The writers run only here: they would take CPU from the guest for the whole run.
    for (int i = 0; i < 2; ++i) {
        HostNode &n = m_hostNodes[i];
        n.writerLog = m_ctl.filePath(n.agent.nodeName + QStringLiteral("-writer.log"));
        n.writer = ndbtest::startWriter(QStringLiteral("--raw"), n.fs->mountPoint() + QStringLiteral("/busy%1.img").arg(i + 1),
                                        n.writerLog, 50, why);
        if (!n.writer)
            return QStringLiteral("FAIL the writer on %1: %2").arg(n.agent.nodeName, why);
    }
    const struct StopWriters {
        HostNode *nodes;
        ~StopWriters()
        {
            QString ignored;
            for (int i = 0; i < 2; ++i)
                if (nodes[i].writer && ndbtest::stopWriter(*nodes[i].writer, ignored))
                    nodes[i].writer.reset();
        }
    } stopWriters{m_hostNodes};
    const QStringList hosts{QStringLiteral("node1"), QStringLiteral("node2"), kGuestNode};
    const QStringList names{QStringLiteral("busy1"), QStringLiteral("busy2"), QStringLiteral("a1")};
    // btrfs reflinks of raw images; the guest's lvm snapshot of a mounted ext4 (suspend freezes it).
    const QStringList consistency{ndb::Consistency::Snapshot, ndb::Consistency::Snapshot, ndb::Consistency::FrozenSnapshot};
    QStringList volumes;
    for (int i = 0; i < 3; ++i) {
        volumes << consoleVolumeId(hosts[i], names[i], hostNodeArgs(), &why);
        if (volumes.last().isEmpty())
            return QStringLiteral("FAIL ") + why;
    }
    const qint64 before[2] = {ndbtest::lastLoggedSeq(m_hostNodes[0].writerLog), ndbtest::lastLoggedSeq(m_hostNodes[1].writerLog)};
    const QString position = askGuest(QStringLiteral("logpos"), &why);
    if (!why.isEmpty())
        return QStringLiteral("FAIL ") + why;
    QElapsedTimer timer;
    timer.start();
    std::vector<std::unique_ptr<QProcess>> runs;
    for (const QString &volume : std::as_const(volumes))
        runs.push_back(startCtl(hostNodeArgs() + QStringList{QStringLiteral("--json"), QStringLiteral("backup"), QStringLiteral("create"),
                                                             QStringLiteral("--force"), QStringLiteral("--volume"), volume}));
    QStringList ids;
    for (int i = 0; i < 3; ++i) {
        QProcess &p = *runs[i];
        if (!p.waitForFinished(600000))
            return QStringLiteral("FAIL the backup of %1 on %2 did not finish in 600 s").arg(names[i], hosts[i]);
        const QByteArray out = p.readAllStandardOutput();
        if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
            return QStringLiteral("FAIL the backup of %1 on %2 exited %3: %4").arg(names[i], hosts[i]).arg(p.exitCode())
                .arg(QString::fromUtf8(p.readAllStandardError()).trimmed());
        const QJsonObject backup = QJsonDocument::fromJson(out).object();
        if (backup.value(QStringLiteral("status")).toString() != QLatin1String("available")
            || backup.value(QStringLiteral("consistency")).toString() != consistency[i])
            return QStringLiteral("FAIL the backup of %1 on %2 (expected available, %3): %4")
                .arg(names[i], hosts[i], consistency[i], QString::fromUtf8(out).trimmed());
        ids << backup.value(QStringLiteral("id")).toString();
    }
    const double seconds = timer.elapsed() / 1000.0;
    for (int i = 0; i < 3; ++i) {
        const ndbtest::CtlRun r = ctl(hostNodeArgs() + QStringList{QStringLiteral("backup"), QStringLiteral("verify"), ids[i]});
        if (r.exitCode != 0)
            return QStringLiteral("FAIL verify of %1's backup exited %2: %3").arg(names[i]).arg(r.exitCode).arg(r.err.trimmed());
        if (m_ctl.queryOne(QStringLiteral("SELECT status FROM volumes WHERE id='%1'").arg(volumes[i])) != QLatin1String("in-use"))
            return QStringLiteral("FAIL %1 on %2 is not in-use after its backup").arg(names[i], hosts[i]);
    }
    // The host writers' volumes: one point in time each, after everything logged before.
    for (int i = 0; i < 2; ++i) {
        const QString file = m_ctl.filePath(ids[i] + QStringLiteral(".img"));
        const ndbtest::CtlRun r = ctl({QStringLiteral("backup"), QStringLiteral("restore"), ids[i], QStringLiteral("--to-file"), file});
        if (r.exitCode != 0)
            return QStringLiteral("FAIL restore --to-file of %1's backup exited %2: %3").arg(names[i]).arg(r.exitCode).arg(r.err.trimmed());
        const ndbtest::WriterCheck c = ndbtest::checkRawPrefix(file, m_hostNodes[i].writerLog, before[i]);
        QFile::remove(file);
        if (!c.ok)
            return QStringLiteral("FAIL %1's backup: %2").arg(names[i], c.message);
    }
    const QString check = checkGuestBackup(ids[2], position, &why);
    if (!why.isEmpty())
        return QStringLiteral("FAIL ") + why;
    QFile::remove(m_resultsDir + QLatin1Char('/') + ids[2] + QStringLiteral(".img"));
    const QString left = askGuest(QStringLiteral("ourlvs"), &why) + askGuest(QStringLiteral("nbdkit"), &why);
    if (!why.isEmpty() || !left.isEmpty())
        return QStringLiteral("FAIL left in the guest: %1%2").arg(left, why);
    return QStringLiteral("PASS three forced backups at once (node1 busy1, node2 busy2, %1 a1) in %2 s, point in time each, verified; "
                          "raw writers one point in time; a1: %3")
        .arg(kGuestNode).arg(seconds, 0, 'f', 1).arg(check);
}

// a6: the guest's agent is killed while ndbackupctl reads its export: the job fails with exit 7
// naming the node; after the agent's restart nothing of the job is left and cleanup is clean.
QString TestLvm::consoleAgentKilledScenario()
{
    QString why;
    const QString volume = consoleVolumeId(kGuestNode, QStringLiteral("a1"), {}, &why);
    if (volume.isEmpty())
        return QStringLiteral("FAIL ") + why;
    // This job's row only: the earlier backups' jobs of a1 are long finished.
    const QString lastJob = m_ctl.queryOne(QStringLiteral("SELECT COALESCE(MAX(id), 0) FROM jobs"));
    // 0.2 MB/s: a1's ~6 MB of data take 30 s to read.
    auto run = startCtl({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--force"), QStringLiteral("--bandwidth"),
                         QStringLiteral("0.2"), QStringLiteral("--volume"), volume});
    if (!run->waitForStarted(30000))
        return QStringLiteral("FAIL ndbackupctl did not start: ") + run->errorString();
    // Mid-transfer: the job's phase in the console's catalog (written at once; its bytes_done is
    // saved too seldom to tell: twice the whole read had ended before bytes_done said anything).
    QElapsedTimer timer;
    timer.start();
    QString phase;
    while (phase != ndb::Phase::Transfer && run->state() == QProcess::Running && timer.elapsed() < 300000) {
        phase = m_ctl.queryOne(QStringLiteral("SELECT phase FROM jobs WHERE volume_id='%1' AND id > %2").arg(volume, lastJob));
        if (phase != ndb::Phase::Transfer)
            run->waitForFinished(300);
    }
    if (phase != ndb::Phase::Transfer) {
        run->kill();
        run->waitForFinished(10000);
        return QStringLiteral("FAIL the backup never reached its transfer: %1").arg(QString::fromUtf8(run->readAllStandardError()).trimmed());
    }
    QThread::msleep(1500); // reading
    const QString killed = askGuest(QStringLiteral("kill-agent"), &why);
    if (!why.isEmpty())
        return QStringLiteral("FAIL ") + why;
    qInfo().noquote() << "[host] guest:" << killed;
    if (!run->waitForFinished(300000)) {
        run->kill();
        run->waitForFinished(10000);
        return QStringLiteral("FAIL ndbackupctl did not end within 300 s of the agent's death");
    }
    const QString err = QString::fromUtf8(run->readAllStandardError()).trimmed();
    if (run->exitStatus() != QProcess::NormalExit || run->exitCode() != 7 || !err.contains(QStringLiteral("storage node ") + kGuestNode))
        return QStringLiteral("FAIL expected exit 7 naming storage node %1, got %2: %3").arg(kGuestNode).arg(run->exitCode()).arg(err);
    const QString backupStatus = m_ctl.queryOne(QStringLiteral("SELECT status FROM backups WHERE volume_id='%1' ORDER BY created_at DESC LIMIT 1").arg(volume));
    const QString volumeStatus = m_ctl.queryOne(QStringLiteral("SELECT status FROM volumes WHERE id='%1'").arg(volume));
    if (backupStatus != QLatin1String("error") || volumeStatus != QLatin1String("in-use"))
        return QStringLiteral("FAIL after the failure: backup %1 (expected error), a1 %2 (expected in-use)").arg(backupStatus, volumeStatus);
    const QString started = askGuest(QStringLiteral("start-agent"), &why);
    if (started != QLatin1String("started"))
        return QStringLiteral("FAIL restarting the agent: %1%2").arg(started, why);
    const QString left = askGuest(QStringLiteral("ourlvs"), &why) + askGuest(QStringLiteral("nbdkit"), &why);
    if (!why.isEmpty() || !left.isEmpty())
        return QStringLiteral("FAIL the restarted agent left: %1%2").arg(left, why);
    const ndbtest::CtlRun r = ctl({QStringLiteral("cleanup")});
    if (r.exitCode != 0)
        return QStringLiteral("FAIL cleanup exited %1: %2").arg(r.exitCode).arg((r.out + r.err).trimmed());
    const QString creating = m_ctl.queryOne(QStringLiteral("SELECT COUNT(*) FROM backups WHERE status IN ('creating','restoring','deleting')"));
    const QStringList connections = QDir(m_ctl.filePath(QStringLiteral("connections"))).entryList(QDir::AllEntries | QDir::NoDotAndDotDot);
    const QString after = askGuest(QStringLiteral("ourlvs"), &why);
    if (creating != QLatin1String("0") || !connections.isEmpty() || !after.isEmpty() || !why.isEmpty())
        return QStringLiteral("FAIL after cleanup: %1 unfinished backups, connections '%2', LVs '%3'%4")
            .arg(creating, connections.join(QLatin1Char(' ')), after, why);
    return QStringLiteral("PASS killed in the transfer, the job failed with exit 7 (%1); the restarted agent reaped "
                          "everything; cleanup clean").arg(err.section(QLatin1Char('\n'), -1));
}

void TestLvm::cleanupTestCase()
{
    QString why;
    for (HostNode &n : m_hostNodes) {
        if (n.writer)
            ndbtest::stopWriter(*n.writer, why);
        n.agent.stop();
        n.fs.reset();
    }
    m_ctl.tearDown();
    if (m_anyFailure && !m_console.isEmpty())
        qInfo().noquote() << "---- console (tail) ----\n" << m_console.right(4000);
}

QTEST_GUILESS_MAIN(TestLvm)
#include "tst_lvm.moc"
