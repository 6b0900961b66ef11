// The Cinder-compatible API of the agent (issue #13) as an administrator uses it: a real
// ndbackup-agent on 127.0.0.6 with a btrfs image pool, an API token, and OpenStack's own `cinder`
// command (python3-cinderclient) verifying the agent's certificate; raw HTTPS requests (no client
// certificate, like cinder's) for the v2 path, the refusals and paging; ndbackupctl on the node
// pointed at the agent's catalog and repository.
#include "support/agentclient.h"
#include "support/ctlrunner.h"
#include "support/scratchfs.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QUrlQuery>

#include <memory>
#include <unistd.h>

using namespace ndbtest;

namespace {

const QHostAddress kAgentAddress(QStringLiteral("127.0.0.6"));
const QString kProject = QStringLiteral("3f0c6bd0e1b64f8c9a3c2d1e0f9a8b7c");

struct Run
{
    int exitCode = -1;
    QString out, err;
};

using Response = HttpAnswer;

// The value of row `key` in one of cinder's two-column tables ("| key | value |").
QString tableValue(const QString &table, const QString &key)
{
    const QRegularExpression row(QStringLiteral("^\\|\\s*%1\\s*\\|\\s*(.*?)\\s*\\|$").arg(QRegularExpression::escape(key)),
                                 QRegularExpression::MultilineOption);
    return row.match(table).captured(1);
}

} // namespace

class TestCinder : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void cinderDrivesBackupOfInUseVolume();
    void v2PathTakesTheSpecificationsBody();
    void tokensAndBadInputChangeNothing();
    void pagingAndSort();
    void tooManyJobsIsOverLimit();
    void backupFailedBeforeItsRowIsDeletable();

private:
    Run run(const QString &program, const QStringList &args, int timeoutMs = 120000);
    Run cinder(const QStringList &args, const QString &token = {});
    Run agentCommand(const QStringList &args);
    Response request(const QByteArray &method, const QString &path, const QByteArray &body = {},
                     const QByteArray &token = QByteArrayLiteral("<default>"), const QByteArray &extraHeaders = {});
    QString volumeUuid(const QString &name);
    QString waitForBackup(const QString &id, const QString &status);
    QJsonArray backups(const QString &query = {});
    QStringList repositoryFiles() const;

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ScratchCleanup> m_cleanup;
    std::unique_ptr<ScratchFilesystem> m_fs;
    QString m_pool, m_stateDir, m_configFile, m_repository, m_caFile;
    quint16 m_port = 0;
    QString m_token;
    std::unique_ptr<QProcess> m_agent;
    QFile m_busyHolder; // keeps busy.img open for writing: the volume is in-use
};

