// The agent as a storage node runs it: a real ndbackup-agent process on 127.0.0.2 with its own
// state directory and a btrfs image pool, consoles with certificates made by core/net's identity
// code, the API over mutual TLS, exports read with nbdcopy (libnbd) over NBD+TLS.
#include "net/identity.h"
#include "agent/support/agentnode.h" // portFree, processAlive
#include "support/agentapi.h"
#include "support/agentclient.h"
#include "support/ctlrunner.h"
#include "support/scratchfs.h"
#include "support/slowlvm.h"
#include "support/writercheck.h"
#include "util/error.h"
#include "volumes/nbd/nbdblockdevice.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QUrl>

#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <memory>
#include <unistd.h>

using namespace ndb;
using namespace ndbtest;

namespace {

const QHostAddress kAgentAddress(QStringLiteral("127.0.0.2"));

using Response = HttpAnswer;

// Empty when `r` is the error answer `status` of `kind` whose message mentions `needle`; else what it was.
QString expectError(const Response &r, int status, const QString &kind, const QString &needle)
{
    const QJsonObject e = r.json().value(QStringLiteral("error")).toObject();
    const QString message = e.value(QStringLiteral("message")).toString();
    if (r.status != status || e.value(QStringLiteral("kind")).toString() != kind || !message.contains(needle))
        return QStringLiteral("expected %1 %2 mentioning '%3', got %4 %5 %6")
            .arg(status).arg(kind, needle).arg(r.status).arg(QString::fromUtf8(r.body), r.transportError);
    return QString();
}

// A console: its identity and a TLS directory for libnbd (ca-cert.pem = the agent's certificate).
struct Console
{
    TlsIdentity identity;
    QString nbdTlsDir;
};

} // namespace

class TestAgent : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void trustedConsoleGetsNode();
    void handshakeRefusesUnknownMissingAndPlain();
    void exportServesSnapshotToItsConsoleOnly();
    void leaseExpiryReapsExportAndSnapshot();
    void killedAgentIsReapedAtRestart();
    void badInputChangesNothing();
    void enrolmentCommands();
    // Issue #12, the agent's side of restores and of pools without reflink.
    void operationsSurviveRestart();
    void storageCallsRunOffTheEventLoop();
    void poolWithoutReflinkExportsTemporaryClone();
    void restoreWritesThroughWritableExport();
    void writableExportFaults();
    void nodeCleanupLeavesLeasedTemporaries();
    void publicAddressIsWhatConsolesDial();
    void connectionRefusedWhenSnapshotIsGone();
    void consolesAndCinderShareOneArbiter();
    void cinderListDoesNotWaitForStorage();
    void shutdownDropsQueuedStorageCalls();
    void missingPoolDoesNotHideTheOthers();
    void badSnapshotIsNamedToItsReader();
    void idleReaperLeavesThePoolAlone();

private:
    void writeConfig(const QString &extra = {});
    // Restarts the agent with the volume group of a SlowLvm (in `lvm`) whose lvs takes
    // `seconds` while `marker` exists; creates the marker.
    void restartWithSlowLvm(int seconds, const QString &marker, std::unique_ptr<SlowLvm> &lvm);
    void startAgent();
    void stopAgent();
    Response request(const Console *console, const QByteArray &method, const QString &path,
                     const QByteArray &body = {}, const QByteArray &contentType = "application/json");
    Response raw(const Console &console, const QByteArray &bytes);
    QJsonObject listedVolume(const QString &name); // as GET /v1/volumes lists it; {} when it does not
    QString volumeId(const QString &name);
    // POST snapshot, poll the operation; returns the snapshot id (empty on failure, with a QFAIL-able message).
    // `*copy` (when given) receives the snapshot JSON of the operation's result.
    QString takeSnapshot(const QString &backupId, QString *why, const QString &volume = QStringLiteral("vol1"),
                         QJsonObject *copy = nullptr);
    // Polls operation `id` until it is no longer running (or `timeoutMs`); returns it.
    QJsonObject waitOperation(const QString &id, int timeoutMs = 20000);
    // POST `body` to `path` expecting 202 and polls the operation; returns it ({} with *why).
    QJsonObject runOperation(const QString &path, const QJsonObject &body, QString *why);
    QString volumeStatus(const QString &name);
    struct OpenExport
    {
        QString snapshot, exportId;
        QJsonObject data; // the connection's host, port, export_name
        qint64 nbdkitPid = 0;
    };
    // A snapshot of vol1 for `backupId`, exported and connected for m_console; the lease is
    // extended to `leaseSeconds` unless 0. False with *why when a step failed.
    bool openExport(const QString &backupId, int leaseSeconds, OpenExport &out, QString *why,
                    const QString &volume = QStringLiteral("vol1"));
    QStringList poolFiles() const;
    // The Cinder-compatible API as its clients call it: no client certificate, an API token.
    Response cinder(const QByteArray &method, const QString &path, const QByteArray &body = {});
    QString createToken();
    int tableCount(const QString &sql) const;
    bool nbdcopy(const Console &console, const QJsonObject &data, const QString &output, QString *why);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ScratchCleanup> m_cleanup;
    std::unique_ptr<ScratchFilesystem> m_fs;
    std::unique_ptr<ScratchFilesystem> m_ext4; // a pool without reflink: no snapshots
    QString m_pool;
    Console m_console;      // trusted by the agent
    Console m_otherConsole; // trusted by the agent too, but never asks for the export
    Console m_stranger;     // not trusted
    QString m_agentFingerprint;

    QString m_stateDir;
    QString m_configFile;
    quint16 m_apiPort = 0;
    quint16 m_exportFirst = 0;
    std::unique_ptr<QProcess> m_agent;
    int m_testNumber = 0;
    QString m_token;
};

void TestAgent::initTestCase()
{
    if (::geteuid() != 0)
        QFAIL("this test needs root for loop devices and mounts; run it as root");
    if (!QFileInfo(agentExecutable()).isExecutable())
        QFAIL(qPrintable(QStringLiteral("ndbackup-agent is not built at %1 (NDB_BUILD_DIR must point at the build tree)")
                             .arg(agentExecutable())));
    for (const char *tool : {"nbdkit", "nbdcopy"})
        if (QStandardPaths::findExecutable(QString::fromLatin1(tool)).isEmpty())
            QFAIL(qPrintable(QStringLiteral("%1 is not installed (resources/scripts/install-deps-debian.sh installs it)")
                                 .arg(QString::fromLatin1(tool))));
    if (writerExecutable().isEmpty())
        QFAIL("ndb-test-writer was not built (set NDB_BUILD_DIR or build the target)");
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_cleanup = std::make_unique<ScratchCleanup>(m_dir->path());
    NDB_TRY(m_fs = std::make_unique<ScratchFilesystem>(m_dir->path(), QStringLiteral("btrfs"), 200, QStringLiteral("poolfs")));
    m_pool = m_fs->mountPoint();
    // A volume with random contents, and one the writer will write to.
    QFile volume(m_pool + QStringLiteral("/vol1.img"));
    QVERIFY(volume.open(QIODevice::WriteOnly));
    QByteArray block(1 << 20, Qt::Uninitialized);
    for (int i = 0; i < 16; ++i) {
        QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(block.data()), block.size() / 4);
        QCOMPARE(volume.write(block), qint64(block.size()));
    }
    volume.close();
    QFile busy(m_pool + QStringLiteral("/busy.img"));
    QVERIFY(busy.open(QIODevice::WriteOnly) && busy.resize(8 << 20));
    NDB_TRY(m_ext4 = std::make_unique<ScratchFilesystem>(m_dir->path(), QStringLiteral("ext4"), 64, QStringLiteral("ext4pool")));
    // Random contents too: its temporary clone (data path 3) is compared with it.
    QFile plain(m_ext4->mountPoint() + QStringLiteral("/plain.img"));
    QVERIFY(plain.open(QIODevice::WriteOnly));
    for (int i = 0; i < 4; ++i) {
        QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(block.data()), block.size() / 4);
        QCOMPARE(plain.write(block), qint64(block.size()));
    }
    plain.close();

    for (auto [console, name] : {std::pair{&m_console, "console1"}, {&m_otherConsole, "console2"}, {&m_stranger, "stranger"}}) {
        const QString dir = m_dir->filePath(QString::fromLatin1(name));
        NDB_TRY(console->identity = TlsIdentity::loadOrCreate(dir, QString::fromLatin1(name)));
        console->nbdTlsDir = dir + QStringLiteral("/nbd");
        QVERIFY(QDir().mkpath(console->nbdTlsDir));
        QVERIFY(QFile::copy(console->identity.certificatePath, console->nbdTlsDir + QStringLiteral("/client-cert.pem")));
        QVERIFY(QFile::copy(console->identity.keyPath, console->nbdTlsDir + QStringLiteral("/client-key.pem")));
    }
    QVERIFY(m_console.identity.fingerprint() != m_stranger.identity.fingerprint());
    QVERIFY(QFileInfo(m_console.identity.keyPath).permissions() == (QFile::ReadOwner | QFile::WriteOwner | QFile::ReadUser | QFile::WriteUser));
}

void TestAgent::init()
{
    // Each test: a fresh agent (state directory, ports) over the same pool.
    ++m_testNumber;
    m_stateDir = m_dir->filePath(QStringLiteral("state%1").arg(m_testNumber));
    m_apiPort = 0;
    for (quint16 p = quint16(20000 + (::getpid() % 2000) * 20 + m_testNumber * 10); p < 65000 && !m_apiPort; p += 7)
        if (portFree(kAgentAddress, p) && portFree(kAgentAddress, p + 1) && portFree(kAgentAddress, p + 2)
            && portFree(kAgentAddress, p + 3) && portFree(kAgentAddress, p + 4))
            m_apiPort = p;
    QVERIFY(m_apiPort);
    m_exportFirst = m_apiPort + 1;
    m_configFile = m_dir->filePath(QStringLiteral("agent%1.conf").arg(m_testNumber));
    writeConfig();
    for (const Console *c : {&m_console, &m_otherConsole}) {
        QProcess trust;
        trust.start(agentExecutable(), {QStringLiteral("--config"), m_configFile, QStringLiteral("trust-console"),
                                  c->identity.fingerprint(), QStringLiteral("--label"), QStringLiteral("test console")});
        QVERIFY(trust.waitForFinished(30000));
        QVERIFY2(trust.exitCode() == 0, trust.readAllStandardError().constData());
    }
    startAgent();
}

