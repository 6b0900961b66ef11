// The console side of storage nodes (DESIGN data path 5): two real agents on 127.0.0.2 and
// 127.0.0.3, each with its own state directory and btrfs image pool holding a volume a writer
// keeps writing; the console is the real ndbackupctl. Enrolment both ways through the real
// commands, backups of in-use volumes on both nodes at once, verify, restore into local files,
// delete; then the faults: a wrong fingerprint, the agent killed mid-transfer, the console killed
// mid-read, a node that does not answer.
#include "catalog/catalog.h"
#include "agent/support/agentnode.h"
#include "support/ctlrunner.h"
#include "support/scratchfs.h"
#include "support/slowlvm.h"
#include "support/writercheck.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>
#include <unistd.h>

using namespace ndbtest;

namespace {

const char *const kForceRule = "Backing up an in-use volume must use the force flag.";

struct Node
{
    AgentNode agent;
    std::unique_ptr<ScratchFilesystem> fs;
    QString pool;
    std::unique_ptr<QProcess> writer;
    QString writerLog;
};

} // namespace

class TestRemote : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void enrolmentBothWays();
    void backupInUseVolumesOnBothNodesAtOnce();
    void leaseKeptWhileReading();
    void agentKilledMidTransfer();
    void consoleKilledMidRead();
    void consoleRestartDeletesSnapshotBeforeLeaseEnds();
    void poolWithoutReflinkCopiesThroughTheConsole();
    void slowOperationHasADeadlineAndHonoursCancel();
    void offlineNodeDoesNotStopLocalWork();

private:
    QStringList agentArgs() const;
    CtlRun ctl(const QStringList &args, int timeoutMs = 180000) const { return m_ctl.run(agentArgs() + args, timeoutMs); }
    std::unique_ptr<QProcess> startCtl(const QStringList &args) const;
    QString volumeId(const QString &host, const QString &name);
    QStringList poolFiles(const Node &node) const;
    // Nothing of any job left: no snapshot in the pool, no export on the agent, no connection here.
    void checkNothingLeft(Node &node);
    bool waitForExport(const Node &node, int timeoutMs);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ScratchCleanup> m_cleanup;
    CtlFixture m_ctl;
    Node m_nodes[2];
    QString m_consoleConfig;
    QStringList m_originalFiles[2];
    QFile m_steadyHolder; // keeps node1's steady volume in use without changing it
    std::unique_ptr<ScratchFilesystem> m_ext4; // node1's second pool: no reflink, temporary clones
    QFile m_heldHolder;   // keeps its 'held' volume in use
};