Run TestCinder::run(const QString &program, const QStringList &args, int timeoutMs)
{
    Run r;
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), m_dir->path()); // cinderclient's caches stay in the test's directory
    p.setProcessEnvironment(env);
    p.start(program, args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("%1 did not finish in %2 ms").arg(program).arg(timeoutMs);
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

Run TestCinder::cinder(const QStringList &args, const QString &token)
{
    return run(QStringLiteral("cinder"),
               QStringList{QStringLiteral("--os-auth-type"), QStringLiteral("admin_token"), QStringLiteral("--os-endpoint"),
                           QStringLiteral("https://%1:%2/v3/%3").arg(kAgentAddress.toString()).arg(m_port).arg(kProject),
                           QStringLiteral("--os-token"), token.isEmpty() ? m_token : token, QStringLiteral("--os-project-id"),
                           kProject, QStringLiteral("--os-cacert"), m_caFile}
                   + args);
}

Run TestCinder::agentCommand(const QStringList &args)
{
    return run(agentExecutable(), QStringList{QStringLiteral("--config"), m_configFile} + args);
}

void TestCinder::initTestCase()
{
    if (::geteuid() != 0)
        QFAIL("this test needs root for loop devices and mounts; run it as root");
    for (const QString &built : {agentExecutable(), ctlPath()})
        if (!QFileInfo(built).isExecutable())
            QFAIL(qPrintable(QStringLiteral("%1 is not built (NDB_BUILD_DIR must point at the build tree)").arg(built)));
    if (QStandardPaths::findExecutable(QStringLiteral("cinder")).isEmpty())
        QFAIL("the cinder command is not installed: python3-cinderclient (resources/scripts/install-deps-debian.sh installs it)");
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_cleanup = std::make_unique<ScratchCleanup>(m_dir->path());
    NDB_TRY(m_fs = std::make_unique<ScratchFilesystem>(m_dir->path(), QStringLiteral("btrfs"), 300, QStringLiteral("cinderpool")));
    m_pool = m_fs->mountPoint();
    QByteArray block(1 << 20, Qt::Uninitialized);
    for (const char *name : {"busy.img", "vol1.img"}) {
        QFile volume(m_pool + QLatin1Char('/') + QLatin1String(name));
        QVERIFY(volume.open(QIODevice::WriteOnly));
        for (int i = 0; i < 12; ++i) {
            QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(block.data()), block.size() / 4);
            QCOMPARE(volume.write(block), qint64(block.size()));
        }
    }
    for (int i = 1; i <= 5; ++i) { // volumes for the job limit
        QFile small(m_pool + QStringLiteral("/limit%1.img").arg(i));
        QVERIFY(small.open(QIODevice::WriteOnly) && small.resize(1 << 20));
    }
    QFile spare(m_pool + QStringLiteral("/spare.img"));
    QVERIFY(spare.open(QIODevice::WriteOnly) && spare.resize(16 << 20));
    spare.close();
    m_busyHolder.setFileName(m_pool + QStringLiteral("/busy.img"));
    QVERIFY(m_busyHolder.open(QIODevice::ReadWrite));

    for (quint16 p = quint16(30000 + (::getpid() % 3000) * 7); p < 65000 && !m_port; p += 13) {
        QTcpServer a, b;
        if (a.listen(kAgentAddress, p) && b.listen(kAgentAddress, quint16(p + 1)))
            m_port = p;
    }
    QVERIFY(m_port);
    m_stateDir = m_dir->filePath(QStringLiteral("state"));
    m_repository = m_dir->filePath(QStringLiteral("repository"));
    m_configFile = m_dir->filePath(QStringLiteral("agent.conf"));
    QFile conf(m_configFile);
    QVERIFY(conf.open(QIODevice::WriteOnly));
    // One job at a time: at most 4 queued or running before the API says overLimit.
    conf.write(QStringLiteral("image_pools = %1\nstate_dir = %2\nlisten = %3:%4\nexport_ports = %5-%5\nrepository = %6\n"
                              "max_concurrent_jobs = 1\n")
                   .arg(m_pool, m_stateDir, kAgentAddress.toString())
                   .arg(m_port)
                   .arg(m_port + 1)
                   .arg(m_repository)
                   .toUtf8());
    conf.close();

    const Run created = agentCommand({QStringLiteral("token"), QStringLiteral("create"), QStringLiteral("cinder-test")});
    QVERIFY2(created.exitCode == 0, qPrintable(created.err));
    m_token = created.out.trimmed();
    QVERIFY2(QRegularExpression(QStringLiteral("^[0-9a-f]{64}$")).match(m_token).hasMatch(), qPrintable(m_token));
    // Kept hashed, never as it was printed.
    QFile tokens(m_stateDir + QStringLiteral("/api-tokens"));
    QVERIFY(tokens.open(QIODevice::ReadOnly));
    QVERIFY(!tokens.readAll().contains(m_token.toLatin1()));
    QCOMPARE(tokens.permissions() & (QFile::ReadGroup | QFile::ReadOther), QFile::Permissions());

    m_agent = std::make_unique<QProcess>();
    QString why;
    QVERIFY2(startAgentProcess(*m_agent, m_configFile, nullptr, &why), qPrintable(why));
    // The agent's self-signed certificate is the CA file cinder verifies it with.
    m_caFile = m_stateDir + QStringLiteral("/identity/identity-cert.pem");
}

void TestCinder::cleanupTestCase()
{
    if (m_agent)
        stopAgentProcess(*m_agent);
    m_busyHolder.close();
    m_fs.reset();
}

