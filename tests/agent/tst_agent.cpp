// The agent as a storage node runs it: a real ndbackup-agent process on 127.0.0.2 with its own
// state directory and a btrfs image pool, consoles with certificates made by core/net's identity
// code, the API over mutual TLS, exports read with nbdcopy (libnbd) over NBD+TLS.
#include "net/identity.h"
#include "support/agentapi.h"
#include "support/scratchfs.h"
#include "support/writercheck.h"

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
#include <fcntl.h>
#include <sys/stat.h>
#include <memory>
#include <unistd.h>

using namespace ndb;
using namespace ndbtest;

namespace {

const QHostAddress kAgentAddress(QStringLiteral("127.0.0.2"));

QString agentPath()
{
    return qEnvironmentVariable("NDB_BUILD_DIR") + QStringLiteral("/app/agent/ndbackup-agent");
}

bool portFree(quint16 port)
{
    QTcpServer probe;
    return probe.listen(kAgentAddress, port);
}

QByteArray fileMd5(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash hash(QCryptographicHash::Md5);
    hash.addData(&f);
    return hash.result().toHex();
}

bool processAlive(qint64 pid)
{
    if (pid <= 0 || ::kill(pid_t(pid), 0) != 0)
        return false;
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray s = stat.readAll();
    return s.mid(s.lastIndexOf(')') + 2, 1) != "Z";
}

bool waitFor(const std::function<bool()> &condition, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (!condition()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QThread::msleep(50);
    }
    return true;
}

using Response = ApiResponse;

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
    void publicAddressIsWhatConsolesDial();
    void connectionRefusedWhenSnapshotIsGone();

private:
    void startAgent();
    void stopAgent();
    Response request(const Console *console, const QByteArray &method, const QString &path,
                     const QByteArray &body = {}, const QByteArray &contentType = "application/json");
    Response raw(const Console &console, const QByteArray &bytes);
    QString volumeId(const QString &name);
    // POST snapshot, poll the operation; returns the snapshot id (empty on failure, with a QFAIL-able message).
    QString takeSnapshot(const QString &backupId, QString *why, const QString &volume = QStringLiteral("vol1"));
    struct OpenExport
    {
        QString snapshot, exportId;
        QJsonObject data; // the connection's host, port, export_name
        qint64 nbdkitPid = 0;
    };
    // A snapshot of vol1 for `backupId`, exported and connected for m_console; the lease is
    // extended to `leaseSeconds` unless 0. False with *why when a step failed.
    bool openExport(const QString &backupId, int leaseSeconds, OpenExport &out, QString *why);
    QStringList poolFiles() const;
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
};