void TestRemote::initTestCase()
{
    QString why;
    if (!CtlFixture::canRun(&why))
        QFAIL(qPrintable(why));
    if (!QFileInfo(agentExecutable()).isExecutable())
        QFAIL(qPrintable(QStringLiteral("ndbackup-agent is not built at %1").arg(agentExecutable())));
    if (QStandardPaths::findExecutable(QStringLiteral("nbdkit")).isEmpty())
        QFAIL("nbdkit is not installed (resources/scripts/install-deps-debian.sh installs it)");
    if (writerExecutable().isEmpty())
        QFAIL("ndb-test-writer was not built");
    QVERIFY(m_ctl.setUp());
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_cleanup = std::make_unique<ScratchCleanup>(m_dir->path());
    // The console's own configuration: a short lease, renewed while it reads.
    m_consoleConfig = m_ctl.filePath(QStringLiteral("console.conf"));
    QFile conf(m_consoleConfig);
    QVERIFY(conf.open(QIODevice::WriteOnly));
    conf.write("agent_lease_seconds = 3\n");
    conf.close();

    for (int i = 0; i < 2; ++i) {
        Node &n = m_nodes[i];
        const QString name = QStringLiteral("node%1").arg(i + 1);
        // 512 MiB: the writers run through every test and each temporary snapshot holds their old
        // extents; at 200 MiB a writer hit ENOSPC on a loaded machine (btrfs frees deleted
        // snapshots' extents in the background, later under load).
        NDB_TRY(n.fs = std::make_unique<ScratchFilesystem>(m_dir->path(), QStringLiteral("btrfs"), 512, name + QStringLiteral("fs")));
        n.pool = n.fs->mountPoint();
        QFile busy(n.pool + QStringLiteral("/busy%1.img").arg(i + 1));
        QVERIFY(busy.open(QIODevice::WriteOnly) && busy.resize(24 << 20));
        busy.close();
        if (i == 0) {
            QFile steady(n.pool + QStringLiteral("/steady.img"));
            QVERIFY(steady.open(QIODevice::WriteOnly));
            QByteArray block(1 << 20, Qt::Uninitialized);
            for (int b = 0; b < 8; ++b) {
                QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(block.data()), block.size() / 4);
                QCOMPARE(steady.write(block), qint64(block.size()));
            }
            steady.close();
            m_steadyHolder.setFileName(steady.fileName());
            QVERIFY(m_steadyHolder.open(QIODevice::ReadWrite)); // a writable descriptor makes it in-use
        }
        QStringList pools{n.pool};
        if (i == 0) {
            // A pool without reflink (ext4): the agent copies into a temporary clone, and an in-use
            // volume without a mounted filesystem to freeze is copied while it may be written.
            NDB_TRY(m_ext4 = std::make_unique<ScratchFilesystem>(m_dir->path(), QStringLiteral("ext4"), 64, QStringLiteral("ext4pool")));
            for (const char *volume : {"held", "plain"}) {
                QFile f(m_ext4->mountPoint() + QStringLiteral("/%1.img").arg(QLatin1String(volume)));
                QVERIFY(f.open(QIODevice::WriteOnly));
                QByteArray block(1 << 20, Qt::Uninitialized);
                for (int b = 0; b < 4; ++b) {
                    QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(block.data()), block.size() / 4);
                    QCOMPARE(f.write(block), qint64(block.size()));
                }
            }
            m_heldHolder.setFileName(m_ext4->mountPoint() + QStringLiteral("/held.img"));
            QVERIFY(m_heldHolder.open(QIODevice::ReadWrite));
            pools << m_ext4->mountPoint();
        }
        QVERIFY2(n.agent.configure(m_dir->path(), QStringLiteral("127.0.0.%1").arg(i + 2), name, pools, 4, i + 1, &why),
                 qPrintable(why));
        QVERIFY2(n.agent.start(&why), qPrintable(why));
        n.writerLog = m_dir->filePath(name + QStringLiteral("-writer.log"));
        n.writer = startWriter(QStringLiteral("--raw"), n.pool + QStringLiteral("/busy%1.img").arg(i + 1), n.writerLog, 50, why);
        QVERIFY2(n.writer, qPrintable(why));
        m_originalFiles[i] = poolFiles(n);
    }
}

void TestRemote::cleanupTestCase()
{
    QString why;
    for (Node &n : m_nodes) {
        if (n.writer)
            stopWriter(*n.writer, why);
        const QByteArray log = n.agent.stop();
        if (!log.isEmpty())
            qInfo("%s log:\n%s", qPrintable(n.agent.nodeName), log.constData());
    }
    m_steadyHolder.close();
    m_heldHolder.close();
    m_ext4.reset();
    for (Node &n : m_nodes)
        n.fs.reset();
    m_cleanup.reset();
    m_ctl.tearDown();
}

QStringList TestRemote::agentArgs() const
{
    return consoleArgs(m_consoleConfig, {&m_nodes[0].agent, &m_nodes[1].agent});
}

std::unique_ptr<QProcess> TestRemote::startCtl(const QStringList &args) const
{
    return startCtlProcess(m_ctl, agentArgs() + args);
}

QString TestRemote::volumeId(const QString &host, const QString &name)
{
    return consoleVolumeId(m_ctl, agentArgs(), host, name);
}

QStringList TestRemote::poolFiles(const Node &node) const
{
    return QDir(node.pool).entryList(QDir::Files | QDir::Hidden, QDir::Name);
}

bool TestRemote::waitForExport(const Node &node, int timeoutMs)
{
    return waitForAgentExport(node.agent, timeoutMs);
}

void TestRemote::checkNothingLeft(Node &node)
{
    const int i = &node == &m_nodes[0] ? 0 : 1;
    // The agent reaps within its timer's period (at most 5 s) after a lease ends.
    const bool clean = waitFor([&] {
        return poolFiles(node) == m_originalFiles[i]
               && QDir(node.agent.stateDir + QStringLiteral("/exports")).entryList(QDir::Dirs | QDir::NoDotAndDotDot).isEmpty();
    }, 20000);
    QVERIFY2(clean, qPrintable(QStringLiteral("left on %1: pool %2, exports %3").arg(node.agent.nodeName,
             poolFiles(node).join(QLatin1Char(' ')),
             QDir(node.agent.stateDir + QStringLiteral("/exports")).entryList(QDir::Dirs | QDir::NoDotAndDotDot).join(QLatin1Char(' ')))));
    const QStringList connections = QDir(m_ctl.filePath(QStringLiteral("connections"))).entryList(QDir::AllEntries | QDir::NoDotAndDotDot);
    QVERIFY2(connections.isEmpty(), qPrintable(QStringLiteral("connection directories left: ") + connections.join(QLatin1Char(' '))));
}