Response TestCinder::request(const QByteArray &method, const QString &path, const QByteArray &body, const QByteArray &token,
                             const QByteArray &extraHeaders)
{
    QByteArray bytes = method + ' ' + path.toUtf8() + " HTTP/1.1\r\nHost: " + kAgentAddress.toString().toLatin1() + ':'
        + QByteArray::number(m_port) + "\r\nConnection: close\r\n" + extraHeaders;
    const QByteArray sentToken = token == "<default>" ? m_token.toLatin1() : token;
    if (!sentToken.isEmpty())
        bytes += "X-Auth-Token: " + sentToken + "\r\n";
    if (!body.isEmpty() || method == "POST")
        bytes += "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n";
    bytes += "\r\n" + body;

    Response response;
    QSslSocket socket;
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    tls.setCaCertificates(QSslCertificate::fromPath(m_caFile)); // as --os-cacert: no client certificate
    tls.setPeerVerifyMode(QSslSocket::VerifyPeer);
    socket.setSslConfiguration(tls);
    socket.connectToHostEncrypted(kAgentAddress.toString(), m_port);
    if (!socket.waitForEncrypted(10000)) {
        response.transportError = socket.errorString();
        return response;
    }
    return exchangeHttp(socket, bytes, 30000);
}

QString TestCinder::volumeUuid(const QString &name)
{
    const Response r = request("GET", QStringLiteral("/v3/%1/volumes/detail?name=%2").arg(kProject, name));
    const QJsonArray volumes = r.json().value(QStringLiteral("volumes")).toArray();
    return volumes.size() == 1 ? volumes[0].toObject().value(QStringLiteral("id")).toString() : QString();
}

QString TestCinder::waitForBackup(const QString &id, const QString &status)
{
    QString last;
    waitFor([&] {
        const Run show = cinder({QStringLiteral("backup-show"), id});
        last = tableValue(show.out, QStringLiteral("status"));
        if (last.isEmpty())
            last = show.err.trimmed();
        return last == status || last == QLatin1String("error");
    }, 90000);
    return last;
}

QJsonArray TestCinder::backups(const QString &query)
{
    return request("GET", QStringLiteral("/v3/%1/backups/detail%2").arg(kProject, query)).json().value(QStringLiteral("backups")).toArray();
}

QStringList TestCinder::repositoryFiles() const
{
    QStringList files;
    QDir root(m_repository);
    const QFileInfoList entries = root.entryInfoList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden);
    for (const QFileInfo &e : entries)
        files << e.fileName();
    return files;
}