void TestAgent::cleanup()
{
    stopAgent();
}

void TestAgent::writeConfig(const QString &extra)
{
    QFile conf(m_configFile);
    QVERIFY(conf.open(QIODevice::WriteOnly));
    conf.write(QStringLiteral("image_pools = %1, %6\nstate_dir = %2\nlisten = 127.0.0.2:%3\nexport_ports = %4-%5\nlease_seconds = 4\n")
                   .arg(m_pool, m_stateDir)
                   .arg(m_apiPort)
                   .arg(m_exportFirst)
                   .arg(m_exportFirst + 3)
                   .arg(m_ext4->mountPoint())
                   .toUtf8()
               + extra.toUtf8());
}

void TestAgent::restartWithSlowLvm(int seconds, const QString &marker, std::unique_ptr<SlowLvm> &lvm)
{
    QVERIFY(QFile(marker).open(QIODevice::WriteOnly));
    NDB_TRY(lvm = std::make_unique<SlowLvm>(m_dir->filePath(QStringLiteral("slowlvm%1").arg(m_testNumber)), seconds, marker));
    stopAgent();
    writeConfig(QStringLiteral("lvm_volume_groups = %1\n").arg(SlowLvm::volumeGroup()));
    startAgent();
}

void TestAgent::startAgent()
{
    m_agent = std::make_unique<QProcess>();
    QString why;
    QVERIFY2(startAgentProcess(*m_agent, m_configFile, &m_agentFingerprint, &why), qPrintable(why));
    // The consoles' libnbd trusts exactly this agent's certificate.
    for (Console *c : {&m_console, &m_otherConsole, &m_stranger}) {
        QFile::remove(c->nbdTlsDir + QStringLiteral("/ca-cert.pem"));
        QVERIFY(QFile::copy(m_stateDir + QStringLiteral("/identity/identity-cert.pem"), c->nbdTlsDir + QStringLiteral("/ca-cert.pem")));
    }
}

void TestAgent::stopAgent()
{
    if (!m_agent)
        return;
    stopAgentProcess(*m_agent);
    m_agent.reset();
}

Response TestAgent::request(const Console *console, const QByteArray &method, const QString &path, const QByteArray &body,
                            const QByteArray &contentType)
{
    const QByteArray bytes = agentRequestBytes(method, path, kAgentAddress.toString(), body, contentType);
    if (!console) {
        // No certificate at all.
        Console none;
        return raw(none, bytes);
    }
    return raw(*console, bytes);
}

Response TestAgent::raw(const Console &console, const QByteArray &bytes)
{
    return agentExchange(kAgentAddress.toString(), m_apiPort, &console.identity, m_agentFingerprint, bytes);
}

QJsonObject TestAgent::listedVolume(const QString &name)
{
    const Response r = request(&m_console, "GET", QStringLiteral("/v1/volumes"));
    for (const QJsonValue v : r.json().value(QStringLiteral("volumes")).toArray())
        if (v.toObject().value(QStringLiteral("name")).toString() == name)
            return v.toObject();
    return {};
}

QString TestAgent::volumeId(const QString &name)
{
    return listedVolume(name).value(QStringLiteral("id")).toString();
}

QString TestAgent::takeSnapshot(const QString &backupId, QString *why, const QString &volume, QJsonObject *copy)
{
    const QString id = volumeId(volume);
    const QJsonObject op = runOperation(QStringLiteral("/v1/volumes/%1/snapshots").arg(QString::fromLatin1(QUrl::toPercentEncoding(id))),
                                        QJsonObject{{QStringLiteral("backup_id"), backupId}, {QStringLiteral("name"), QStringLiteral("nightly")}},
                                        why);
    if (op.isEmpty())
        return {};
    const QJsonObject snapshot = op.value(QStringLiteral("result")).toObject().value(QStringLiteral("snapshot")).toObject();
    if (copy)
        *copy = snapshot;
    return snapshot.value(QStringLiteral("id")).toString();
}

QJsonObject TestAgent::waitOperation(const QString &id, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    QJsonObject op;
    do {
        op = request(&m_console, "GET", QStringLiteral("/v1/operations/") + id).json().value(QStringLiteral("operation")).toObject();
        if (op.value(QStringLiteral("status")).toString() != QLatin1String("running"))
            return op;
        QThread::msleep(100);
    } while (timer.elapsed() < timeoutMs);
    return op;
}

QJsonObject TestAgent::runOperation(const QString &path, const QJsonObject &body, QString *why)
{
    const Response r = request(&m_console, "POST", path, QJsonDocument(body).toJson());
    if (r.status != 202) {
        *why = QStringLiteral("POST %1: %2 %3 %4").arg(path).arg(r.status).arg(QString::fromUtf8(r.body), r.transportError);
        return {};
    }
    const QJsonObject op = waitOperation(r.json().value(QStringLiteral("operation")).toObject().value(QStringLiteral("id")).toString());
    if (op.value(QStringLiteral("status")).toString() != QLatin1String("succeeded")) {
        *why = QStringLiteral("operation of POST %1: %2").arg(path, QString::fromUtf8(QJsonDocument(op).toJson(QJsonDocument::Compact)));
        return {};
    }
    return op;
}

QString TestAgent::volumeStatus(const QString &name)
{
    const QJsonObject volume = listedVolume(name);
    return volume.isEmpty() ? QStringLiteral("(no volume %1)").arg(name) : volume.value(QStringLiteral("status")).toString();
}

bool TestAgent::openExport(const QString &backupId, int leaseSeconds, OpenExport &out, QString *why, const QString &volume)
{
    out.snapshot = takeSnapshot(backupId, why, volume);
    if (out.snapshot.isEmpty())
        return false;
    Response r = request(&m_console, "POST", QStringLiteral("/v1/snapshots/%1/export").arg(out.snapshot));
    out.exportId = r.json().value(QStringLiteral("export")).toObject().value(QStringLiteral("id")).toString();
    if (r.status != 200 || out.exportId.isEmpty()) {
        *why = QStringLiteral("POST export: %1 %2").arg(r.status).arg(QString::fromUtf8(r.body));
        return false;
    }
    if (leaseSeconds > 0) {
        r = request(&m_console, "POST", QStringLiteral("/v1/exports/%1/lease").arg(out.exportId),
                    QStringLiteral(R"({"seconds":%1})").arg(leaseSeconds).toUtf8());
        if (r.status != 200) {
            *why = QStringLiteral("POST lease: %1 %2").arg(r.status).arg(QString::fromUtf8(r.body));
            return false;
        }
    }
    r = request(&m_console, "POST", QStringLiteral("/v1/snapshots/%1/connection").arg(out.snapshot));
    out.data = r.json().value(QStringLiteral("connection")).toObject().value(QStringLiteral("data")).toObject();
    if (r.status != 200) {
        *why = QStringLiteral("POST connection: %1 %2").arg(r.status).arg(QString::fromUtf8(r.body));
        return false;
    }
    QFile pidFile(m_stateDir + QStringLiteral("/exports/") + out.exportId + QStringLiteral("/nbdkit.pid"));
    if (!pidFile.open(QIODevice::ReadOnly)) {
        *why = QStringLiteral("nbdkit wrote no pid file");
        return false;
    }
    out.nbdkitPid = pidFile.readAll().trimmed().toLongLong();
    return processAlive(out.nbdkitPid);
}

Response TestAgent::cinder(const QByteArray &method, const QString &path, const QByteArray &body)
{
    QByteArray bytes = agentRequestBytes(method, path, kAgentAddress.toString(), body);
    bytes.replace("Connection: close\r\n", "Connection: close\r\nX-Auth-Token: " + m_token.toLatin1() + "\r\n");
    Console none;
    return raw(none, bytes);
}

QString TestAgent::createToken()
{
    QProcess create;
    create.start(agentExecutable(), {QStringLiteral("--config"), m_configFile, QStringLiteral("token"), QStringLiteral("create"),
                                     QStringLiteral("t%1").arg(m_testNumber)});
    if (!create.waitForFinished(30000) || create.exitCode() != 0)
        return {};
    m_token = QString::fromLatin1(create.readAllStandardOutput()).trimmed();
    return m_token;
}

QStringList TestAgent::poolFiles() const
{
    // Without the image driver's reflink probe: its two files come and go within one probe, which
    // the agent's engine runs on a worker at start, at any moment of a test.
    QStringList files = QDir(m_pool).entryList(QDir::Files | QDir::Hidden, QDir::Name);
    files.removeIf([](const QString &f) { return f.startsWith(QLatin1String(".ndbackup-reflink-probe-")); });
    return files;
}

int TestAgent::tableCount(const QString &sql) const
{
    int count = -1;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("peek"));
        db.setDatabaseName(m_stateDir + QStringLiteral("/agent.sqlite"));
        if (db.open()) {
            QSqlQuery q(db);
            if (q.exec(sql) && q.next())
                count = q.value(0).toInt();
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(QStringLiteral("peek"));
    return count;
}