void TestRemote::enrolmentBothWays()
{
    // The console's fingerprint, given to each agent.
    const CtlRun show = ctl({QStringLiteral("show-fingerprint")});
    QVERIFY2(show.exitCode == 0, qPrintable(show.err));
    const QString consoleFingerprint = show.out.trimmed();
    QVERIFY(consoleFingerprint.startsWith(QLatin1String("SHA256:")));
    QVERIFY(QFileInfo(m_ctl.filePath(QStringLiteral("identity/identity-key.pem"))).permissions()
            == (QFile::ReadOwner | QFile::WriteOwner | QFile::ReadUser | QFile::WriteUser));
    for (Node &n : m_nodes) {
        QString out;
        QCOMPARE(n.agent.command({QStringLiteral("trust-console"), consoleFingerprint, QStringLiteral("--label"), QStringLiteral("console")}, &out), 0);
    }

    Node &n1 = m_nodes[0];
    // A wrong fingerprint: refused, nothing pinned.
    const QString wrong = QStringLiteral("SHA256:") + QString(64, QLatin1Char('a'));
    CtlRun r = ctl({QStringLiteral("agent"), QStringLiteral("trust"), n1.agent.addressText(), QStringLiteral("--fingerprint"), wrong});
    QCOMPARE(r.exitCode, 3);
    QVERIFY2(r.err.contains(n1.agent.fingerprint) && r.err.contains(QLatin1String("nothing was changed")), qPrintable(r.err));
    QVERIFY(!QFile::exists(m_ctl.filePath(QStringLiteral("agents/agents.json"))));
    // Not a terminal and no --fingerprint: refused, the fingerprint shown.
    r = ctl({QStringLiteral("agent"), QStringLiteral("trust"), n1.agent.addressText()});
    QCOMPARE(r.exitCode, 3);
    QVERIFY2(r.out.contains(n1.agent.fingerprint) && r.err.contains(QLatin1String("not a terminal")), qPrintable(r.out + r.err));
    // Before trust, the node's volumes are left out with a clear word.
    r = ctl({QStringLiteral("volumes")});
    QVERIFY2(r.err.contains(QLatin1String("is not trusted")), qPrintable(r.err));

    // The agents' fingerprints as their own command prints them.
    for (Node &n : m_nodes) {
        QString printed;
        QCOMPARE(n.agent.command({QStringLiteral("show-fingerprint")}, &printed), 0);
        QVERIFY2(printed.contains(n.agent.fingerprint), qPrintable(printed));
        r = ctl({QStringLiteral("agent"), QStringLiteral("trust"), n.agent.addressText(), QStringLiteral("--fingerprint"), n.agent.fingerprint});
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        QVERIFY2(r.out.contains(QLatin1String("answers")), qPrintable(r.out + r.err));
    }
    r = ctl({QStringLiteral("--json"), QStringLiteral("agent"), QStringLiteral("list")});
    QCOMPARE(r.exitCode, 0);
    const QJsonArray agents = QJsonDocument::fromJson(r.out.toUtf8()).array();
    QCOMPARE(agents.size(), 2);
    for (const QJsonValue a : agents) {
        QVERIFY2(a.toObject().value(QStringLiteral("online")).toBool(), qPrintable(r.out));
        QVERIFY(a.toObject().value(QStringLiteral("node")).toString().startsWith(QLatin1String("node")));
    }
}