void TestCinder::cinderDrivesBackupOfInUseVolume()
{
    const Run list = cinder({QStringLiteral("list")});
    QVERIFY2(list.exitCode == 0, qPrintable(list.err));
    const QString busyRow = list.out.split(QLatin1Char('\n')).filter(QStringLiteral(" busy ")).value(0);
    QVERIFY2(busyRow.contains(QStringLiteral("in-use")), qPrintable(list.out));
    QVERIFY2(busyRow.contains(QStringLiteral("pid %1").arg(QCoreApplication::applicationPid())), qPrintable(busyRow));

    // Without --force: refused with the specification's sentence, nothing created.
    const Run refused = cinder({QStringLiteral("backup-create"), QStringLiteral("--name"), QStringLiteral("nightly"),
                                QStringLiteral("--container"), QStringLiteral("nightly-c"), QStringLiteral("busy")});
    QVERIFY(refused.exitCode != 0);
    QVERIFY2(refused.err.contains(QStringLiteral("ERROR: Backing up an in-use volume must use the force flag. (HTTP 400)")),
             qPrintable(refused.err));
    QCOMPARE(backups().size(), 0);

    const Run created = cinder({QStringLiteral("backup-create"), QStringLiteral("--force"), QStringLiteral("--name"),
                                QStringLiteral("nightly"), QStringLiteral("--container"), QStringLiteral("nightly-c"),
                                QStringLiteral("busy")});
    QVERIFY2(created.exitCode == 0, qPrintable(created.err));
    const QString id = tableValue(created.out, QStringLiteral("id"));
    QVERIFY2(!id.isEmpty(), qPrintable(created.out));
    QCOMPARE(tableValue(created.out, QStringLiteral("volume_id")), volumeUuid(QStringLiteral("busy")));
    QCOMPARE(waitForBackup(id, QStringLiteral("available")), QStringLiteral("available"));
    const Run shown = cinder({QStringLiteral("backup-show"), id});
    QCOMPARE(tableValue(shown.out, QStringLiteral("container")), QStringLiteral("nightly-c"));
    QCOMPARE(tableValue(shown.out, QStringLiteral("name")), QStringLiteral("nightly"));
    QCOMPARE(tableValue(shown.out, QStringLiteral("is_incremental")), QStringLiteral("False"));
    const Run listed = cinder({QStringLiteral("backup-list")});
    QVERIFY2(listed.exitCode == 0 && listed.out.contains(id) && listed.out.contains(QStringLiteral("available")), qPrintable(listed.out));
    // The volume is in-use again (its previous status), not left backing-up.
    QVERIFY(cinder({QStringLiteral("list")}).out.split(QLatin1Char('\n')).filter(QStringLiteral(" busy ")).value(0).contains(QStringLiteral("in-use")));

    // An ordinary job of the node's catalog: ndbackupctl there sees the backup and its job.
    const QString ctlConfig = m_dir->filePath(QStringLiteral("ctl.conf"));
    QFile conf(ctlConfig);
    QVERIFY(conf.open(QIODevice::WriteOnly));
    conf.write(QStringLiteral("catalog = %1/agent.sqlite\nrepository_root = %2\nimage_pools = %3\n")
                   .arg(m_stateDir, m_repository, m_pool).toUtf8());
    conf.close();
    const QString ctl = ctlPath();
    const Run ctlList = run(ctl, {QStringLiteral("--config"), ctlConfig, QStringLiteral("backup"), QStringLiteral("list")});
    QVERIFY2(ctlList.exitCode == 0 && ctlList.out.contains(id.left(8)), qPrintable(ctlList.out + ctlList.err));
    const Run ctlJobs = run(ctl, {QStringLiteral("--config"), ctlConfig, QStringLiteral("jobs")});
    QVERIFY2(ctlJobs.exitCode == 0 && ctlJobs.out.contains(QStringLiteral("backup")), qPrintable(ctlJobs.out + ctlJobs.err));
    QVERIFY(QDir(m_repository + QStringLiteral("/nightly-c")).exists());

    // Restore to a new volume: the backup's bytes, the busy volume's as they were.
    const QByteArray busyMd5 = fileMd5(m_pool + QStringLiteral("/busy.img"));
    const Run restoredNew = cinder({QStringLiteral("backup-restore"), QStringLiteral("--name"), QStringLiteral("busy-copy"), id});
    QVERIFY2(restoredNew.exitCode == 0, qPrintable(restoredNew.err));
    QCOMPARE(tableValue(restoredNew.out, QStringLiteral("volume_name")), QStringLiteral("busy-copy"));
    QVERIFY(waitFor([&] { return volumeUuid(QStringLiteral("busy-copy")) == tableValue(restoredNew.out, QStringLiteral("volume_id"))
                                 && request("GET", QStringLiteral("/v3/%1/volumes/%2").arg(kProject, volumeUuid(QStringLiteral("busy-copy"))))
                                        .json().value(QStringLiteral("volume")).toObject().value(QStringLiteral("status"))
                                        == QLatin1String("available")
                                 && fileMd5(m_pool + QStringLiteral("/busy-copy.img")) == busyMd5; },
                    60000));

    // Restore onto an existing available volume.
    const Run restoredSpare = cinder({QStringLiteral("backup-restore"), QStringLiteral("--volume"), QStringLiteral("spare"), id});
    QVERIFY2(restoredSpare.exitCode == 0, qPrintable(restoredSpare.err));
    QCOMPARE(tableValue(restoredSpare.out, QStringLiteral("volume_id")), volumeUuid(QStringLiteral("spare")));
    QVERIFY(waitFor([&] { return request("GET", QStringLiteral("/v3/%1/volumes/%2").arg(kProject, volumeUuid(QStringLiteral("spare"))))
                                        .json().value(QStringLiteral("volume")).toObject().value(QStringLiteral("status"))
                                        == QLatin1String("available")
                                 && [&] {
                                        QFile f(m_pool + QStringLiteral("/spare.img"));
                                        QFile b(m_pool + QStringLiteral("/busy.img"));
                                        return f.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly)
                                            && f.read(12 << 20) == b.read(12 << 20);
                                    }(); },
                    60000));

    // Delete: gone from the lists, 404 afterwards.
    const Run deleted = cinder({QStringLiteral("backup-delete"), id});
    QVERIFY2(deleted.exitCode == 0, qPrintable(deleted.err));
    QVERIFY(waitFor([&] { return request("GET", QStringLiteral("/v3/%1/backups/%2").arg(kProject, id)).status == 404; }, 60000));
    QVERIFY(!cinder({QStringLiteral("backup-list")}).out.contains(id));
    const Run gone = cinder({QStringLiteral("backup-show"), id});
    QVERIFY(gone.exitCode != 0);
}