bool TestAgent::nbdcopy(const Console &console, const QJsonObject &data, const QString &output, QString *why)
{
    const QString uri = QStringLiteral("nbds://%1:%2/%3?tls-certificates=%4")
                            .arg(data.value(QStringLiteral("host")).toString())
                            .arg(data.value(QStringLiteral("port")).toInt())
                            .arg(data.value(QStringLiteral("export_name")).toString(), console.nbdTlsDir);
    QFile::remove(output);
    QProcess copy;
    copy.start(QStringLiteral("nbdcopy"), {uri, output});
    if (!copy.waitForFinished(60000)) {
        copy.kill();
        copy.waitForFinished();
        *why = QStringLiteral("nbdcopy did not finish");
        return false;
    }
    *why = QString::fromLocal8Bit(copy.readAllStandardError()).trimmed();
    return copy.exitStatus() == QProcess::NormalExit && copy.exitCode() == 0;
}

void TestAgent::trustedConsoleGetsNode()
{
    const Response r = request(&m_console, "GET", QStringLiteral("/v1/node"));
    QVERIFY2(r.status == 200, qPrintable(r.transportError + QString::fromUtf8(r.body)));
    const QJsonObject node = r.json();
    QCOMPARE(node.value(QStringLiteral("fingerprint")).toString(), m_agentFingerprint);
    QVERIFY(!node.value(QStringLiteral("version")).toString().isEmpty());
    QCOMPARE(node.value(QStringLiteral("drivers")).toArray().size(), 2);
    QVERIFY(!volumeId(QStringLiteral("vol1")).isEmpty());
    // The console's certificate is stored on its first handshake (nbdkit's CA for its exports).
    QVERIFY(QFileInfo::exists(m_stateDir + QStringLiteral("/consoles/") + m_console.identity.fingerprint().mid(7)
                              + QStringLiteral(".pem")));
}

void TestAgent::handshakeRefusesUnknownMissingAndPlain()
{
    // An untrusted certificate presented ends at the handshake.
    const Response stranger = request(&m_stranger, "GET", QStringLiteral("/v1/node"));
    QVERIFY2(stranger.status == 0, stranger.body.constData());
    qInfo("unknown console: %s", qPrintable(stranger.transportError));
    // No certificate at all is a client of the Cinder-compatible API: without a token it gets 401
    // on any path, and the console API never answers it.
    for (const QString &path : {QStringLiteral("/v1/node"), QStringLiteral("/v1/volumes"), QStringLiteral("/v3/p/volumes")}) {
        const Response none = request(nullptr, "GET", path);
        QVERIFY2(none.status == 401, qPrintable(QStringLiteral("%1: %2 %3").arg(path).arg(none.status).arg(none.transportError)));
        QVERIFY2(!none.body.contains("fingerprint") && !none.body.contains("vol1"), none.body.constData());
    }

    QTcpSocket plain;
    plain.connectToHost(kAgentAddress, m_apiPort);
    QVERIFY(plain.waitForConnected(5000));
    plain.write("GET /v1/node HTTP/1.1\r\nHost: 127.0.0.2\r\n\r\n");
    QByteArray in;
    while (plain.waitForReadyRead(3000))
        in += plain.readAll();
    QVERIFY2(!in.contains("HTTP/1.1") && !in.contains("fingerprint"), in.constData());
    // The stranger's certificate was not stored.
    QVERIFY(!QFileInfo::exists(m_stateDir + QStringLiteral("/consoles/") + m_stranger.identity.fingerprint().mid(7)
                               + QStringLiteral(".pem")));
    // And the agent still serves trusted consoles.
    QCOMPARE(request(&m_console, "GET", QStringLiteral("/v1/node")).status, 200);
}

void TestAgent::exportServesSnapshotToItsConsoleOnly()
{
    // A writer keeps writing the volume while it is snapshotted and read.
    const QString log = m_dir->filePath(QStringLiteral("writer.log"));
    QString error;
    auto writer = startWriter(QStringLiteral("--raw"), m_pool + QStringLiteral("/busy.img"), log, 200, error,
                              {QStringLiteral("--blocks"), QStringLiteral("1024"), QStringLiteral("--seed"), QStringLiteral("3")});
    QVERIFY2(writer, qPrintable(error));
    const qint64 before = lastLoggedSeq(log);
    const QString snapshot = takeSnapshot(QStringLiteral("b1"), &error, QStringLiteral("busy"));
    QVERIFY2(!snapshot.isEmpty(), qPrintable(error));
    const QString snapshotFile = m_pool + QStringLiteral("/ndbackup-snap-b1.img");
    QVERIFY(QFileInfo::exists(snapshotFile));
    // Retried with the same backup id: the same snapshot, not a second one.
    QCOMPARE(takeSnapshot(QStringLiteral("b1"), &error, QStringLiteral("busy")), snapshot);

    Response r = request(&m_console, "POST", QStringLiteral("/v1/snapshots/%1/export").arg(snapshot));
    QVERIFY2(r.status == 200, r.body.constData());
    const QString exportId = r.json().value(QStringLiteral("export")).toObject().value(QStringLiteral("id")).toString();
    QVERIFY(!exportId.isEmpty());
    QCOMPARE(request(&m_console, "POST", QStringLiteral("/v1/exports/%1/lease").arg(exportId), R"({"seconds":120})").status, 200);
    // Another console cannot take over the export.
    QCOMPARE(request(&m_otherConsole, "POST", QStringLiteral("/v1/snapshots/%1/export").arg(snapshot)).status, 409);

    r = request(&m_console, "POST", QStringLiteral("/v1/snapshots/%1/connection").arg(snapshot));
    QVERIFY2(r.status == 200, r.body.constData());
    const QJsonObject connection = r.json().value(QStringLiteral("connection")).toObject();
    QCOMPARE(connection.value(QStringLiteral("driver_volume_type")).toString(), QStringLiteral("nbd"));
    const QJsonObject data = connection.value(QStringLiteral("data")).toObject();
    QCOMPARE(data.value(QStringLiteral("tls")).toString(), QStringLiteral("x509"));
    QCOMPARE(data.value(QStringLiteral("host")).toString(), kAgentAddress.toString());
    const quint16 port = quint16(data.value(QStringLiteral("port")).toInt());
    QVERIFY(port >= m_exportFirst && port <= m_exportFirst + 3);
    // Idempotent: the same server.
    r = request(&m_console, "POST", QStringLiteral("/v1/snapshots/%1/connection").arg(snapshot));
    QCOMPARE(r.json().value(QStringLiteral("connection")).toObject().value(QStringLiteral("data")).toObject(), data);

    const QString copy = m_dir->filePath(QStringLiteral("copy.raw"));
    QVERIFY2(nbdcopy(m_console, data, copy, &error), qPrintable(error));
    QVERIFY(stopWriter(*writer, error));
    QCOMPARE(fileMd5(copy), fileMd5(snapshotFile));
    const WriterCheck check = checkRawPrefix(copy, log, before);
    QVERIFY2(check.ok, qPrintable(check.message));
    QVERIFY2(fileMd5(copy) != fileMd5(m_pool + QStringLiteral("/busy.img")), "the writer must have moved the volume on");
    QVERIFY2(check.lastLogged > check.maxSeq, "the writer must have gone on after the snapshot");

    // Other consoles' certificates, trusted by the agent or not, cannot connect to the export.
    QVERIFY(!nbdcopy(m_otherConsole, data, copy, &error));
    qInfo("other console refused by nbdkit: %s", qPrintable(error.left(200)));
    QVERIFY(!nbdcopy(m_stranger, data, copy, &error));
    // Nor can they end it: a terminate of theirs changes nothing.
    QCOMPARE(request(&m_otherConsole, "DELETE", QStringLiteral("/v1/snapshots/%1/connection").arg(snapshot)).status, 204);
    QVERIFY2(nbdcopy(m_console, data, copy, &error), qPrintable(error));

    const QString pidFile = m_stateDir + QStringLiteral("/exports/") + exportId + QStringLiteral("/nbdkit.pid");
    QFile pf(pidFile);
    QVERIFY(pf.open(QIODevice::ReadOnly));
    const qint64 nbdkitPid = pf.readAll().trimmed().toLongLong();
    QVERIFY(processAlive(nbdkitPid));
    for (int i = 0; i < 2; ++i) // terminate, then the replay
        QCOMPARE(request(&m_console, "DELETE", QStringLiteral("/v1/snapshots/%1/connection").arg(snapshot)).status, 204);
    QVERIFY(!processAlive(nbdkitPid));
    QVERIFY(portFree(kAgentAddress, port));
    QVERIFY(!QFileInfo::exists(m_stateDir + QStringLiteral("/exports/") + exportId)); // credentials ended with it
    for (int i = 0; i < 2; ++i)
        QCOMPARE(request(&m_console, "DELETE", QStringLiteral("/v1/snapshots/%1/export").arg(snapshot)).status, 204);
    QCOMPARE(tableCount(QStringLiteral("SELECT COUNT(*) FROM exports")), 0);
    for (int i = 0; i < 2; ++i) {
        r = request(&m_console, "DELETE", QStringLiteral("/v1/snapshots/%1").arg(snapshot));
        QVERIFY2(r.status == 202, r.body.constData());
        const QJsonObject op = waitOperation(r.json().value(QStringLiteral("operation")).toObject().value(QStringLiteral("id")).toString());
        QVERIFY2(op.value(QStringLiteral("status")).toString() == QLatin1String("succeeded"), QJsonDocument(op).toJson().constData());
    }
    QVERIFY(!QFileInfo::exists(snapshotFile));
}