void TestRemote::backupInUseVolumesOnBothNodesAtOnce()
{
    const QString busy1 = volumeId(QStringLiteral("node1"), QStringLiteral("busy1"));
    const QString busy2 = volumeId(QStringLiteral("node2"), QStringLiteral("busy2"));
    const QString steady = volumeId(QStringLiteral("node1"), QStringLiteral("steady"));
    QVERIFY(!busy1.isEmpty() && !busy2.isEmpty() && !steady.isEmpty());

    // The status rule, exactly as locally; nothing created.
    CtlRun r = ctl({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), busy1});
    QCOMPARE(r.exitCode, 3);
    QVERIFY2(r.err.contains(QLatin1String(kForceRule)), qPrintable(r.err));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT COUNT(*) FROM backups")), QStringLiteral("0"));

    const qint64 before1 = lastLoggedSeq(m_nodes[0].writerLog);
    const qint64 before2 = lastLoggedSeq(m_nodes[1].writerLog);
    std::vector<std::unique_ptr<QProcess>> runs;
    for (const QString &volume : {busy1, busy2, steady})
        runs.push_back(startCtl({QStringLiteral("--json"), QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--force"),
                                 QStringLiteral("--volume"), volume}));
    QStringList ids;
    for (auto &p : runs) {
        QVERIFY(p->waitForFinished(240000));
        const QByteArray out = p->readAllStandardOutput();
        QVERIFY2(p->exitCode() == 0, qPrintable(QString::fromUtf8(out + p->readAllStandardError())));
        const QJsonObject backup = QJsonDocument::fromJson(out).object();
        QCOMPARE(backup.value(QStringLiteral("status")).toString(), QStringLiteral("available"));
        QCOMPARE(backup.value(QStringLiteral("data_path")).toString(), QStringLiteral("export"));
        QCOMPARE(backup.value(QStringLiteral("consistency")).toString(), QStringLiteral("snapshot"));
        ids << backup.value(QStringLiteral("id")).toString();
    }
    // The volumes' statuses are back; the catalog holds what each step did, and no secret.
    for (const QString &volume : {busy1, busy2, steady})
        QVERIFY2(m_ctl.queryOne(QStringLiteral("SELECT status FROM volumes WHERE id='%1'").arg(volume)) == QLatin1String("in-use"),
                 qPrintable(volume + QLatin1Char(' ') + ctl({QStringLiteral("volumes")}).out));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT COUNT(*) FROM snapshots WHERE status='deleted' AND export_id IS NOT NULL "
                                           "AND export_id <> 'requested' AND provider_auth LIKE 'x509:%' AND connection LIKE '%export_name%'")),
             QStringLiteral("3"));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT COUNT(*) FROM snapshots WHERE provider_auth LIKE '%PRIVATE%' OR connection LIKE '%PRIVATE%'")),
             QStringLiteral("0"));
    for (Node &n : m_nodes)
        checkNothingLeft(n);

    // Verify, restore into local files, delete.
    QStringList files;
    for (const QString &id : std::as_const(ids)) {
        r = ctl({QStringLiteral("backup"), QStringLiteral("verify"), id});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QString file = m_ctl.filePath(id + QStringLiteral(".img"));
        r = ctl({QStringLiteral("backup"), QStringLiteral("restore"), id, QStringLiteral("--to-file"), file});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        files << file;
    }
    // The writers' volumes: one point in time each, after everything logged before the backup.
    const WriterCheck c1 = checkRawPrefix(files[0], m_nodes[0].writerLog, before1);
    QVERIFY2(c1.ok, qPrintable(c1.message));
    const WriterCheck c2 = checkRawPrefix(files[1], m_nodes[1].writerLog, before2);
    QVERIFY2(c2.ok, qPrintable(c2.message));
    // The steady volume: byte-equal.
    QCOMPARE(fileMd5(files[2]), fileMd5(m_steadyHolder.fileName()));
    for (const QString &id : std::as_const(ids)) {
        r = ctl({QStringLiteral("backup"), QStringLiteral("delete"), id});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QFile::remove(m_ctl.filePath(id + QStringLiteral(".img")));
    }
}

void TestRemote::leaseKeptWhileReading()
{
    // A read that lasts longer than the agent's lease (4 s): the console extends it meanwhile.
    const QString steady = volumeId(QStringLiteral("node1"), QStringLiteral("steady"));
    QVERIFY(!steady.isEmpty());
    QElapsedTimer timer;
    timer.start();
    CtlRun r = ctl({QStringLiteral("--json"), QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--force"),
                    QStringLiteral("--bandwidth"), QStringLiteral("1"), QStringLiteral("--volume"), steady});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(timer.elapsed() > 6000, "the read must outlast the agent's lease");
    const QString id = QJsonDocument::fromJson(r.out.toUtf8()).object().value(QStringLiteral("id")).toString();
    const QString file = m_ctl.filePath(QStringLiteral("slow.img"));
    r = ctl({QStringLiteral("backup"), QStringLiteral("restore"), id, QStringLiteral("--to-file"), file});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(fileMd5(file), fileMd5(m_steadyHolder.fileName()));
    QFile::remove(file);
    checkNothingLeft(m_nodes[0]);
}

