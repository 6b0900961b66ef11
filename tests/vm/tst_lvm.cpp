// vm tier: real LVM in a qemu guest. One boot runs guest/scenarios.sh (all scenarios of the
// LVM issue) with the host's binaries through the shared root; each scenario writes
// <results>/<scenario>.result ("PASS ..." or "FAIL ..."), and every test function here checks one.
// The same boot is the remote LVM node of the agent tier: the guest runs ndbackup-agent over its
// VG (guest/agent-scenarios.sh) and this test, on the host, is the console (the a* scenarios).
#include "qemuguest.h"
#include "net/identity.h"
#include "support/agentapi.h"
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
#include <thread>

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
};

namespace {
const QString kHost = QStringLiteral("127.0.0.1");
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

    // The console's identity (the guest agent trusts its fingerprint) and the forwarded ports.
    try {
        m_consoleIdentity = ndb::TlsIdentity::loadOrCreate(m_work.filePath(QStringLiteral("console")),
                                                           QStringLiteral("tst_lvm console"));
    } catch (const ndb::Error &e) {
        QFAIL(qPrintable(e.message()));
    }
    m_consoleTlsDir = m_work.filePath(QStringLiteral("console-nbd"));
    QVERIFY(QDir().mkpath(m_consoleTlsDir));
    QVERIFY(QFile::copy(m_consoleIdentity.certificatePath, m_consoleTlsDir + QStringLiteral("/client-cert.pem")));
    QVERIFY(QFile::copy(m_consoleIdentity.keyPath, m_consoleTlsDir + QStringLiteral("/client-key.pem")));
    QVERIFY2(pickPorts(), "no four free ports on 127.0.0.1 for the guest's forwards");

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
    const QStringList names{QStringLiteral("a1-agent-export"), QStringLiteral("a2-agent-killed")};
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
    // Seam: when the console's RemoteDriver lands, the full backup of the guest's in-use LV (and its
    // restore into a new LV) runs here, through BackupService against 127.0.0.1:m_apiPort.
    writeResult(names[1], withExport(QStringLiteral("g2"), &TestLvm::agentKilledScenario));
    QString why;
    askGuest(QStringLiteral("done"), &why);
}

void TestLvm::cleanupTestCase()
{
    if (m_anyFailure && !m_console.isEmpty())
        qInfo().noquote() << "---- console (tail) ----\n" << m_console.right(4000);
}

QTEST_GUILESS_MAIN(TestLvm)
#include "tst_lvm.moc"