void TestCinder::v2PathTakesTheSpecificationsBody()
{
    const QString volume = volumeUuid(QStringLiteral("busy"));
    QVERIFY(!volume.isEmpty());
    // The body exactly as the specification writes it.
    const QByteArray body = QStringLiteral(R"({"backup": {"container": "spec-c", "display_description": "before the upgrade",
        "display_name": "spec-backup", "volume_id": "%1", "force": true}})").arg(volume).toUtf8();
    const Response created = request("POST", QStringLiteral("/v2/%1/backups").arg(kProject), body);
    QVERIFY2(created.status == 202, created.body.constData());
    const QString id = created.json().value(QStringLiteral("backup")).toObject().value(QStringLiteral("id")).toString();
    QVERIFY(!id.isEmpty());
    QJsonObject backup;
    QVERIFY(waitFor([&] {
        backup = request("GET", QStringLiteral("/v2/%1/backups/%2").arg(kProject, id)).json().value(QStringLiteral("backup")).toObject();
        return backup.value(QStringLiteral("status")) == QLatin1String("available") || backup.value(QStringLiteral("status")) == QLatin1String("error");
    }, 60000));
    QCOMPARE(backup.value(QStringLiteral("status")).toString(), QStringLiteral("available"));
    QCOMPARE(backup.value(QStringLiteral("name")).toString(), QStringLiteral("spec-backup"));
    QCOMPARE(backup.value(QStringLiteral("description")).toString(), QStringLiteral("before the upgrade"));
    QCOMPARE(backup.value(QStringLiteral("container")).toString(), QStringLiteral("spec-c"));
    QCOMPARE(backup.value(QStringLiteral("volume_id")).toString(), volume);
    QVERIFY(backup.contains(QStringLiteral("fail_reason")) && backup.contains(QStringLiteral("has_dependent_backups")));

    // Without force, the same body is refused in Cinder's fault shape.
    QByteArray unforced = body;
    unforced.replace("\"force\": true", "\"force\": false");
    const Response refused = request("POST", QStringLiteral("/v2/%1/backups").arg(kProject), unforced);
    QCOMPARE(refused.status, 400);
    QCOMPARE(refused.json().value(QStringLiteral("badRequest")).toObject().value(QStringLiteral("message")).toString(),
             QStringLiteral("Backing up an in-use volume must use the force flag."));
}