void TestAgent::initTestCase()
{
    if (::geteuid() != 0)
        QFAIL("this test needs root for loop devices and mounts; run it as root");
    if (!QFileInfo(agentPath()).isExecutable())
        QFAIL(qPrintable(QStringLiteral("ndbackup-agent is not built at %1 (NDB_BUILD_DIR must point at the build tree)")
                             .arg(agentPath())));
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
    QFile plain(m_ext4->mountPoint() + QStringLiteral("/plain.img"));
    QVERIFY(plain.open(QIODevice::WriteOnly) && plain.resize(4 << 20));

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
        if (portFree(p) && portFree(p + 1) && portFree(p + 2) && portFree(p + 3) && portFree(p + 4))
            m_apiPort = p;
    QVERIFY(m_apiPort);
    m_exportFirst = m_apiPort + 1;
    m_configFile = m_dir->filePath(QStringLiteral("agent%1.conf").arg(m_testNumber));
    QFile conf(m_configFile);
    QVERIFY(conf.open(QIODevice::WriteOnly));
    conf.write(QStringLiteral("image_pools = %1, %6\nstate_dir = %2\nlisten = 127.0.0.2:%3\nexport_ports = %4-%5\nlease_seconds = 4\n")
                   .arg(m_pool, m_stateDir)
                   .arg(m_apiPort)
                   .arg(m_exportFirst)
                   .arg(m_exportFirst + 3)
                   .arg(m_ext4->mountPoint())
                   .toUtf8());
    conf.close();
    for (const Console *c : {&m_console, &m_otherConsole}) {
        QProcess trust;
        trust.start(agentPath(), {QStringLiteral("--config"), m_configFile, QStringLiteral("trust-console"),
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

void TestAgent::startAgent()
{
    m_agent = std::make_unique<QProcess>();
    m_agent->setProcessChannelMode(QProcess::SeparateChannels);
    m_agent->start(agentPath(), {QStringLiteral("run"), QStringLiteral("--config"), m_configFile});
    QVERIFY2(m_agent->waitForStarted(10000), qPrintable(m_agent->errorString()));
    QByteArray out;
    QElapsedTimer timer;
    timer.start();
    while (!out.contains("listening on") && timer.elapsed() < 30000 && m_agent->state() == QProcess::Running) {
        m_agent->waitForReadyRead(200);
        out += m_agent->readAllStandardOutput();
    }
    QVERIFY2(out.contains("listening on"), qPrintable(QString::fromUtf8(out + m_agent->readAllStandardError())));
    const qsizetype at = out.indexOf("fingerprint ");
    m_agentFingerprint = QString::fromLatin1(out.mid(at + 12).trimmed());
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
    if (m_agent->state() == QProcess::Running) {
        m_agent->terminate();
        if (!m_agent->waitForFinished(30000))
            m_agent->kill();
        m_agent->waitForFinished(5000);
    }
    const QByteArray err = m_agent->readAllStandardError();
    if (!err.isEmpty())
        qInfo("agent log:\n%s", err.constData());
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

QString TestAgent::volumeId(const QString &name)
{
    const Response r = request(&m_console, "GET", QStringLiteral("/v1/volumes"));
    for (const QJsonValue v : r.json().value(QStringLiteral("volumes")).toArray())
        if (v.toObject().value(QStringLiteral("name")).toString() == name)
            return v.toObject().value(QStringLiteral("id")).toString();
    return {};
}

QString TestAgent::takeSnapshot(const QString &backupId, QString *why, const QString &volume)
{
    const QString id = volumeId(volume);
    const Response r = request(&m_console, "POST",
                               QStringLiteral("/v1/volumes/%1/snapshots").arg(QString::fromLatin1(QUrl::toPercentEncoding(id))),
                               QJsonDocument(QJsonObject{{QStringLiteral("backup_id"), backupId},
                                                         {QStringLiteral("name"), QStringLiteral("nightly")}})
                                   .toJson());
    if (r.status != 202) {
        *why = QStringLiteral("POST snapshots: %1 %2 %3").arg(r.status).arg(QString::fromUtf8(r.body), r.transportError);
        return {};
    }
    const QString operation = r.json().value(QStringLiteral("operation")).toObject().value(QStringLiteral("id")).toString();
    for (int i = 0; i < 100; ++i) {
        const Response poll = request(&m_console, "GET", QStringLiteral("/v1/operations/") + operation);
        const QJsonObject op = poll.json().value(QStringLiteral("operation")).toObject();
        const QString status = op.value(QStringLiteral("status")).toString();
        if (status == QLatin1String("succeeded"))
            return op.value(QStringLiteral("result")).toObject().value(QStringLiteral("snapshot")).toObject().value(QStringLiteral("id")).toString();
        if (status != QLatin1String("running")) {
            *why = QStringLiteral("operation: %1").arg(QString::fromUtf8(poll.body));
            return {};
        }
        QThread::msleep(100);
    }
    *why = QStringLiteral("the snapshot operation never finished");
    return {};
}

bool TestAgent::openExport(const QString &backupId, int leaseSeconds, OpenExport &out, QString *why)
{
    out.snapshot = takeSnapshot(backupId, why);
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

QStringList TestAgent::poolFiles() const
{
    return QDir(m_pool).entryList(QDir::Files | QDir::Hidden, QDir::Name);
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
    const Response stranger = request(&m_stranger, "GET", QStringLiteral("/v1/node"));
    QVERIFY2(stranger.status == 0, stranger.body.constData());
    const Response none = request(nullptr, "GET", QStringLiteral("/v1/node"));
    QVERIFY2(none.status == 0, none.body.constData());
    qInfo("unknown console: %s; no certificate: %s", qPrintable(stranger.transportError), qPrintable(none.transportError));

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
    QVERIFY(portFree(port));
    QVERIFY(!QFileInfo::exists(m_stateDir + QStringLiteral("/exports/") + exportId)); // credentials ended with it
    for (int i = 0; i < 2; ++i)
        QCOMPARE(request(&m_console, "DELETE", QStringLiteral("/v1/snapshots/%1/export").arg(snapshot)).status, 204);
    QCOMPARE(tableCount(QStringLiteral("SELECT COUNT(*) FROM exports")), 0);
    for (int i = 0; i < 2; ++i) {
        r = request(&m_console, "DELETE", QStringLiteral("/v1/snapshots/%1").arg(snapshot));
        QVERIFY2(r.status == 202, r.body.constData());
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
    QVERIFY(portFree(port));
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
    const auto expectError = [&](const Response &r, int status, const QString &kind, const QString &needle) {
        const QJsonObject e = r.json().value(QStringLiteral("error")).toObject();
        const QString message = e.value(QStringLiteral("message")).toString();
        if (r.status != status || e.value(QStringLiteral("kind")).toString() != kind || !message.contains(needle))
            return QStringLiteral("expected %1 %2 mentioning '%3', got %4 %5 %6")
                .arg(status).arg(kind, needle).arg(r.status).arg(QString::fromUtf8(r.body), r.transportError);
        return QString();
    };
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
    // A pool that cannot snapshot (ext4, no reflink) is refused clearly; no copy is made instead.
    const QStringList ext4Before = QDir(m_ext4->mountPoint()).entryList(QDir::Files | QDir::Hidden);
    why = expectError(request(&m_console, "POST",
                              QStringLiteral("/v1/volumes/%1/snapshots")
                                  .arg(QString::fromLatin1(QUrl::toPercentEncoding(volumeId(QStringLiteral("plain"))))),
                              R"({"backup_id":"b5"})"),
                      409, QStringLiteral("refused"), QStringLiteral("reflink"));
    QVERIFY2(why.isEmpty(), qPrintable(why));
    QCOMPARE(QDir(m_ext4->mountPoint()).entryList(QDir::Files | QDir::Hidden), ext4Before);
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
        p.start(agentPath(), QStringList{QStringLiteral("--config"), m_configFile} + args);
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
    refused.start(agentPath(), {QStringLiteral("run"), QStringLiteral("--config"), m_configFile});
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
    QVERIFY2(message.contains(QStringLiteral("is not at a file or block device")) && message.contains(QStringLiteral("take a new one")),
             qPrintable(message));
    QCOMPARE(tableCount(QStringLiteral("SELECT COUNT(*) FROM exports WHERE server_pid > 0")), 0);
}

QTEST_GUILESS_MAIN(TestAgent)
#include "tst_agent.moc"