void TestRemote::agentKilledMidTransfer()
{
    Node &n2 = m_nodes[1];
    const QString busy2 = volumeId(QStringLiteral("node2"), QStringLiteral("busy2"));
    QVERIFY(!busy2.isEmpty());
    auto run = startCtl({QStringLiteral("--json"), QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--force"),
                         QStringLiteral("--bandwidth"), QStringLiteral("2"), QStringLiteral("--volume"), busy2});
    QVERIFY2(waitForExport(n2, 60000), "the backup never exported its snapshot");
    QTest::qWait(1500); // reading
    n2.agent.kill();
    QVERIFY(run->waitForFinished(120000));
    const QString err = QString::fromUtf8(run->readAllStandardError());
    QCOMPARE(run->exitCode(), 7); // ExitNetwork: the node broke the connection
    QVERIFY2(err.contains(QLatin1String("storage node node2")), qPrintable(err));
    const QString backupId = m_ctl.queryOne(QStringLiteral("SELECT id FROM backups ORDER BY created_at DESC LIMIT 1"));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT status FROM backups WHERE id='%1'").arg(backupId)), QStringLiteral("error"));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT status FROM volumes WHERE id='%1'").arg(busy2)), QStringLiteral("in-use"));
    // Its snapshot could not be removed (the node was gone): kept with the agent's id for a retry.
    const QString snapshotRow = QStringLiteral("SELECT %1 FROM snapshots WHERE backup_id='%2'").arg(QStringLiteral("%1"), backupId);
    QCOMPARE(m_ctl.queryOne(snapshotRow.arg(QStringLiteral("status"))), QStringLiteral("error_deleting"));
    QVERIFY(!m_ctl.queryOne(snapshotRow.arg(QStringLiteral("provider_id"))).isEmpty());
    // A cleanup while the node is still down keeps it for the next one.
    CtlRun r = ctl({QStringLiteral("cleanup")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    QCOMPARE(m_ctl.queryOne(snapshotRow.arg(QStringLiteral("status"))), QStringLiteral("error_deleting"));
    // After its restart the agent reaps what the job left; the console's cleanup asks it to
    // delete the snapshot by its id and, answered, forgets it.
    QString why;
    QVERIFY2(n2.agent.start(&why), qPrintable(why));
    r = ctl({QStringLiteral("cleanup")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    QCOMPARE(m_ctl.queryOne(snapshotRow.arg(QStringLiteral("status"))), QStringLiteral("deleted"));
    checkNothingLeft(n2);
}

void TestRemote::consoleKilledMidRead()
{
    Node &n1 = m_nodes[0];
    const QString busy1 = volumeId(QStringLiteral("node1"), QStringLiteral("busy1"));
    QVERIFY(!busy1.isEmpty());
    auto run = startCtl({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--force"),
                         QStringLiteral("--bandwidth"), QStringLiteral("2"), QStringLiteral("--volume"), busy1});
    QVERIFY2(waitForExport(n1, 60000), "the backup never exported its snapshot");
    QTest::qWait(1500);
    ::kill(pid_t(run->processId()), SIGKILL);
    QVERIFY(run->waitForFinished(10000));
    const QString backupId = m_ctl.queryOne(QStringLiteral("SELECT id FROM backups WHERE status='creating'"));
    QVERIFY(!backupId.isEmpty());
    // The lease ends without its reader: the agent reaps the export and the snapshot.
    const bool reaped = waitFor([&] { return poolFiles(n1) == m_originalFiles[0]; }, 30000);
    QVERIFY2(reaped, qPrintable(poolFiles(n1).join(QLatin1Char(' '))));
    // The console's next start: the backup is error, the volume's status restored, nothing left.
    const CtlRun r = ctl({QStringLiteral("cleanup")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT status FROM backups WHERE id='%1'").arg(backupId)), QStringLiteral("error"));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT fail_reason FROM backups WHERE id='%1'").arg(backupId)),
             QStringLiteral("incomplete backup reset on restart"));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT status FROM volumes WHERE id='%1'").arg(busy1)), QStringLiteral("in-use"));
    checkNothingLeft(n1);
}

void TestRemote::consoleRestartDeletesSnapshotBeforeLeaseEnds()
{
    // The console asked for a long lease (60 s): when it is killed and started again at once, its
    // startup cleanup asks the agent to delete the snapshot (and its export) instead of waiting.
    Node &n2 = m_nodes[1];
    const QString busy2 = volumeId(QStringLiteral("node2"), QStringLiteral("busy2"));
    QVERIFY(!busy2.isEmpty());
    const QString longLease = m_ctl.filePath(QStringLiteral("long-lease.conf"));
    QFile conf(longLease);
    QVERIFY(conf.open(QIODevice::WriteOnly));
    conf.write("agent_lease_seconds = 60\n");
    conf.close();
    auto run = startCtl({QStringLiteral("--config"), longLease, QStringLiteral("backup"), QStringLiteral("create"),
                         QStringLiteral("--force"), QStringLiteral("--bandwidth"), QStringLiteral("1"), QStringLiteral("--volume"), busy2});
    QVERIFY2(waitForExport(n2, 60000), "the backup never exported its snapshot");
    QTest::qWait(1500);
    ::kill(pid_t(run->processId()), SIGKILL);
    QVERIFY(run->waitForFinished(10000));
    QVERIFY2(poolFiles(n2) != m_originalFiles[1], "the snapshot must still be there (long lease)");
    const QString backupId = m_ctl.queryOne(QStringLiteral("SELECT id FROM backups WHERE status='creating'"));
    QVERIFY(!backupId.isEmpty());
    const CtlRun r = ctl({QStringLiteral("cleanup")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    QCOMPARE(poolFiles(n2), m_originalFiles[1]); // at once, not after a lease
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT status FROM backups WHERE id='%1'").arg(backupId)), QStringLiteral("error"));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT status FROM volumes WHERE id='%1'").arg(busy2)), QStringLiteral("in-use"));
    checkNothingLeft(n2);
}

void TestRemote::poolWithoutReflinkCopiesThroughTheConsole()
{
    // Data path 5 over a temporary clone ("kind":"volume"): the node's consistency reaches the
    // console's catalog, its job outcome and `backup show`.
    const QString held = volumeId(QStringLiteral("node1"), QStringLiteral("held"));
    const QString plain = volumeId(QStringLiteral("node1"), QStringLiteral("plain"));
    QVERIFY(!held.isEmpty() && !plain.isEmpty());
    const QStringList ext4Files = QDir(m_ext4->mountPoint()).entryList(QDir::Files, QDir::Name);
    const auto nothingLeft = [&] {
        const bool clean = waitFor([&] {
            return QDir(m_ext4->mountPoint()).entryList(QDir::Files, QDir::Name) == ext4Files
                   && QDir(m_nodes[0].agent.stateDir + QStringLiteral("/exports")).entryList(QDir::Dirs | QDir::NoDotAndDotDot).isEmpty();
        }, 20000);
        QVERIFY2(clean, qPrintable(QDir(m_ext4->mountPoint()).entryList(QDir::Files, QDir::Name).join(QLatin1Char(' '))));
        QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT COUNT(*) FROM snapshots WHERE deleted_at IS NULL")), QStringLiteral("0"));
    };

    // In use, no filesystem to freeze: copied, but not point-in-time, and said so.
    CtlRun r = ctl({QStringLiteral("--json"), QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--force"),
                    QStringLiteral("--volume"), held});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    QVERIFY2(r.err.contains(QLatin1String("completed with warnings")) && r.err.contains(QLatin1String("not a point-in-time copy")),
             qPrintable(r.err));
    const QJsonObject backup = QJsonDocument::fromJson(r.out.toUtf8()).object();
    const QString id = backup.value(QStringLiteral("id")).toString();
    QVERIFY2(!id.isEmpty(), qPrintable(r.out));
    QCOMPARE(backup.value(QStringLiteral("status")).toString(), QStringLiteral("available"));
    QCOMPARE(backup.value(QStringLiteral("consistency")).toString(), QStringLiteral("not-point-in-time"));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT consistency FROM backups WHERE id='%1'").arg(id)), QStringLiteral("not-point-in-time"));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT status FROM jobs WHERE backup_id='%1'").arg(id)), QStringLiteral("succeeded-with-warnings"));
    r = ctl({QStringLiteral("--json"), QStringLiteral("backup"), QStringLiteral("show"), id});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).object().value(QStringLiteral("consistency")).toString(),
             QStringLiteral("not-point-in-time"));
    // The volume is still in use and untouched; its copy equals it (nothing wrote it meanwhile).
    const QString file = m_ctl.filePath(QStringLiteral("held.img"));
    r = ctl({QStringLiteral("backup"), QStringLiteral("restore"), id, QStringLiteral("--to-file"), file});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(fileMd5(file), fileMd5(m_heldHolder.fileName()));
    QFile::remove(file);
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT status FROM volumes WHERE id='%1'").arg(held)), QStringLiteral("in-use"));
    nothingLeft();

    // Required to be point-in-time: refused (exit 3), nothing left on the node nor in the catalog.
    const QString backupsBefore = m_ctl.queryOne(QStringLiteral("SELECT COUNT(*) FROM backups WHERE status<>'error'"));
    r = ctl({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--force"), QStringLiteral("--require-point-in-time"),
             QStringLiteral("--volume"), held});
    QCOMPARE(r.exitCode, 3);
    QVERIFY2(r.err.contains(QLatin1String("point-in-time")) && r.err.contains(QLatin1String("held")), qPrintable(r.err));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT COUNT(*) FROM backups WHERE status<>'error'")), backupsBefore);
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT status FROM volumes WHERE id='%1'").arg(held)), QStringLiteral("in-use"));
    nothingLeft();

    // An available volume on the same pool: a clean copy.
    r = ctl({QStringLiteral("--json"), QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), plain});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    QVERIFY2(!r.err.contains(QLatin1String("warnings")), qPrintable(r.err));
    const QJsonObject clean = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(clean.value(QStringLiteral("consistency")).toString(), QStringLiteral("detached"));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT status FROM jobs WHERE backup_id='%1'").arg(clean.value(QStringLiteral("id")).toString())),
             QStringLiteral("succeeded"));
    nothingLeft();
}