void TestCinder::tokensAndBadInputChangeNothing()
{
    const int before = backups().size();
    const QStringList repoBefore = repositoryFiles();
    const QString volume = volumeUuid(QStringLiteral("vol1"));
    QVERIFY(!volume.isEmpty());
    const QString backupsPath = QStringLiteral("/v3/%1/backups").arg(kProject);
    const auto create = [&](const QByteArray &body) { return request("POST", backupsPath, body); };

    // No token, a wrong one: 401 on any path; /v1 without a console certificate is refused too.
    QCOMPARE(request("GET", backupsPath, {}, QByteArray()).status, 401);
    QCOMPARE(request("GET", QStringLiteral("/v3/%1/volumes").arg(kProject), {}, "0123456789abcdef").status, 401);
    QCOMPARE(request("GET", QStringLiteral("/v1/node"), {}, QByteArray()).status, 401);
    const Response console = request("GET", QStringLiteral("/v1/node"));
    QCOMPARE(console.status, 403);
    QVERIFY(!console.body.contains("fingerprint"));
    const Run wrong = cinder({QStringLiteral("list")}, QStringLiteral("not-the-token"));
    QVERIFY(wrong.exitCode != 0);
    QVERIFY2(wrong.err.contains(QStringLiteral("HTTP 401")), qPrintable(wrong.err));
    // Plain HTTP gets no answer at all.
    QTcpSocket plain;
    plain.connectToHost(kAgentAddress, m_port);
    QVERIFY(plain.waitForConnected(5000));
    plain.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    QByteArray in;
    while (plain.waitForReadyRead(2000))
        in += plain.readAll();
    QVERIFY2(!in.contains("HTTP/1.1"), in.constData());

    // A revoked token is refused from its next request on, by the running agent.
    const Run second = agentCommand({QStringLiteral("token"), QStringLiteral("create"), QStringLiteral("second")});
    QVERIFY2(second.exitCode == 0, qPrintable(second.err));
    const QByteArray secondToken = second.out.trimmed().toLatin1();
    QCOMPARE(request("GET", backupsPath, {}, secondToken).status, 200);
    QVERIFY(agentCommand({QStringLiteral("token"), QStringLiteral("list")}).out.contains(QStringLiteral("second")));
    QCOMPARE(agentCommand({QStringLiteral("token"), QStringLiteral("revoke"), QStringLiteral("second")}).exitCode, 0);
    QCOMPARE(request("GET", backupsPath, {}, secondToken).status, 401);
    QVERIFY(!agentCommand({QStringLiteral("token"), QStringLiteral("list")}).out.contains(QStringLiteral("second")));
    QVERIFY(agentCommand({QStringLiteral("token"), QStringLiteral("revoke"), QStringLiteral("second")}).exitCode != 0);

    // Bad input: the right status, a message saying what is wrong.
    const QString good = QStringLiteral(R"({"backup": {"volume_id": "%1", "name": "x"}})").arg(volume);
    const auto expect = [&](const Response &r, int status, const QString &says) {
        QVERIFY2(r.status == status, qPrintable(QStringLiteral("%1 %2").arg(r.status).arg(QString::fromUtf8(r.body))));
        QVERIFY2(QString::fromUtf8(r.body).contains(says), r.body.constData());
    };
    expect(create("{\"backup\": {\"volume_id\": "), 400, QStringLiteral("badRequest"));
    expect(create(QStringLiteral(R"({"backup": {"volume_id": "%1", "colour": "red"}})").arg(volume).toUtf8()), 400,
           QStringLiteral("unknown field 'colour'"));
    expect(create(QStringLiteral(R"({"backup": {"volume_id": "%1"}, "extra": 1})").arg(volume).toUtf8()), 400,
           QStringLiteral("extra"));
    expect(create(QStringLiteral(R"({"backup": {"volume_id": "%1", "container": "../../etc"}})").arg(volume).toUtf8()), 400,
           QStringLiteral("container"));
    expect(create(QStringLiteral(R"({"backup": {"volume_id": "../%1"}})").arg(volume).toUtf8()), 400, QStringLiteral("volume_id"));
    expect(create(R"({"backup": {"volume_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"}})"), 404, QStringLiteral("itemNotFound"));
    expect(request("GET", backupsPath + QStringLiteral("/..%2F..%2Fetc%2Fpasswd")), 400, QStringLiteral("backup id"));
    expect(request("GET", QStringLiteral("/v3/..%2Fetc/backups")), 400, QStringLiteral("project id"));
    expect(request("POST", backupsPath + QStringLiteral("/3fa85f64-5717-4562-b3fc-2c963f66afa6/restore"), R"({"restore": {"name": "../x"}})"),
           400, QStringLiteral("volume"));
    expect(request("PUT", backupsPath, good.toUtf8()), 405, QStringLiteral("badMethod"));
    expect(request("GET", backupsPath, {}, "<default>", "OpenStack-API-Version: volume 3.59\r\n"), 406, QStringLiteral("3.59"));
    // Oversized: refused from the header, before the body is read.
    QByteArray huge = good.toUtf8();
    huge.insert(huge.size() - 2, ", \"description\": \"" + QByteArray(2 * 1024 * 1024, 'a') + "\"");
    const Response tooLarge = create(huge);
    QVERIFY2(tooLarge.status == 413 || (tooLarge.status == 0 && !tooLarge.transportError.isEmpty()),
             qPrintable(QStringLiteral("%1 %2").arg(tooLarge.status).arg(tooLarge.transportError)));

    // Nothing changed by any of them.
    QCOMPARE(backups().size(), before);
    QCOMPARE(repositoryFiles(), repoBefore);
    QVERIFY(!QFileInfo::exists(m_pool + QStringLiteral("/x.img")));

    // The audit log names the token, never the token itself.
    QFile audit(m_stateDir + QStringLiteral("/audit.log"));
    QVERIFY(audit.open(QIODevice::ReadOnly));
    const QByteArray log = audit.readAll();
    QVERIFY(!log.contains(m_token.toLatin1()));
    QVERIFY(!log.contains(secondToken));
    QVERIFY2(log.contains("\tcinder-test\tPOST\t/v3/" + kProject.toLatin1() + "/backups\t400\n"), log.right(2000).constData());
    QVERIFY2(log.contains("\t-\tGET\t/v1/node\t401\n"), log.right(2000).constData());
    QVERIFY2(log.contains("\tsecond\tGET\t/v3/" + kProject.toLatin1() + "/backups\t200\n"), log.right(2000).constData());
}