void TestAgent::leaseExpiryReapsExportAndSnapshot()
{
    // The console opens the export and dies mid-read: nobody extends the lease (4 s here).
    QString error;
    OpenExport open;
    QVERIFY2(openExport(QStringLiteral("b2"), 0, open, &error), qPrintable(error));
    const QString exportId = open.exportId;
    const qint64 nbdkitPid = open.nbdkitPid;
    const quint16 port = quint16(open.data.value(QStringLiteral("port")).toInt());
    // The console dies mid-read: nbdcopy streams into a pipe nobody drains, so it stalls with
    // the export open, and is killed there.
    const QString fifo = m_dir->filePath(QStringLiteral("stalled.fifo"));
    QVERIFY(::mkfifo(QFile::encodeName(fifo).constData(), 0600) == 0);
    const int drain = ::open(QFile::encodeName(fifo).constData(), O_RDONLY | O_NONBLOCK); // never read
    QVERIFY(drain >= 0);
    QProcess reader;
    reader.start(QStringLiteral("nbdcopy"), {QStringLiteral("nbds://127.0.0.2:%1/%2?tls-certificates=%3")
                                                 .arg(port)
                                                 .arg(open.data.value(QStringLiteral("export_name")).toString(), m_console.nbdTlsDir),
                                             fifo});
    QVERIFY(reader.waitForStarted());
    QVERIFY2(!reader.waitForFinished(1500), reader.readAllStandardError().constData()); // stalled mid-read
    ::kill(pid_t(reader.processId()), SIGKILL);
    reader.waitForFinished();
    ::close(drain);

    const QString snapshotFile = m_pool + QStringLiteral("/ndbackup-snap-b2.img");
    QVERIFY(QFileInfo::exists(snapshotFile));
    QVERIFY(waitFor([&] { return !QFileInfo::exists(snapshotFile); }, 15000));
    QVERIFY(waitFor([&] { return !processAlive(nbdkitPid); }, 5000));
    QVERIFY(portFree(kAgentAddress, port));
    QCOMPARE(tableCount(QStringLiteral("SELECT COUNT(*) FROM exports")), 0);
    // An expired lease cannot be extended: the export is gone.
    const Response r = request(&m_console, "POST", QStringLiteral("/v1/exports/%1/lease").arg(exportId), R"({"seconds":60})");
    QCOMPARE(r.status, 404);
    QVERIFY(r.json().value(QStringLiteral("error")).toObject().value(QStringLiteral("message")).toString().contains(exportId));
}

void TestAgent::killedAgentIsReapedAtRestart()
{
    QString error;
    OpenExport open;
    QVERIFY2(openExport(QStringLiteral("b3"), 3600, open, &error), qPrintable(error));
    const QString exportId = open.exportId;
    const qint64 nbdkitPid = open.nbdkitPid;

    ::kill(pid_t(m_agent->processId()), SIGKILL);
    m_agent->waitForFinished(10000);
    m_agent.reset();
    QVERIFY2(waitFor([&] { return !processAlive(nbdkitPid); }, 10000), "nbdkit must die with the agent (--exit-with-parent)");
    const QString snapshotFile = m_pool + QStringLiteral("/ndbackup-snap-b3.img");
    QVERIFY(QFileInfo::exists(snapshotFile)); // until the agent comes back
    QCOMPARE(tableCount(QStringLiteral("SELECT COUNT(*) FROM exports")), 1);

    startAgent();
    QVERIFY(!QFileInfo::exists(snapshotFile));
    QCOMPARE(tableCount(QStringLiteral("SELECT COUNT(*) FROM exports")), 0);
    QCOMPARE(tableCount(QStringLiteral("SELECT COUNT(*) FROM snapshots WHERE deleted_at IS NULL")), 0);
    QVERIFY(!QFileInfo::exists(m_stateDir + QStringLiteral("/exports/") + exportId));
}