void TestRemote::slowOperationHasADeadlineAndHonoursCancel()
{
    // A third node whose storage answers slowly (its lvm takes 6 s for every lvs while the marker
    // exists): the console waits for an operation at most agent_operation_timeout_seconds, and a
    // cancel ends the wait; the operation's id is in the catalog before the wait.
    const QString marker = m_dir->filePath(QStringLiteral("lvm-slow"));
    AgentNode slow;
    QString why;
    {
        std::unique_ptr<SlowLvm> lvm;
        NDB_TRY(lvm = std::make_unique<SlowLvm>(m_dir->filePath(QStringLiteral("slowlvm")), 6, marker));
        QVERIFY2(slow.configure(m_dir->path(), QStringLiteral("127.0.0.4"), QStringLiteral("node3"), {}, 60, 3, &why), qPrintable(why));
        QFile conf(slow.configFile);
        QVERIFY(conf.open(QIODevice::Append));
        conf.write(QStringLiteral("lvm_volume_groups = %1\n").arg(SlowLvm::volumeGroup()).toUtf8());
        conf.close();
        QVERIFY2(slow.start(&why), qPrintable(why)); // inherits the slow lvm's PATH
    }
    const CtlRun show = ctl({QStringLiteral("show-fingerprint")});
    QCOMPARE(slow.command({QStringLiteral("trust-console"), show.out.trimmed()}), 0);
    const QStringList third{QStringLiteral("--agent"), slow.addressText()};
    CtlRun r = ctl(third + QStringList{QStringLiteral("agent"), QStringLiteral("trust"), slow.addressText(), QStringLiteral("--fingerprint"),
                                       slow.fingerprint});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    const QString data = QStringLiteral("remote:%1/data").arg(slow.addressText());
    r = ctl(third + QStringList{QStringLiteral("volumes")});
    QVERIFY2(r.out.contains(QLatin1String("data")), qPrintable(r.out + r.err));

    const QString shortLimit = m_ctl.filePath(QStringLiteral("short-operations.conf"));
    QFile conf(shortLimit);
    QVERIFY(conf.open(QIODevice::WriteOnly));
    conf.write("agent_lease_seconds = 3\nagent_operation_timeout_seconds = 2\n");
    conf.close();
    QVERIFY(QFile(marker).open(QIODevice::WriteOnly));
    // The deadline: the snapshot's operation takes 6 s, the console waits 2 s and says so.
    QElapsedTimer timer;
    timer.start();
    r = ctl(third + QStringList{QStringLiteral("--config"), shortLimit, QStringLiteral("backup"), QStringLiteral("create"),
                                QStringLiteral("--volume"), data});
    QVERIFY2(r.exitCode != 0 && r.err.contains(QLatin1String("did not finish within 2 s"))
                 && r.err.contains(slow.addressText()) && r.err.contains(QLatin1String("agent_operation_timeout_seconds")),
             qPrintable(r.err));
    QString backupId = m_ctl.queryOne(QStringLiteral("SELECT id FROM backups WHERE volume_id='%1' ORDER BY created_at DESC LIMIT 1").arg(data));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT status FROM backups WHERE id='%1'").arg(backupId)), QStringLiteral("error"));
    // The operation's id was recorded before the wait; the undo could not wait for it either
    // (the same limit), so it is kept for the cleanup, which waits for it once the node answers.
    const QString snapshotRow = QStringLiteral("SELECT %1 FROM snapshots WHERE backup_id='%2'").arg(QStringLiteral("%1"), backupId);
    QVERIFY2(m_ctl.queryOne(snapshotRow.arg(QStringLiteral("provider_id"))).startsWith(QLatin1String("operation:")),
             qPrintable(m_ctl.queryOne(snapshotRow.arg(QStringLiteral("provider_id")))));
    QCOMPARE(m_ctl.queryOne(snapshotRow.arg(QStringLiteral("status"))), QStringLiteral("error_deleting"));
    r = ctl(third + QStringList{QStringLiteral("cleanup")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    QCOMPARE(m_ctl.queryOne(snapshotRow.arg(QStringLiteral("status"))), QStringLiteral("deleted"));

    // A cancel (SIGTERM) while the operation runs: the job ends cancelled (exit 130) without
    // waiting for the operation's own end to report it, and its undo waits for what it made.
    auto run = startCtl(third + QStringList{QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), data});
    const QString running = QStringLiteral("SELECT COUNT(*) FROM snapshots WHERE provider_id LIKE 'operation:%' AND status='creating'");
    QVERIFY2(waitFor([&] { return m_ctl.queryOne(running) == QLatin1String("1"); }, 30000), "the backup never asked for its snapshot");
    timer.restart();
    ::kill(pid_t(run->processId()), SIGTERM);
    QVERIFY(run->waitForFinished(60000));
    const QString err = QString::fromUtf8(run->readAllStandardError());
    QVERIFY2(run->exitCode() == 130, qPrintable(QStringLiteral("exit %1: %2").arg(run->exitCode()).arg(err)));
    backupId = m_ctl.queryOne(QStringLiteral("SELECT id FROM backups WHERE volume_id='%1' ORDER BY created_at DESC LIMIT 1").arg(data));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT fail_reason FROM backups WHERE id='%1'").arg(backupId)), QStringLiteral("cancelled"));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT status FROM snapshots WHERE backup_id='%1'").arg(backupId)), QStringLiteral("deleted"));
    QFile::remove(marker);
    // Nothing on the node: no temporary row left in the agent's table.
    int live = -1;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("node3"));
        db.setDatabaseName(slow.stateDir + QStringLiteral("/agent.sqlite"));
        if (db.open()) {
            QSqlQuery q(db);
            if (q.exec(QStringLiteral("SELECT COUNT(*) FROM snapshots WHERE deleted_at IS NULL")) && q.next())
                live = q.value(0).toInt();
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(QStringLiteral("node3"));
    QCOMPARE(live, 0);
    r = ctl(third + QStringList{QStringLiteral("agent"), QStringLiteral("forget"), slow.addressText()});
    QCOMPARE(r.exitCode, 0);
    slow.stop();
}