void TestCinder::pagingAndSort()
{
    const QString volume = volumeUuid(QStringLiteral("vol1"));
    QStringList ids;
    for (const char *name : {"page-b", "page-c", "page-a"}) {
        const Response r = request("POST", QStringLiteral("/v3/%1/backups").arg(kProject),
                                   QStringLiteral(R"({"backup": {"volume_id": "%1", "name": "%2", "container": "paging"}})")
                                       .arg(volume, QLatin1String(name)).toUtf8());
        QVERIFY2(r.status == 202, r.body.constData());
        ids << r.json().value(QStringLiteral("backup")).toObject().value(QStringLiteral("id")).toString();
        // One at a time: a volume is backed up by one job at a time.
        QCOMPARE(waitForBackup(ids.last(), QStringLiteral("available")), QStringLiteral("available"));
    }
    const auto names = [](const QJsonArray &list) {
        QStringList out;
        for (const QJsonValue &v : list)
            out << v.toObject().value(QStringLiteral("name")).toString();
        return out;
    };
    QCOMPARE(names(backups(QStringLiteral("?container=paging&sort=name:asc"))),
             (QStringList{QStringLiteral("page-a"), QStringLiteral("page-b"), QStringLiteral("page-c")}));
    QCOMPARE(names(backups(QStringLiteral("?container=paging&sort_key=name&sort_dir=desc"))),
             (QStringList{QStringLiteral("page-c"), QStringLiteral("page-b"), QStringLiteral("page-a")}));
    // Newest first by default.
    QCOMPARE(names(backups(QStringLiteral("?container=paging"))),
             (QStringList{QStringLiteral("page-a"), QStringLiteral("page-c"), QStringLiteral("page-b")}));

    const Response first = request("GET", QStringLiteral("/v3/%1/backups?container=paging&sort=name:asc&limit=2").arg(kProject));
    QCOMPARE(first.status, 200);
    QCOMPARE(names(first.json().value(QStringLiteral("backups")).toArray()), (QStringList{QStringLiteral("page-a"), QStringLiteral("page-b")}));
    const QJsonArray links = first.json().value(QStringLiteral("backups_links")).toArray();
    QCOMPARE(links.size(), 1);
    const QUrl next(links[0].toObject().value(QStringLiteral("href")).toString());
    QCOMPARE(QUrlQuery(next).queryItemValue(QStringLiteral("marker")), ids[0]); // page-b's id
    const Response second = request("GET", next.path() + QLatin1Char('?') + next.query());
    QCOMPARE(names(second.json().value(QStringLiteral("backups")).toArray()), QStringList{QStringLiteral("page-c")});
    QVERIFY(!second.json().contains(QStringLiteral("backups_links")));
    // The same with cinder's own paging options.
    const Run paged = cinder({QStringLiteral("backup-list"), QStringLiteral("--sort"), QStringLiteral("name:asc"),
                              QStringLiteral("--limit"), QStringLiteral("1"), QStringLiteral("--marker"), ids[2]});
    QVERIFY2(paged.exitCode == 0, qPrintable(paged.err));
    QVERIFY2(paged.out.contains(QStringLiteral("page-b")) && !paged.out.contains(QStringLiteral("page-c"))
                 && !paged.out.contains(QStringLiteral("page-a")), qPrintable(paged.out));

    QCOMPARE(request("GET", QStringLiteral("/v3/%1/backups?marker=3fa85f64-5717-4562-b3fc-2c963f66afa6").arg(kProject)).status, 400);
    QCOMPARE(request("GET", QStringLiteral("/v3/%1/backups?sort=colour:asc").arg(kProject)).status, 400);
    QCOMPARE(request("GET", QStringLiteral("/v3/%1/backups?limit=-1").arg(kProject)).status, 400);
    QCOMPARE(request("GET", QStringLiteral("/v3/%1/backups?colour=red").arg(kProject)).status, 400);
    const QJsonArray volumes = request("GET", QStringLiteral("/v3/%1/volumes?sort=name:asc&limit=1").arg(kProject))
                                   .json().value(QStringLiteral("volumes")).toArray();
    QCOMPARE(volumes.size(), 1);
}