void TestAgent::badInputChangesNothing()
{
    const QStringList filesBefore = poolFiles();
    const QString volume = QString::fromLatin1(QUrl::toPercentEncoding(volumeId(QStringLiteral("vol1"))));
    const QString snapshots = QStringLiteral("/v1/volumes/%1/snapshots").arg(volume);
    QString why;
    why = expectError(request(&m_console, "POST", snapshots, R"({"backup_id": "b4",)"), 400, QStringLiteral("invalid"),
                      QStringLiteral("not valid JSON"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    why = expectError(request(&m_console, "POST", snapshots, R"(["b4"])"), 400, QStringLiteral("invalid"),
                      QStringLiteral("JSON object"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    why = expectError(request(&m_console, "POST", snapshots, R"({"backup_id":"b4","force":true})"), 400,
                      QStringLiteral("invalid"), QStringLiteral("unknown field 'force'"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    why = expectError(request(&m_console, "POST", snapshots, R"({"backup_id":5})"), 400, QStringLiteral("invalid"),
                      QStringLiteral("must be a string"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    why = expectError(request(&m_console, "POST", snapshots, R"({"backup_id":"../../etc/x"})"), 400,
                      QStringLiteral("invalid"), QStringLiteral("backup id"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    // Path traversal in the volume id: not a volume the drivers list.
    why = expectError(request(&m_console, "POST", QStringLiteral("/v1/volumes/%1/snapshots")
                                                      .arg(QString::fromLatin1(QUrl::toPercentEncoding(
                                                          QStringLiteral("image:") + m_pool + QStringLiteral("/../../etc/passwd")))),
                              R"({"backup_id":"b4"})"),
                      404, QStringLiteral("not-found"), QStringLiteral("passwd"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    why = expectError(request(&m_console, "DELETE", QStringLiteral("/v1/snapshots/..%2F..%2Fetc")), 400,
                      QStringLiteral("invalid"), QStringLiteral("snapshot id"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    why = expectError(request(&m_console, "DELETE", QStringLiteral("/v1/snapshots/no-such-snapshot")), 404,
                      QStringLiteral("not-found"), QStringLiteral("no-such-snapshot"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    why = expectError(request(&m_console, "POST", QStringLiteral("/v1/snapshots/no-such-snapshot/connection")), 404,
                      QStringLiteral("not-found"), QStringLiteral("no-such-snapshot"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    why = expectError(request(&m_console, "DELETE", QStringLiteral("/v1/snapshots/no-such-snapshot/connection")), 404,
                      QStringLiteral("not-found"), QStringLiteral("no-such-snapshot"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    why = expectError(request(&m_console, "GET", QStringLiteral("/v1/operations/nope")), 404, QStringLiteral("not-found"),
                      QStringLiteral("nope"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    why = expectError(request(&m_console, "POST", QStringLiteral("/v1/exports/nope/lease"), R"({"seconds":0})"), 400,
                      QStringLiteral("invalid"), QStringLiteral("between 1 and 3600"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    why = expectError(request(&m_console, "PUT", QStringLiteral("/v1/node"), "{}"), 405, QStringLiteral("invalid"),
                      QStringLiteral("PUT"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    why = expectError(request(&m_console, "POST", snapshots, R"({"backup_id":"b4"})", "text/plain"), 415,
                      QStringLiteral("invalid"), QStringLiteral("application/json"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    // Oversized body: refused from its Content-Length, before it is read.
    why = expectError(raw(m_console, "POST " + snapshots.toUtf8() + " HTTP/1.1\r\nContent-Type: application/json\r\n"
                                     "Content-Length: 2000000\r\n\r\n{"),
                      413, QStringLiteral("invalid"), QStringLiteral("1 MiB"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    why = expectError(raw(m_console, "POST " + snapshots.toUtf8() + " HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), 501,
                      QStringLiteral("invalid"), QStringLiteral("chunked"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    why = expectError(raw(m_console, "GET /v1/node HTTP/1.1\r\nX-Big: " + QByteArray(17000, 'a') + "\r\n\r\n"), 431,
                      QStringLiteral("invalid"), QStringLiteral("16 KiB"));
    QVERIFY2(why.isEmpty(), qPrintable(why));

    QCOMPARE(poolFiles(), filesBefore);
    QCOMPARE(tableCount(QStringLiteral("SELECT COUNT(*) FROM snapshots")), 0);
    QCOMPARE(tableCount(QStringLiteral("SELECT COUNT(*) FROM exports")), 0);
    // The agent still answers.
    QCOMPARE(request(&m_console, "GET", QStringLiteral("/v1/node")).status, 200);
}

void TestAgent::enrolmentCommands()
{
    const auto agent = [&](const QStringList &args, QString *out, QString *err) {
        QProcess p;
        p.start(agentExecutable(), QStringList{QStringLiteral("--config"), m_configFile} + args);
        p.waitForFinished(30000);
        *out = QString::fromUtf8(p.readAllStandardOutput());
        *err = QString::fromUtf8(p.readAllStandardError());
        return p.exitCode();
    };
    QString out, err;
    QCOMPARE(agent({QStringLiteral("show-fingerprint")}, &out, &err), 0);
    QCOMPARE(out.trimmed(), m_agentFingerprint);
    QCOMPARE(agent({QStringLiteral("list-consoles")}, &out, &err), 0);
    QVERIFY(out.contains(m_console.identity.fingerprint()) && out.contains(QStringLiteral("test console")));
    QCOMPARE(agent({QStringLiteral("trust-console"), QStringLiteral("SHA256:nothex")}, &out, &err), 2);
    QVERIFY2(err.contains(QStringLiteral("64 hex digits")), qPrintable(err));
    QCOMPARE(agent({QStringLiteral("forget-console"), m_otherConsole.identity.fingerprint()}, &out, &err), 0);
    QCOMPARE(agent({QStringLiteral("forget-console"), m_otherConsole.identity.fingerprint()}, &out, &err), 1);
    // A forgotten console is refused from its next connection on.
    QCOMPARE(request(&m_otherConsole, "GET", QStringLiteral("/v1/node")).status, 0);
    QCOMPARE(request(&m_console, "GET", QStringLiteral("/v1/node")).status, 200);
    // A second agent on the same state directory is refused, not allowed to reap the first's exports.
    QCOMPARE(agent({QStringLiteral("run")}, &out, &err), 1);
    QVERIFY2(err.contains(QStringLiteral("another ndbackup-agent")), qPrintable(err));
    QCOMPARE(agent({QStringLiteral("frobnicate")}, &out, &err), 2);
    QVERIFY(err.contains(QStringLiteral("unknown command")));
}

void TestAgent::operationsSurviveRestart()
{
    QString error;
    const Response r = request(&m_console, "POST",
                               QStringLiteral("/v1/volumes/%1/snapshots")
                                   .arg(QString::fromLatin1(QUrl::toPercentEncoding(volumeId(QStringLiteral("vol1"))))),
                               R"({"backup_id":"b10"})");
    QVERIFY2(r.status == 202, r.body.constData());
    const QString done = r.json().value(QStringLiteral("operation")).toObject().value(QStringLiteral("id")).toString();
    QJsonObject op = waitOperation(done);
    QCOMPARE(op.value(QStringLiteral("status")).toString(), QStringLiteral("succeeded"));
    const QJsonObject snapshot = op.value(QStringLiteral("result")).toObject().value(QStringLiteral("snapshot")).toObject();
    QCOMPARE(snapshot.value(QStringLiteral("kind")).toString(), QStringLiteral("snapshot"));
    // vol1 is not in use: its reflink copy is as good as reading it detached.
    QCOMPARE(snapshot.value(QStringLiteral("consistency")).toString(), QStringLiteral("detached"));

    // A storage call that is still running when the agent is killed: lvs answers only after 60 s.
    const QString marker = m_dir->filePath(QStringLiteral("lvm-slow"));
    std::unique_ptr<SlowLvm> lvm;
    restartWithSlowLvm(60, marker, lvm);
    if (QTest::currentTestFailed())
        return;
    // Kept across a clean restart too.
    QCOMPARE(waitOperation(done).value(QStringLiteral("status")).toString(), QStringLiteral("succeeded"));
    const Response slow = request(&m_console, "POST",
                                  QStringLiteral("/v1/volumes/%1/snapshots")
                                      .arg(QString::fromLatin1(QUrl::toPercentEncoding(SlowLvm::volumeId()))),
                                  R"({"backup_id":"b11"})");
    QVERIFY2(slow.status == 202, slow.body.constData());
    const QString interrupted = slow.json().value(QStringLiteral("operation")).toObject().value(QStringLiteral("id")).toString();
    QThread::msleep(500);
    ::kill(pid_t(m_agent->processId()), SIGKILL);
    m_agent->waitForFinished(10000);
    m_agent.reset();
    QFile::remove(marker);
    startAgent();

    op = waitOperation(done, 0);
    QCOMPARE(op.value(QStringLiteral("status")).toString(), QStringLiteral("succeeded"));
    QCOMPARE(op.value(QStringLiteral("result")).toObject().value(QStringLiteral("snapshot")).toObject().value(QStringLiteral("id")),
             snapshot.value(QStringLiteral("id")));
    op = waitOperation(interrupted, 0);
    QCOMPARE(op.value(QStringLiteral("status")).toString(), QStringLiteral("failed"));
    const QString message = op.value(QStringLiteral("error")).toObject().value(QStringLiteral("message")).toString();
    QVERIFY2(message.contains(QStringLiteral("the agent restarted during the operation")), qPrintable(message));
}

void TestAgent::storageCallsRunOffTheEventLoop()
{
    // lvs takes 4 s while the marker exists: a storage call that long must not hold the API up.
    const QString marker = m_dir->filePath(QStringLiteral("lvm-slow"));
    std::unique_ptr<SlowLvm> lvm;
    restartWithSlowLvm(4, marker, lvm);
    if (QTest::currentTestFailed())
        return;

    QElapsedTimer timer;
    timer.start();
    const Response r = request(&m_console, "POST",
                               QStringLiteral("/v1/volumes/%1/snapshots")
                                   .arg(QString::fromLatin1(QUrl::toPercentEncoding(SlowLvm::volumeId()))),
                               R"({"backup_id":"b12"})");
    QVERIFY2(r.status == 202, r.body.constData());
    QVERIFY2(timer.elapsed() < 2000, qPrintable(QStringLiteral("POST snapshots took %1 ms: it waited for the storage").arg(timer.elapsed())));
    const QString operation = r.json().value(QStringLiteral("operation")).toObject().value(QStringLiteral("id")).toString();
    // Meanwhile the node answers, and so does a poll, at once.
    timer.restart();
    const Response node = request(&m_console, "GET", QStringLiteral("/v1/node"));
    QCOMPARE(node.status, 200);
    const Response poll = request(&m_console, "GET", QStringLiteral("/v1/operations/") + operation);
    QVERIFY2(timer.elapsed() < 1500, qPrintable(QStringLiteral("GET /v1/node took %1 ms while lvs ran").arg(timer.elapsed())));
    QCOMPARE(poll.json().value(QStringLiteral("operation")).toObject().value(QStringLiteral("status")).toString(),
             QStringLiteral("running"));
    QFile::remove(marker);
    // The fake VG's LV is inactive: the operation fails, saying why, once lvs has answered.
    const QJsonObject op = waitOperation(operation, 30000);
    QCOMPARE(op.value(QStringLiteral("status")).toString(), QStringLiteral("failed"));
    QVERIFY2(op.value(QStringLiteral("error")).toObject().value(QStringLiteral("message")).toString().contains(QStringLiteral("vgslow")),
             QJsonDocument(op).toJson().constData());
    QCOMPARE(tableCount(QStringLiteral("SELECT COUNT(*) FROM snapshots WHERE deleted_at IS NULL")), 0);
}

void TestAgent::poolWithoutReflinkExportsTemporaryClone()
{
    // ext4 cannot snapshot: the agent takes data path 3, a temporary cloned volume, exported
    // read-only exactly like a snapshot.
    const QString plain = m_ext4->mountPoint() + QStringLiteral("/plain.img");
    const QString cloneFile = m_ext4->mountPoint() + QStringLiteral("/ndbackup-vol-b20.img");
    QString error;
    QJsonObject copy;
    OpenExport open;
    QVERIFY2(openExport(QStringLiteral("b20"), 120, open, &error, QStringLiteral("plain")), qPrintable(error));
    QJsonObject again;
    QCOMPARE(takeSnapshot(QStringLiteral("b20"), &error, QStringLiteral("plain"), &copy), open.snapshot); // idempotent
    QCOMPARE(copy.value(QStringLiteral("kind")).toString(), QStringLiteral("volume"));
    QCOMPARE(copy.value(QStringLiteral("name")).toString(), QStringLiteral("ndbackup-vol-b20"));
    QCOMPARE(copy.value(QStringLiteral("consistency")).toString(), QStringLiteral("detached")); // nobody used plain
    QVERIFY(QFileInfo::exists(cloneFile));
    QCOMPARE(open.data.value(QStringLiteral("writable")).toBool(), false);
    const QString out = m_dir->filePath(QStringLiteral("clone.raw"));
    QVERIFY2(nbdcopy(m_console, open.data, out, &error), qPrintable(error));
    QCOMPARE(fileMd5(out), fileMd5(plain));
    for (int i = 0; i < 2; ++i) {
        QCOMPARE(request(&m_console, "DELETE", QStringLiteral("/v1/snapshots/%1/connection").arg(open.snapshot)).status, 204);
        QCOMPARE(request(&m_console, "DELETE", QStringLiteral("/v1/snapshots/%1/export").arg(open.snapshot)).status, 204);
    }
    QVERIFY(!processAlive(open.nbdkitPid));
    const Response r = request(&m_console, "DELETE", QStringLiteral("/v1/snapshots/%1").arg(open.snapshot));
    QVERIFY2(r.status == 202, r.body.constData());
    QCOMPARE(waitOperation(r.json().value(QStringLiteral("operation")).toObject().value(QStringLiteral("id")).toString())
                 .value(QStringLiteral("status")).toString(),
             QStringLiteral("succeeded"));
    QVERIFY(!QFileInfo::exists(cloneFile));
    QVERIFY(QFileInfo::exists(plain));

    // A clone whose lease runs out is reaped like a snapshot: server, export, the clone itself.
    OpenExport lapsed;
    QVERIFY2(openExport(QStringLiteral("b21"), 0, lapsed, &error, QStringLiteral("plain")), qPrintable(error));
    const QString lapsedFile = m_ext4->mountPoint() + QStringLiteral("/ndbackup-vol-b21.img");
    QVERIFY(QFileInfo::exists(lapsedFile));
    QVERIFY(waitFor([&] { return !QFileInfo::exists(lapsedFile); }, 15000));
    QVERIFY(waitFor([&] { return !processAlive(lapsed.nbdkitPid); }, 5000));
    QCOMPARE(tableCount(QStringLiteral("SELECT COUNT(*) FROM exports")), 0);
    QCOMPARE(tableCount(QStringLiteral("SELECT COUNT(*) FROM snapshots WHERE deleted_at IS NULL")), 0);
    QCOMPARE(QDir(m_ext4->mountPoint()).entryList({QStringLiteral("ndbackup-*")}, QDir::Files), QStringList());
}

void TestAgent::restoreWritesThroughWritableExport()
{
    QString error;
    const qint64 size = 8 << 20;
    const QJsonObject created = runOperation(QStringLiteral("/v1/volumes"),
                                             QJsonObject{{QStringLiteral("driver"), QStringLiteral("image:") + m_pool},
                                                         {QStringLiteral("name"), QStringLiteral("target1")},
                                                         {QStringLiteral("size"), size}},
                                             &error);
    QVERIFY2(!created.isEmpty(), qPrintable(error));
    const QJsonObject volume = created.value(QStringLiteral("result")).toObject().value(QStringLiteral("volume")).toObject();
    QCOMPARE(volume.value(QStringLiteral("size")).toInteger(), size);
    const QString id = volume.value(QStringLiteral("id")).toString();
    QCOMPARE(id, volumeId(QStringLiteral("target1")));
    QCOMPARE(volumeStatus(QStringLiteral("target1")), QStringLiteral("available"));
    const QString path = QStringLiteral("/v1/volumes/%1/").arg(QString::fromLatin1(QUrl::toPercentEncoding(id)));

    Response r = request(&m_console, "POST", path + QStringLiteral("export"));
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(r.json().value(QStringLiteral("export")).toObject().value(QStringLiteral("writable")).toBool(), true);
    const QString exportId = r.json().value(QStringLiteral("export")).toObject().value(QStringLiteral("id")).toString();
    QCOMPARE(request(&m_console, "POST", path + QStringLiteral("export")).json().value(QStringLiteral("export")).toObject()
                 .value(QStringLiteral("id")).toString(),
             exportId); // idempotent
    QCOMPARE(request(&m_console, "POST", QStringLiteral("/v1/exports/%1/lease").arg(exportId), R"({"seconds":120})").status, 200);
    QCOMPARE(volumeStatus(QStringLiteral("target1")), QStringLiteral("restoring-backup"));
    // Nobody else writes it, and it is not backed up while it is being restored.
    QCOMPARE(request(&m_otherConsole, "POST", path + QStringLiteral("export")).status, 409);
    QCOMPARE(request(&m_console, "POST", path + QStringLiteral("snapshots"), R"({"backup_id":"b30"})").status, 409);

    r = request(&m_console, "POST", path + QStringLiteral("connection"));
    QVERIFY2(r.status == 200, r.body.constData());
    const QJsonObject data = r.json().value(QStringLiteral("connection")).toObject().value(QStringLiteral("data")).toObject();
    QCOMPARE(data.value(QStringLiteral("writable")).toBool(), true);
    QCOMPARE(volumeStatus(QStringLiteral("target1")), QStringLiteral("restoring-backup"));

    // core's NbdSink writes the pattern through the agent's export: random data, a zero region
    // in the middle, random data again.
    QByteArray pattern(int(size), Qt::Uninitialized);
    QRandomGenerator(12).fillRange(reinterpret_cast<quint32 *>(pattern.data()), pattern.size() / 4);
    std::memset(pattern.data() + (3 << 20), 0, 2 << 20);
    try {
        NbdConnectionProperties properties;
        properties.host = data.value(QStringLiteral("host")).toString();
        properties.port = quint16(data.value(QStringLiteral("port")).toInt());
        properties.exportName = data.value(QStringLiteral("export_name")).toString();
        properties.certificatesDir = m_console.nbdTlsDir;
        NbdSink sink(properties);
        QCOMPARE(sink.size(), size);
        sink.writeAt(pattern.constData(), 3 << 20, 0);
        sink.writeZeroes(2 << 20, 3 << 20);
        sink.writeAt(pattern.constData() + (5 << 20), 3 << 20, 5 << 20);
        sink.finish();
    } catch (const Error &e) {
        QFAIL(qPrintable(QStringLiteral("NbdSink through the agent's export: %1").arg(e.message())));
    }
    for (int i = 0; i < 2; ++i) // terminate, remove, and their replays
        QCOMPARE(request(&m_console, "DELETE", path + QStringLiteral("connection")).status, 204);
    QCOMPARE(volumeStatus(QStringLiteral("target1")), QStringLiteral("restoring-backup"));
    for (int i = 0; i < 2; ++i)
        QCOMPARE(request(&m_console, "DELETE", path + QStringLiteral("export")).status, 204);
    QCOMPARE(volumeStatus(QStringLiteral("target1")), QStringLiteral("available"));
    QCOMPARE(tableCount(QStringLiteral("SELECT COUNT(*) FROM exports")), 0);
    QFile target(m_pool + QStringLiteral("/target1.img"));
    QVERIFY(target.open(QIODevice::ReadOnly));
    QVERIFY2(target.readAll() == pattern, "the volume file holds what NbdSink wrote");
    // Replays after the end change nothing.
    QCOMPARE(request(&m_console, "DELETE", path + QStringLiteral("connection")).status, 204);
    QCOMPARE(request(&m_console, "DELETE", path + QStringLiteral("export")).status, 204);
    QCOMPARE(fileMd5(target.fileName()), QByteArray(QCryptographicHash::hash(pattern, QCryptographicHash::Md5).toHex()));
    QCOMPARE(volumeStatus(QStringLiteral("target1")), QStringLiteral("available"));
}

void TestAgent::writableExportFaults()
{
    const QStringList before = poolFiles();
    const QString driver = QStringLiteral("image:") + m_pool;
    const auto create = [&](const QString &json) { return request(&m_console, "POST", QStringLiteral("/v1/volumes"), json.toUtf8()); };
    QString why = expectError(create(QStringLiteral(R"({"driver":"%1","name":"../../etc/x","size":1048576})").arg(driver)), 400,
                              QStringLiteral("invalid"), QStringLiteral("volume name"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    why = expectError(create(QStringLiteral(R"({"driver":"%1","name":"ndbackup-vol-x","size":1048576})").arg(driver)), 400,
                      QStringLiteral("invalid"), QStringLiteral("ndbackup-"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    // Larger than the pool's free space (the btrfs pool has 200 MiB), and larger than any volume.
    why = expectError(create(QStringLiteral(R"({"driver":"%1","name":"huge","size":%2})").arg(driver).arg(qint64(1) << 40)), 400,
                      QStringLiteral("invalid"), QStringLiteral("free"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    why = expectError(create(QStringLiteral(R"({"driver":"%1","name":"huge","size":%2})").arg(driver).arg(qint64(1) << 50)), 400,
                      QStringLiteral("invalid"), QStringLiteral("size"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    why = expectError(create(QStringLiteral(R"({"driver":"%1","name":"odd","size":1000})").arg(driver)), 400,
                      QStringLiteral("invalid"), QStringLiteral("512"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    why = expectError(create(QStringLiteral(R"({"driver":"lvm:nosuchvg","name":"x","size":1048576})")), 404,
                      QStringLiteral("not-found"), QStringLiteral("lvm:nosuchvg"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    why = expectError(create(QStringLiteral(R"({"driver":"%1","name":"x","size":1048576,"path":"/tmp"})").arg(driver)), 400,
                      QStringLiteral("invalid"), QStringLiteral("unknown field 'path'"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    // A writable export of a temporary, or of a volume that is not there.
    why = expectError(request(&m_console, "POST", QStringLiteral("/v1/volumes/%1/export")
                                                      .arg(QString::fromLatin1(QUrl::toPercentEncoding(driver + QStringLiteral("/ndbackup-snap-x"))))),
                      400, QStringLiteral("invalid"), QStringLiteral("ndbackup-"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    why = expectError(request(&m_console, "POST", QStringLiteral("/v1/volumes/%1/export")
                                                      .arg(QString::fromLatin1(QUrl::toPercentEncoding(driver + QStringLiteral("/../../etc/passwd"))))),
                      404, QStringLiteral("not-found"), QStringLiteral("passwd"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    QCOMPARE(poolFiles(), before);
    QCOMPARE(tableCount(QStringLiteral("SELECT COUNT(*) FROM operations")), 0);
    QCOMPARE(tableCount(QStringLiteral("SELECT COUNT(*) FROM exports")), 0);

    // A volume in use (a writer holds it) or being backed up (a temporary copy of it exists) is
    // no restore target.
    QString error;
    const QString log = m_dir->filePath(QStringLiteral("writer-faults.log"));
    auto writer = startWriter(QStringLiteral("--raw"), m_pool + QStringLiteral("/busy.img"), log, 200, error,
                              {QStringLiteral("--blocks"), QStringLiteral("1024"), QStringLiteral("--seed"), QStringLiteral("5")});
    QVERIFY2(writer, qPrintable(error));
    why = expectError(request(&m_console, "POST", QStringLiteral("/v1/volumes/%1/export")
                                                      .arg(QString::fromLatin1(QUrl::toPercentEncoding(volumeId(QStringLiteral("busy")))))),
                      409, QStringLiteral("refused"), QStringLiteral("in-use"));
    QVERIFY(stopWriter(*writer, error));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    const QString copy = takeSnapshot(QStringLiteral("b31"), &error);
    QVERIFY2(!copy.isEmpty(), qPrintable(error));
    why = expectError(request(&m_console, "POST", QStringLiteral("/v1/volumes/%1/export")
                                                      .arg(QString::fromLatin1(QUrl::toPercentEncoding(volumeId(QStringLiteral("vol1")))))),
                      409, QStringLiteral("refused"), QStringLiteral("being backed up"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    const Response deleted = request(&m_console, "DELETE", QStringLiteral("/v1/snapshots/%1").arg(copy));
    QCOMPARE(waitOperation(deleted.json().value(QStringLiteral("operation")).toObject().value(QStringLiteral("id")).toString())
                 .value(QStringLiteral("status")).toString(),
             QStringLiteral("succeeded"));
    QCOMPARE(tableCount(QStringLiteral("SELECT COUNT(*) FROM exports")), 0);

    // An existing name: the operation fails as refused, the volume is untouched.
    const QString vol1 = m_pool + QStringLiteral("/vol1.img");
    const QByteArray vol1Md5 = fileMd5(vol1);
    const Response existing = create(QStringLiteral(R"({"driver":"%1","name":"vol1","size":1048576})").arg(driver));
    QCOMPARE(existing.status, 202);
    const QJsonObject failed = waitOperation(existing.json().value(QStringLiteral("operation")).toObject().value(QStringLiteral("id")).toString());
    QCOMPARE(failed.value(QStringLiteral("error")).toObject().value(QStringLiteral("kind")).toString(), QStringLiteral("refused"));
    QCOMPARE(fileMd5(vol1), vol1Md5);

    // A writable export whose lease runs out (4 s here, nobody extends it) is reaped: nbdkit
    // stopped, the export gone, the volume available again.
    const QString path = QStringLiteral("/v1/volumes/%1/").arg(QString::fromLatin1(QUrl::toPercentEncoding(volumeId(QStringLiteral("vol1")))));
    Response r = request(&m_console, "POST", path + QStringLiteral("export"));
    QVERIFY2(r.status == 200, r.body.constData());
    const QString exportId = r.json().value(QStringLiteral("export")).toObject().value(QStringLiteral("id")).toString();
    r = request(&m_console, "POST", path + QStringLiteral("connection"));
    QVERIFY2(r.status == 200, r.body.constData());
    const quint16 port = quint16(r.json().value(QStringLiteral("connection")).toObject().value(QStringLiteral("data")).toObject()
                                     .value(QStringLiteral("port")).toInt());
    QFile pidFile(m_stateDir + QStringLiteral("/exports/") + exportId + QStringLiteral("/nbdkit.pid"));
    QVERIFY(pidFile.open(QIODevice::ReadOnly));
    const qint64 nbdkitPid = pidFile.readAll().trimmed().toLongLong();
    QVERIFY(processAlive(nbdkitPid));
    QCOMPARE(volumeStatus(QStringLiteral("vol1")), QStringLiteral("restoring-backup"));
    QVERIFY(waitFor([&] { return tableCount(QStringLiteral("SELECT COUNT(*) FROM exports")) == 0; }, 15000));
    QVERIFY(waitFor([&] { return !processAlive(nbdkitPid); }, 5000));
    QVERIFY(portFree(kAgentAddress, port));
    QCOMPARE(volumeStatus(QStringLiteral("vol1")), QStringLiteral("available"));
    QCOMPARE(request(&m_console, "POST", QStringLiteral("/v1/exports/%1/lease").arg(exportId), R"({"seconds":60})").status, 404);
    // The replayed terminate and remove of the reaped export: idempotent, nothing changed.
    QCOMPARE(request(&m_console, "DELETE", path + QStringLiteral("connection")).status, 204);
    QCOMPARE(request(&m_console, "DELETE", path + QStringLiteral("export")).status, 204);
    QCOMPARE(fileMd5(vol1), vol1Md5);
    QCOMPARE(poolFiles(), before);
    QVERIFY(!QFileInfo::exists(m_stateDir + QStringLiteral("/exports/") + exportId));
}

// Behind NAT (the qemu guest's hostfwd) nbdkit binds one address and consoles dial another:
// the connection names export_public_address, and the certificate must name it too.
void TestAgent::publicAddressIsWhatConsolesDial()
{
    stopAgent();
    QFile conf(m_configFile);
    QVERIFY(conf.open(QIODevice::Append));
    conf.write("export_public_address = 127.0.0.3\n");
    conf.close();
    // The identity made by init()'s start does not name 127.0.0.3: refused, saying what to do.
    QProcess refused;
    refused.start(agentExecutable(), {QStringLiteral("run"), QStringLiteral("--config"), m_configFile});
    QVERIFY(refused.waitForFinished(30000));
    const QString err = QString::fromUtf8(refused.readAllStandardError());
    QVERIFY2(refused.exitCode() != 0 && err.contains(QStringLiteral("does not name 127.0.0.3"))
                 && err.contains(QStringLiteral("fingerprint changes")),
             qPrintable(err));

    QVERIFY(QDir(m_stateDir + QStringLiteral("/identity")).removeRecursively());
    startAgent();
    QVERIFY(m_agent);
    const QSslCertificate certificate = QSslCertificate::fromPath(m_stateDir + QStringLiteral("/identity/identity-cert.pem")).value(0);
    QVERIFY2(certificate.subjectAlternativeNames().values(QSsl::IpAddressEntry).contains(QStringLiteral("127.0.0.3")),
             qPrintable(QStringList(certificate.subjectAlternativeNames().values()).join(QLatin1Char(' '))));

    QString error;
    OpenExport open;
    QVERIFY2(openExport(QStringLiteral("pub1"), 0, open, &error), qPrintable(error));
    QCOMPARE(open.data.value(QStringLiteral("host")).toString(), QStringLiteral("127.0.0.3"));
    // nbdkit still binds export_address (here the listen address).
    QJsonObject bound = open.data;
    bound[QStringLiteral("host")] = kAgentAddress.toString();
    const QString copy = m_dir->filePath(QStringLiteral("pub1.img"));
    QVERIFY2(nbdcopy(m_console, bound, copy, &error), qPrintable(error));
    QCOMPARE(fileMd5(copy), fileMd5(m_pool + QStringLiteral("/vol1.img")));
}

// nbdkit serves a snapshot's local path (an image file, an LVM snapshot's block device); when
// that is gone the connection says so instead of starting a server over nothing.
void TestAgent::connectionRefusedWhenSnapshotIsGone()
{
    QString error;
    const QString snapshot = takeSnapshot(QStringLiteral("gone1"), &error);
    QVERIFY2(!snapshot.isEmpty(), qPrintable(error));
    QCOMPARE(request(&m_console, "POST", QStringLiteral("/v1/snapshots/%1/export").arg(snapshot)).status, 200);
    QVERIFY(QFile::remove(m_pool + QStringLiteral("/ndbackup-snap-gone1.img")));
    const Response r = request(&m_console, "POST", QStringLiteral("/v1/snapshots/%1/connection").arg(snapshot));
    QCOMPARE(r.status, 500);
    const QString message = r.json().value(QStringLiteral("error")).toObject().value(QStringLiteral("message")).toString();
    // The driver's own sentence (VolumeDriver::snapshotProblem), not a bare failure of nbdkit.
    QVERIFY2(message.contains(QStringLiteral("ndbackup-snap-gone1 of image pool")) && message.contains(QStringLiteral("is gone"))
                 && message.contains(QStringLiteral("take a new one")),
             qPrintable(message));
    QCOMPARE(tableCount(QStringLiteral("SELECT COUNT(*) FROM exports WHERE server_pid > 0")), 0);
}

namespace {
const QString kCinderProject = QStringLiteral("/v3/3f0c6bd0e1b64f8c9a3c2d1e0f9a8b7c");

QString percent(const QString &id)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(id));
}
} // namespace

void TestAgent::consolesAndCinderShareOneArbiter()
{
    QVERIFY(!createToken().isEmpty());
    QFile file(m_pool + QStringLiteral("/arb.img"));
    QVERIFY(file.open(QIODevice::WriteOnly) && file.resize(4 << 20));
    file.close();
    const QString id = volumeId(QStringLiteral("arb"));
    QVERIFY(!id.isEmpty());
    const QString path = QStringLiteral("/v1/volumes/%1/").arg(percent(id));
    // The node's engine lists it once its inventory (refreshed in the background) has seen it.
    QString uuid;
    QVERIFY(waitFor([&] {
        const QJsonArray volumes = cinder("GET", kCinderProject + QStringLiteral("/volumes/detail?name=arb"))
                                       .json().value(QStringLiteral("volumes")).toArray();
        uuid = volumes.size() == 1 ? volumes[0].toObject().value(QStringLiteral("id")).toString() : QString();
        return !uuid.isEmpty();
    }, 20000));
    const QByteArray backupBody =
        QStringLiteral(R"({"backup": {"volume_id": "%1", "name": "arb", "container": "arb", "force": true}})").arg(uuid).toUtf8();

    // A console restores onto it (writable export): the node's engine does not back it up.
    Response r = request(&m_console, "POST", path + QStringLiteral("export"));
    QVERIFY2(r.status == 200, r.body.constData());
    r = cinder("POST", kCinderProject + QStringLiteral("/backups"), backupBody);
    QVERIFY2(r.status == 400 && r.body.contains("held by a console's restore"), r.body.constData());
    QCOMPARE(tableCount(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE kind = 'backup'")), 0);
    QCOMPARE(tableCount(QStringLiteral("SELECT COUNT(*) FROM volumes WHERE status = 'restoring-backup'")), 1);
    // Released with the export.
    QCOMPARE(request(&m_console, "DELETE", path + QStringLiteral("export")).status, 204);
    QCOMPARE(tableCount(QStringLiteral("SELECT COUNT(*) FROM volumes WHERE status = 'restoring-backup'")), 0);

    // A backup of the node's engine and a console's copy are two readers: both go ahead.
    r = cinder("POST", kCinderProject + QStringLiteral("/backups"), backupBody);
    QVERIFY2(r.status == 202, r.body.constData());
    const QString backupId = r.json().value(QStringLiteral("backup")).toObject().value(QStringLiteral("id")).toString();
    QString error;
    const QString copy = takeSnapshot(QStringLiteral("b50"), &error, QStringLiteral("arb"));
    QVERIFY2(!copy.isEmpty(), qPrintable(error));
    QString status;
    QVERIFY(waitFor([&] {
        status = cinder("GET", kCinderProject + QStringLiteral("/backups/") + backupId).json().value(QStringLiteral("backup"))
                     .toObject().value(QStringLiteral("status")).toString();
        return status == QLatin1String("available") || status == QLatin1String("error");
    }, 60000));
    QCOMPARE(status, QStringLiteral("available"));
    // A restore waits for the console's copy: refused, naming it, and nothing starts.
    const QByteArray restoreBody = QStringLiteral(R"({"restore": {"volume_id": "%1"}})").arg(uuid).toUtf8();
    r = cinder("POST", kCinderProject + QStringLiteral("/backups/%1/restore").arg(backupId), restoreBody);
    QVERIFY2(r.status == 400 && r.body.contains("held by a console's backup"), r.body.constData());
    QCOMPARE(tableCount(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE kind = 'restore'")), 0);
    // Once the copy is deleted the restore is accepted.
    const QJsonObject deleted = waitOperation(request(&m_console, "DELETE", QStringLiteral("/v1/snapshots/") + copy)
                                                  .json().value(QStringLiteral("operation")).toObject().value(QStringLiteral("id")).toString());
    QCOMPARE(deleted.value(QStringLiteral("status")).toString(), QStringLiteral("succeeded"));
    r = cinder("POST", kCinderProject + QStringLiteral("/backups/%1/restore").arg(backupId), restoreBody);
    QVERIFY2(r.status == 202, r.body.constData());
    QVERIFY(waitFor([&] { return tableCount(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE kind = 'restore' AND status = 'succeeded'")) == 1; },
                    60000));
}

void TestAgent::cinderListDoesNotWaitForStorage()
{
    // lvs takes 4 s while the marker exists: a Cinder list must not hold the agent's event loop
    // (console requests, lease extensions) for an inventory.
    const QString marker = m_dir->filePath(QStringLiteral("lvm-slow"));
    std::unique_ptr<SlowLvm> lvm;
    restartWithSlowLvm(4, marker, lvm);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(!createToken().isEmpty());
    QElapsedTimer timer;
    timer.start();
    const Response list = cinder("GET", kCinderProject + QStringLiteral("/volumes/detail"));
    QVERIFY2(list.status == 200, list.body.constData());
    QVERIFY2(timer.elapsed() < 2000, qPrintable(QStringLiteral("a Cinder list took %1 ms: it waited for lvs").arg(timer.elapsed())));
    // The inventory it asked for runs meanwhile: a console is answered at once.
    timer.restart();
    QCOMPARE(request(&m_console, "GET", QStringLiteral("/v1/node")).status, 200);
    QVERIFY2(timer.elapsed() < 1500, qPrintable(QStringLiteral("GET /v1/node took %1 ms during a Cinder list").arg(timer.elapsed())));
    // And the list shows what the storage said once it has answered.
    QVERIFY(waitFor([&] { return cinder("GET", kCinderProject + QStringLiteral("/volumes/detail?name=data")).body.contains("\"data\""); },
                    30000));
    QFile::remove(marker);
}

void TestAgent::shutdownDropsQueuedStorageCalls()
{
    const QString vol1 = volumeId(QStringLiteral("vol1"));
    QVERIFY(!vol1.isEmpty());
    const QString marker = m_dir->filePath(QStringLiteral("lvm-slow"));
    std::unique_ptr<SlowLvm> lvm;
    restartWithSlowLvm(4, marker, lvm);
    if (QTest::currentTestFailed())
        return;
    // One storage call runs (lvs answers after 4 s), one waits behind it.
    const Response slow = request(&m_console, "POST", QStringLiteral("/v1/volumes/%1/snapshots").arg(percent(SlowLvm::volumeId())),
                                  R"({"backup_id":"b60"})");
    QVERIFY2(slow.status == 202, slow.body.constData());
    const Response queued = request(&m_console, "POST", QStringLiteral("/v1/volumes/%1/snapshots").arg(percent(vol1)),
                                    R"({"backup_id":"b61"})");
    QVERIFY2(queued.status == 202, queued.body.constData());
    const QString dropped = queued.json().value(QStringLiteral("operation")).toObject().value(QStringLiteral("id")).toString();
    QThread::msleep(300);
    stopAgent(); // SIGTERM while the first runs
    QFile::remove(marker);
    startAgent();
    const QJsonObject op = waitOperation(dropped, 0);
    QCOMPARE(op.value(QStringLiteral("status")).toString(), QStringLiteral("failed"));
    const QString message = op.value(QStringLiteral("error")).toObject().value(QStringLiteral("message")).toString();
    QVERIFY2(message.contains(QStringLiteral("interrupted")), qPrintable(message));
    // It never ran: no copy was ever made for it.
    QCOMPARE(tableCount(QStringLiteral("SELECT COUNT(*) FROM snapshots WHERE backup_id = 'b61'")), 0);
}

void TestAgent::missingPoolDoesNotHideTheOthers()
{
    const QString gone = m_dir->filePath(QStringLiteral("gonepool%1").arg(m_testNumber));
    QVERIFY(QDir().mkpath(gone));
    stopAgent();
    writeConfig();
    QFile conf(m_configFile);
    QVERIFY(conf.open(QIODevice::ReadOnly));
    QByteArray text = conf.readAll();
    conf.close();
    text.replace("image_pools = ", "image_pools = " + gone.toUtf8() + ", ");
    QVERIFY(conf.open(QIODevice::WriteOnly) && conf.write(text) == text.size());
    conf.close();
    startAgent();
    QVERIFY(QDir(gone).removeRecursively()); // unmounted, deleted: the pool is gone

    const Response r = request(&m_console, "GET", QStringLiteral("/v1/volumes"));
    QVERIFY2(r.status == 200, r.body.constData());
    QStringList names;
    for (const QJsonValue v : r.json().value(QStringLiteral("volumes")).toArray())
        names << v.toObject().value(QStringLiteral("name")).toString();
    QVERIFY2(names.contains(QStringLiteral("vol1")) && names.contains(QStringLiteral("plain")), qPrintable(names.join(u',')));
    const QJsonArray errors = r.json().value(QStringLiteral("errors")).toArray();
    QCOMPARE(errors.size(), 1);
    const QJsonObject e = errors[0].toObject();
    QCOMPARE(e.value(QStringLiteral("pool")).toString(), gone);
    QCOMPARE(e.value(QStringLiteral("driver")).toString(), QStringLiteral("image:") + gone);
    QVERIFY2(e.value(QStringLiteral("message")).toString().contains(gone), qPrintable(e.value(QStringLiteral("message")).toString()));
}

void TestAgent::badSnapshotIsNamedToItsReader()
{
    // A snapshot that goes bad while it is served (here its image is removed; on LVM, an
    // overflowed copy-on-write area): the reader's lease extension fails with the driver's
    // sentence, and GET /v1/snapshots/{id} says it, so the console's job names the cause.
    OpenExport open;
    QString why;
    QVERIFY2(openExport(QStringLiteral("b70"), 120, open, &why), qPrintable(why));
    Response r = request(&m_console, "GET", QStringLiteral("/v1/snapshots/") + open.snapshot);
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(r.json().value(QStringLiteral("snapshot")).toObject().value(QStringLiteral("problem")).toString(), QString());
    QVERIFY(QFile::remove(m_pool + QStringLiteral("/ndbackup-snap-b70.img")));

    r = request(&m_console, "POST", QStringLiteral("/v1/exports/%1/lease").arg(open.exportId), R"({"seconds":60})");
    QVERIFY2(expectError(r, 500, QStringLiteral("storage"), QStringLiteral("ndbackup-snap-b70 of image pool")).isEmpty(),
             qPrintable(expectError(r, 500, QStringLiteral("storage"), QStringLiteral("ndbackup-snap-b70 of image pool"))));
    QVERIFY(r.body.contains("is gone"));
    r = request(&m_console, "GET", QStringLiteral("/v1/snapshots/") + open.snapshot);
    QVERIFY2(r.status == 200, r.body.constData());
    const QString problem = r.json().value(QStringLiteral("snapshot")).toObject().value(QStringLiteral("problem")).toString();
    QVERIFY2(problem.contains(QStringLiteral("is gone")), qPrintable(problem));
}

// The node's own engine (the Cinder API's, or ndbackupctl on the node) removes leftover
// temporaries at start and on `cleanup`; a console's temporary snapshot has no backup row here,
// only the agent's lease, and must survive that while the lease holds.
void TestAgent::nodeCleanupLeavesLeasedTemporaries()
{
    OpenExport open;
    QString why;
    QVERIFY2(openExport(QStringLiteral("b40"), 300, open, &why), qPrintable(why));
    const QString file = m_pool + QStringLiteral("/ndbackup-snap-b40.img");
    QVERIFY(QFile::exists(file));
    const QString ctlConfig = m_dir->filePath(QStringLiteral("ctl%1.conf").arg(m_testNumber));
    {
        QFile conf(ctlConfig);
        QVERIFY(conf.open(QIODevice::WriteOnly));
        conf.write(QStringLiteral("catalog = %1/agent.sqlite\nrepository_root = %2\nimage_pools = %3\n")
                       .arg(m_stateDir, m_dir->filePath(QStringLiteral("ctlrepo")), m_pool)
                       .toUtf8());
    }
    QProcess ctl;
    ctl.start(ctlPath(), {QStringLiteral("--config"), ctlConfig, QStringLiteral("cleanup")});
    QVERIFY(ctl.waitForFinished(60000));
    const QString out = QString::fromUtf8(ctl.readAllStandardOutput() + ctl.readAllStandardError());
    QVERIFY2(ctl.exitCode() == 0, qPrintable(out));
    QVERIFY2(QFile::exists(file), qPrintable(QStringLiteral("the node's cleanup removed a leased temporary: ") + out));
    QVERIFY2(nbdcopy(m_console, open.data, m_dir->filePath(QStringLiteral("b40.copy")), &why), qPrintable(why));
    // Released by its console, it goes as always.
    QCOMPARE(request(&m_console, "DELETE", QStringLiteral("/v1/snapshots/%1/connection").arg(open.snapshot)).status, 204);
    QCOMPARE(request(&m_console, "DELETE", QStringLiteral("/v1/snapshots/%1/export").arg(open.snapshot)).status, 204);
    QVERIFY(request(&m_console, "DELETE", QStringLiteral("/v1/snapshots/%1").arg(open.snapshot)).status == 202);
    QVERIFY(waitFor([&] { return !QFile::exists(file); }, 20000));
}

void TestAgent::idleReaperLeavesThePoolAlone()
{
    // The reaper's timer (every second at a 4 s lease) runs on the storage worker: it must not
    // write to the pools each time (tst_linkcut once found a reflink probe's two files in the
    // pool after everything was reaped). Every thread's drivers probe a pool once at most.
    CreatedFiles watch(m_pool);
    QVERIFY2(watch.ok(), qPrintable(watch.error()));
    QTest::qWait(6000);
    QStringList created = watch.take();
    created.sort();
    QStringList repeated;
    for (const QString &name : std::as_const(created))
        if (created.count(name) > 1 && !repeated.contains(name))
            repeated << name;
    for (QString &name : repeated)
        name = QStringLiteral("%1 (%2 times)").arg(name).arg(created.count(name));
    QVERIFY2(repeated.isEmpty(), qPrintable(QStringLiteral("the idle agent keeps creating files in its pool: ")
                                            + repeated.join(QStringLiteral(", "))));
}

QTEST_GUILESS_MAIN(TestAgent)
#include "tst_agent.moc"