void TestRemote::offlineNodeDoesNotStopLocalWork()
{
    Node &n2 = m_nodes[1];
    n2.agent.stop();
    // A local volume next to the nodes' volumes.
    QFile local(m_ctl.pool + QStringLiteral("/local.img"));
    QVERIFY(local.open(QIODevice::WriteOnly) && local.resize(4 << 20));
    local.close();
    CtlRun r = ctl({QStringLiteral("volumes")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.err.contains(QLatin1String("offline")) && r.err.contains(n2.agent.addressText()), qPrintable(r.err));
    QVERIFY2(r.out.contains(QLatin1String("local")) && r.out.contains(QLatin1String("busy1")), qPrintable(r.out));
    QVERIFY2(!r.out.contains(QLatin1String("busy2")), qPrintable(r.out)); // the offline node's volumes are absent
    r = ctl({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), QStringLiteral("local")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    r = ctl({QStringLiteral("--json"), QStringLiteral("agent"), QStringLiteral("list")});
    QCOMPARE(r.exitCode, 0);
    for (const QJsonValue a : QJsonDocument::fromJson(r.out.toUtf8()).array())
        QCOMPARE(a.toObject().value(QStringLiteral("online")).toBool(),
                 a.toObject().value(QStringLiteral("address")).toString() != n2.agent.addressText());
    QString why;
    QVERIFY2(n2.agent.start(&why), qPrintable(why));
    // Forget: the node's volumes are no longer managed.
    r = ctl({QStringLiteral("agent"), QStringLiteral("forget"), n2.agent.addressText()});
    QCOMPARE(r.exitCode, 0);
    r = ctl({QStringLiteral("agent"), QStringLiteral("forget"), n2.agent.addressText()});
    QCOMPARE(r.exitCode, 4);
}

QTEST_GUILESS_MAIN(TestRemote)
#include "tst_remote.moc"