void TestCinder::tooManyJobsIsOverLimit()
{
    // Five backups sent in one go (pipelined on one connection, so that none can have finished
    // in between): four are accepted, the fifth is Cinder's overLimit, and creates nothing.
    QByteArray bytes;
    for (int i = 1; i <= 5; ++i) {
        const QString volume = volumeUuid(QStringLiteral("limit%1").arg(i));
        QVERIFY(!volume.isEmpty());
        const QByteArray body = QStringLiteral(R"({"backup": {"volume_id": "%1", "name": "limit%2", "container": "limit"}})")
                                    .arg(volume).arg(i).toUtf8();
        bytes += "POST /v3/" + kProject.toLatin1() + "/backups HTTP/1.1\r\nHost: agent\r\nX-Auth-Token: " + m_token.toLatin1()
            + "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n"
            + (i == 5 ? "Connection: close\r\n" : "") + "\r\n" + body;
    }
    QSslSocket socket;
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setCaCertificates(QSslCertificate::fromPath(m_caFile));
    socket.setSslConfiguration(tls);
    socket.connectToHostEncrypted(kAgentAddress.toString(), m_port);
    QVERIFY2(socket.waitForEncrypted(10000), qPrintable(socket.errorString()));
    socket.write(bytes);
    QByteArray in;
    while (socket.waitForReadyRead(10000))
        in += socket.readAll();
    QList<int> statuses;
    for (qsizetype at = in.indexOf("HTTP/1.1 "); at >= 0; at = in.indexOf("HTTP/1.1 ", at + 1))
        statuses << in.mid(at + 9, 3).toInt();
    QCOMPARE(statuses, (QList<int>{202, 202, 202, 202, 413}));
    QVERIFY2(in.contains("\"overLimit\"") && in.contains("Too many jobs on this node"), in.right(400).constData());
    QVERIFY(waitFor([&] { return backups(QStringLiteral("?container=limit&status=available")).size() == 4; }, 60000));
    QCOMPARE(backups(QStringLiteral("?container=limit")).size(), 4);
}

void TestCinder::backupFailedBeforeItsRowIsDeletable()
{
    // A container the repository cannot create (a file is in the way): the job fails before the
    // backup's row exists. Listed in 'error', it can be deleted, as in Cinder.
    QFile blocker(m_repository + QStringLiteral("/blocked"));
    QVERIFY(QDir().mkpath(m_repository) && blocker.open(QIODevice::WriteOnly));
    blocker.close();
    const QString volume = volumeUuid(QStringLiteral("vol1"));
    QVERIFY(!volume.isEmpty());
    const Response created = request("POST", QStringLiteral("/v3/%1/backups").arg(kProject),
                                     QStringLiteral(R"({"backup": {"volume_id": "%1", "name": "doomed", "container": "blocked"}})")
                                         .arg(volume).toUtf8());
    QVERIFY2(created.status == 202, created.body.constData());
    const QString id = created.json().value(QStringLiteral("backup")).toObject().value(QStringLiteral("id")).toString();
    QCOMPARE(waitForBackup(id, QStringLiteral("error")), QStringLiteral("error"));
    QCOMPARE(backups(QStringLiteral("?container=blocked")).size(), 1);

    const Response deleted = request("DELETE", QStringLiteral("/v3/%1/backups/%2").arg(kProject, id));
    QVERIFY2(deleted.status == 202, deleted.body.constData());
    QCOMPARE(backups(QStringLiteral("?container=blocked")).size(), 0);
    QCOMPARE(request("GET", QStringLiteral("/v3/%1/backups/%2").arg(kProject, id)).status, 404);
    QVERIFY(blocker.remove());
}

QTEST_GUILESS_MAIN(TestCinder)
#include "tst_cinder.moc"
