// Restore onto a storage node's volume from the console (issue #12): two real agents on 127.0.0.2
// (btrfs pool) and 127.0.0.3 (ext4 pool), the console the real ndbackupctl. A backup of an in-use
// volume on node1 restored onto an existing available volume on node2 and into a new volume on
// node1, a local volume's backup restored onto node2, bytes compared; refusals that change
// nothing; the console killed mid-restore (the agent reaps the writable export, the next start
// records the failure), the agent killed mid-restore (exit 7 naming the node); verify and delete.
#include "agent/support/agentnode.h"
#include "support/agentapi.h"
#include "support/ctlrunner.h"
#include "support/scratchfs.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>
#include <unistd.h>

using namespace ndbtest;

namespace {

constexpr qint64 kMiB = 1 << 20;

struct Node
{
    AgentNode agent;
    std::unique_ptr<ScratchFilesystem> fs;
    QString pool;
};

void writeRandomFile(const QString &path, qint64 size)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QByteArray block(kMiB, Qt::Uninitialized);
    for (qint64 done = 0; done < size; done += block.size()) {
        QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(block.data()), block.size() / 4);
        QCOMPARE(f.write(block), qint64(block.size()));
    }
}

// MD5 of the first `size` bytes of `path` (a restore writes the backup's size, the volume may be larger).
QByteArray prefixMd5(const QString &path, qint64 size)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray bytes = f.read(size);
    return bytes.size() == size ? QCryptographicHash::hash(bytes, QCryptographicHash::Md5).toHex() : QByteArray();
}

} // namespace

class TestRemoteRestore : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void restoreOntoExistingVolumeOfAnotherNode();
    void restoreIntoNewVolumeOnNode();
    void restoreLocalBackupOntoNodeVolume();
    void refusalsChangeNothing();
    void consoleKilledMidRestore();
    void consoleRestartEndsExportBeforeLeaseEnds();
    void agentKilledMidRestore();
    void failedRestoreIntoNewVolumeIsError();
    void verifyAndDeleteNodeBackup();

private:
    QStringList agentArgs() const;
    CtlRun ctl(const QStringList &args, int timeoutMs = 180000) const { return m_ctl.run(agentArgs() + args, timeoutMs); }
    std::unique_ptr<QProcess> startCtl(const QStringList &args) const;
    QString volumeId(const QString &host, const QString &name) { return consoleVolumeId(m_ctl, agentArgs(), host, name); }
    // The node's own word on its volume's status.
    QString agentStatus(const QString &host, const QString &name);
    QString consoleStatus(const QString &volumeId) const
    {
        return m_ctl.queryOne(QStringLiteral("SELECT status FROM volumes WHERE id='%1'").arg(volumeId));
    }
    // No export on the node, no connection directory here, no export recorded for a live restore.
    void checkNothingExported(const Node &node);
    // `backup restore BACKUP TARGET --bandwidth 1` started, once the node exports its target.
    std::unique_ptr<QProcess> startSlowRestore(const QString &backup, const QStringList &target, const Node &node,
                                               const QStringList &extra = {});
    // A backup of node1's in-use volume, taken once.
    QString nodeBackup();

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ScratchCleanup> m_cleanup;
    CtlFixture m_ctl;
    Node m_nodes[2];
    QString m_consoleConfig;
    QFile m_inUseHolder;  // keeps node1's source volume in use without changing it
    QFile m_busyHolder;   // keeps node2's "busy" volume in use
    QString m_backupId;
};

void TestRemoteRestore::initTestCase()
{
    QString why;
    if (!CtlFixture::canRun(&why))
        QFAIL(qPrintable(why));
    if (!QFileInfo(agentExecutable()).isExecutable())
        QFAIL(qPrintable(QStringLiteral("ndbackup-agent is not built at %1").arg(agentExecutable())));
    if (QStandardPaths::findExecutable(QStringLiteral("nbdkit")).isEmpty())
        QFAIL("nbdkit is not installed (resources/scripts/install-deps-debian.sh installs it)");
    QVERIFY(m_ctl.setUp());
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_cleanup = std::make_unique<ScratchCleanup>(m_dir->path());
    // A short lease, renewed while the console writes.
    m_consoleConfig = m_ctl.filePath(QStringLiteral("console.conf"));
    QFile conf(m_consoleConfig);
    QVERIFY(conf.open(QIODevice::WriteOnly));
    conf.write("agent_lease_seconds = 3\n");
    conf.close();

    const QString types[2] = {QStringLiteral("btrfs"), QStringLiteral("ext4")};
    for (int i = 0; i < 2; ++i) {
        Node &n = m_nodes[i];
        const QString name = QStringLiteral("node%1").arg(i + 1);
        NDB_TRY(n.fs = std::make_unique<ScratchFilesystem>(m_dir->path(), types[i], 256, name + QStringLiteral("fs")));
        n.pool = n.fs->mountPoint();
        if (i == 0) {
            writeRandomFile(n.pool + QStringLiteral("/source.img"), 8 * kMiB);
            m_inUseHolder.setFileName(n.pool + QStringLiteral("/source.img"));
            QVERIFY(m_inUseHolder.open(QIODevice::ReadWrite)); // a writable descriptor makes it in-use
        } else {
            writeRandomFile(n.pool + QStringLiteral("/target.img"), 8 * kMiB);
            writeRandomFile(n.pool + QStringLiteral("/small.img"), 4 * kMiB);
            writeRandomFile(n.pool + QStringLiteral("/busy.img"), 8 * kMiB);
            m_busyHolder.setFileName(n.pool + QStringLiteral("/busy.img"));
            QVERIFY(m_busyHolder.open(QIODevice::ReadWrite));
        }
        QVERIFY2(n.agent.configure(m_dir->path(), QStringLiteral("127.0.0.%1").arg(i + 2), name, {n.pool}, 4, i + 3, &why),
                 qPrintable(why));
        QVERIFY2(n.agent.start(&why), qPrintable(why));
    }

    // Enrolment both ways, through the real commands.
    const CtlRun show = ctl({QStringLiteral("show-fingerprint")});
    QVERIFY2(show.exitCode == 0, qPrintable(show.err));
    for (Node &n : m_nodes) {
        QCOMPARE(n.agent.command({QStringLiteral("trust-console"), show.out.trimmed()}), 0);
        const CtlRun r = ctl({QStringLiteral("agent"), QStringLiteral("trust"), n.agent.addressText(), QStringLiteral("--fingerprint"),
                              n.agent.fingerprint});
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    }
}

void TestRemoteRestore::cleanupTestCase()
{
    for (Node &n : m_nodes) {
        const QByteArray log = n.agent.stop();
        if (!log.isEmpty())
            qInfo("%s log:\n%s", qPrintable(n.agent.nodeName), log.constData());
    }
    m_inUseHolder.close();
    m_busyHolder.close();
    for (Node &n : m_nodes)
        n.fs.reset();
    m_cleanup.reset();
    m_ctl.tearDown();
}

QStringList TestRemoteRestore::agentArgs() const
{
    return consoleArgs(m_consoleConfig, {&m_nodes[0].agent, &m_nodes[1].agent});
}

std::unique_ptr<QProcess> TestRemoteRestore::startCtl(const QStringList &args) const
{
    return startCtlProcess(m_ctl, agentArgs() + args);
}

QString TestRemoteRestore::agentStatus(const QString &host, const QString &name)
{
    // GET /v1/volumes as this console, not the console's catalog (which keeps its own 'error').
    const Node &n = host == QLatin1String("node1") ? m_nodes[0] : m_nodes[1];
    const ndb::TlsIdentity console = ndb::TlsIdentity::loadOrCreate(m_ctl.filePath(QStringLiteral("identity")), QStringLiteral("console"));
    const ApiResponse answer = agentExchange(n.agent.address, n.agent.apiPort, &console, n.agent.fingerprint,
                                             agentRequestBytes("GET", QStringLiteral("/v1/volumes"), n.agent.address));
    for (const QJsonValue v : answer.json().value(QStringLiteral("volumes")).toArray())
        if (v.toObject().value(QStringLiteral("name")).toString() == name)
            return v.toObject().value(QStringLiteral("status")).toString();
    qWarning("GET /v1/volumes on %s: %d %s", qPrintable(host), answer.status, answer.body.constData());
    return {};
}

void TestRemoteRestore::checkNothingExported(const Node &node)
{
    // The agent reaps within its timer's period (at most 5 s) after a lease ends.
    const bool clean = waitFor([&] { return agentExports(node.agent).isEmpty(); }, 20000);
    QVERIFY2(clean, qPrintable(QStringLiteral("exports left on %1: %2").arg(node.agent.nodeName, agentExports(node.agent).join(QLatin1Char(' ')))));
    const QStringList connections = QDir(m_ctl.filePath(QStringLiteral("connections"))).entryList(QDir::AllEntries | QDir::NoDotAndDotDot);
    QVERIFY2(connections.isEmpty(), qPrintable(QStringLiteral("connection directories left: ") + connections.join(QLatin1Char(' '))));
}

std::unique_ptr<QProcess> TestRemoteRestore::startSlowRestore(const QString &backup, const QStringList &target, const Node &node,
                                                              const QStringList &extra)
{
    auto run = startCtl(extra + QStringList{QStringLiteral("backup"), QStringLiteral("restore"), backup} + target
                        + QStringList{QStringLiteral("--bandwidth"), QStringLiteral("1")});
    if (!waitForAgentExport(node.agent, 60000))
        return {};
    QTest::qWait(1500); // writing
    return run;
}

QString TestRemoteRestore::nodeBackup()
{
    if (!m_backupId.isEmpty())
        return m_backupId;
    const QString source = volumeId(QStringLiteral("node1"), QStringLiteral("source"));
    if (source.isEmpty())
        return {};
    const CtlRun r = ctl({QStringLiteral("--json"), QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--force"),
                          QStringLiteral("--volume"), source});
    if (r.exitCode != 0) {
        qWarning("backup: %s", qPrintable(r.err));
        return {};
    }
    m_backupId = QJsonDocument::fromJson(r.out.toUtf8()).object().value(QStringLiteral("id")).toString();
    return m_backupId;
}

void TestRemoteRestore::restoreOntoExistingVolumeOfAnotherNode()
{
    const QString backup = nodeBackup();
    QVERIFY(!backup.isEmpty());
    const QString target = volumeId(QStringLiteral("node2"), QStringLiteral("target"));
    QVERIFY(!target.isEmpty());
    const CtlRun r = ctl({QStringLiteral("backup"), QStringLiteral("restore"), backup, QStringLiteral("--to-volume"), target});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    QCOMPARE(fileMd5(m_nodes[1].pool + QStringLiteral("/target.img")), fileMd5(m_inUseHolder.fileName()));
    // The export ended, the volume available again on both sides; the record of the export was
    // written (and cleared once ended).
    checkNothingExported(m_nodes[1]);
    QCOMPARE(agentStatus(QStringLiteral("node2"), QStringLiteral("target")), QStringLiteral("available"));
    QCOMPARE(consoleStatus(target), QStringLiteral("available"));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE volume_sink IS NOT NULL")), QStringLiteral("0"));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT status FROM backups WHERE id='%1'").arg(backup)), QStringLiteral("available"));
}

void TestRemoteRestore::restoreIntoNewVolumeOnNode()
{
    const QString backup = nodeBackup();
    QVERIFY(!backup.isEmpty());
    const QString driver = QStringLiteral("remote:") + m_nodes[0].agent.addressText();
    CtlRun r = ctl({QStringLiteral("backup"), QStringLiteral("restore"), backup, QStringLiteral("--new-volume"), QStringLiteral("restored"),
                    QStringLiteral("--driver"), driver});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    const QString file = m_nodes[0].pool + QStringLiteral("/restored.img");
    QCOMPARE(prefixMd5(file, 8 * kMiB), fileMd5(m_inUseHolder.fileName()));
    checkNothingExported(m_nodes[0]);
    const QString restored = volumeId(QStringLiteral("node1"), QStringLiteral("restored"));
    QCOMPARE(restored, driver + QStringLiteral("/restored"));
    QCOMPARE(agentStatus(QStringLiteral("node1"), QStringLiteral("restored")), QStringLiteral("available"));
    QCOMPARE(consoleStatus(restored), QStringLiteral("available"));
    // The name exists now: refused by the node, nothing overwritten.
    const QByteArray before = fileMd5(file);
    r = ctl({QStringLiteral("backup"), QStringLiteral("restore"), backup, QStringLiteral("--new-volume"), QStringLiteral("restored"),
             QStringLiteral("--driver"), driver});
    QCOMPARE(r.exitCode, 3);
    QVERIFY2(r.err.contains(QLatin1String("restored")), qPrintable(r.err));
    QCOMPARE(fileMd5(file), before);
    QCOMPARE(consoleStatus(restored), QStringLiteral("available"));
}

void TestRemoteRestore::restoreLocalBackupOntoNodeVolume()
{
    writeRandomFile(m_ctl.pool + QStringLiteral("/local.img"), 4 * kMiB);
    CtlRun r = ctl({QStringLiteral("--json"), QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), QStringLiteral("local")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QString backup = QJsonDocument::fromJson(r.out.toUtf8()).object().value(QStringLiteral("id")).toString();
    const QString target = volumeId(QStringLiteral("node2"), QStringLiteral("target"));
    QVERIFY(!target.isEmpty());
    r = ctl({QStringLiteral("backup"), QStringLiteral("restore"), backup, QStringLiteral("--to-volume"), target});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    QCOMPARE(prefixMd5(m_nodes[1].pool + QStringLiteral("/target.img"), 4 * kMiB), fileMd5(m_ctl.pool + QStringLiteral("/local.img")));
    checkNothingExported(m_nodes[1]);
    QCOMPARE(consoleStatus(target), QStringLiteral("available"));
}

void TestRemoteRestore::refusalsChangeNothing()
{
    const QString backup = nodeBackup();
    QVERIFY(!backup.isEmpty());
    Node &n2 = m_nodes[1];
    const QString busy = volumeId(QStringLiteral("node2"), QStringLiteral("busy"));
    const QString small = volumeId(QStringLiteral("node2"), QStringLiteral("small"));
    const QString target = volumeId(QStringLiteral("node2"), QStringLiteral("target"));
    QVERIFY(!busy.isEmpty() && !small.isEmpty() && !target.isEmpty());
    const QByteArray busyBefore = fileMd5(n2.pool + QStringLiteral("/busy.img"));
    const QByteArray smallBefore = fileMd5(n2.pool + QStringLiteral("/small.img"));
    const QByteArray targetBefore = fileMd5(n2.pool + QStringLiteral("/target.img"));
    const auto restoreTo = [&](const QString &volume) {
        return ctl({QStringLiteral("backup"), QStringLiteral("restore"), backup, QStringLiteral("--to-volume"), volume});
    };

    CtlRun r = restoreTo(busy); // in use by its real user
    QCOMPARE(r.exitCode, 3);
    QVERIFY2(r.err.contains(QLatin1String("Volume busy is 'in-use'")), qPrintable(r.err));
    r = restoreTo(small);
    QCOMPARE(r.exitCode, 3);
    QVERIFY2(r.err.contains(QLatin1String("Volume small has 4")) && r.err.contains(QLatin1String("needs 8")), qPrintable(r.err));
    r = restoreTo(QStringLiteral("remote:%1/nosuch").arg(n2.agent.addressText()));
    QCOMPARE(r.exitCode, 4);
    QVERIFY2(r.err.contains(QLatin1String("no volume")) && r.err.contains(QLatin1String("nosuch")), qPrintable(r.err));
    // Offline: the node does not answer.
    n2.agent.stop();
    r = restoreTo(target);
    QString why;
    QVERIFY2(n2.agent.start(&why), qPrintable(why));
    QVERIFY2(r.exitCode == 7 && r.err.contains(n2.agent.addressText()), qPrintable(QString::number(r.exitCode) + QLatin1Char(' ') + r.err));

    QCOMPARE(volumeId(QStringLiteral("node2"), QStringLiteral("target")), target); // listed again (the console's inventory)
    QCOMPARE(fileMd5(n2.pool + QStringLiteral("/busy.img")), busyBefore);
    QCOMPARE(fileMd5(n2.pool + QStringLiteral("/small.img")), smallBefore);
    QCOMPARE(fileMd5(n2.pool + QStringLiteral("/target.img")), targetBefore);
    checkNothingExported(n2);
    QCOMPARE(consoleStatus(busy), QStringLiteral("in-use"));
    QCOMPARE(consoleStatus(small), QStringLiteral("available"));
    QCOMPARE(consoleStatus(target), QStringLiteral("available"));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT status FROM backups WHERE id='%1'").arg(backup)), QStringLiteral("available"));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE volume_sink IS NOT NULL")), QStringLiteral("0"));
}

void TestRemoteRestore::consoleKilledMidRestore()
{
    const QString backup = nodeBackup();
    QVERIFY(!backup.isEmpty());
    Node &n2 = m_nodes[1];
    const QString target = volumeId(QStringLiteral("node2"), QStringLiteral("target"));
    QVERIFY(!target.isEmpty());
    auto run = startSlowRestore(backup, {QStringLiteral("--to-volume"), target}, n2);
    QVERIFY2(run, "the restore never exported its target");
    QCOMPARE(agentStatus(QStringLiteral("node2"), QStringLiteral("target")), QStringLiteral("restoring-backup"));
    // Recorded before each step: the export's id and the connection's properties, no secret.
    const QString sink = m_ctl.queryOne(QStringLiteral("SELECT volume_sink FROM jobs WHERE volume_sink IS NOT NULL"));
    QVERIFY2(sink.contains(QLatin1String("export_name")) && !sink.contains(QLatin1String("requested")) && !sink.contains(QLatin1String("PRIVATE")),
             qPrintable(sink));
    ::kill(pid_t(run->processId()), SIGKILL);
    QVERIFY(run->waitForFinished(10000));
    // The lease ends without its writer: the agent reaps the writable export.
    QVERIFY2(waitFor([&] { return agentExports(n2.agent).isEmpty(); }, 20000), qPrintable(agentExports(n2.agent).join(QLatin1Char(' '))));
    QCOMPARE(agentStatus(QStringLiteral("node2"), QStringLiteral("target")), QStringLiteral("available"));
    const CtlRun r = ctl({QStringLiteral("cleanup")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    checkNothingExported(n2);
    // The console's next start: the volume holds a partial restore, the job failed, the backup is available.
    QCOMPARE(consoleStatus(target), QStringLiteral("error"));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT status FROM jobs WHERE kind='restore' ORDER BY id DESC LIMIT 1")), QStringLiteral("failed"));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT status FROM backups WHERE id='%1'").arg(backup)), QStringLiteral("available"));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE volume_sink IS NOT NULL")), QStringLiteral("0"));
    // A complete restore onto it is what makes it available again; it outlasts the agent's lease
    // (4 s), which the console keeps while it writes.
    QElapsedTimer timer;
    timer.start();
    const CtlRun again = ctl({QStringLiteral("backup"), QStringLiteral("restore"), backup, QStringLiteral("--to-volume"), target,
                              QStringLiteral("--bandwidth"), QStringLiteral("1")});
    QVERIFY2(timer.elapsed() > 6000, "the write must outlast the agent's lease");
    QVERIFY2(again.exitCode == 0, qPrintable(again.out + again.err));
    QCOMPARE(consoleStatus(target), QStringLiteral("available"));
    QCOMPARE(fileMd5(n2.pool + QStringLiteral("/target.img")), fileMd5(m_inUseHolder.fileName()));
}

void TestRemoteRestore::consoleRestartEndsExportBeforeLeaseEnds()
{
    // A long lease (60 s): the console's next start ends the export it recorded at once.
    const QString backup = nodeBackup();
    QVERIFY(!backup.isEmpty());
    Node &n2 = m_nodes[1];
    const QString target = volumeId(QStringLiteral("node2"), QStringLiteral("target"));
    QVERIFY(!target.isEmpty());
    const QString longLease = m_ctl.filePath(QStringLiteral("long-lease.conf"));
    QFile conf(longLease);
    QVERIFY(conf.open(QIODevice::WriteOnly));
    conf.write("agent_lease_seconds = 60\n");
    conf.close();
    auto run = startSlowRestore(backup, {QStringLiteral("--to-volume"), target}, n2, {QStringLiteral("--config"), longLease});
    QVERIFY2(run, "the restore never exported its target");
    ::kill(pid_t(run->processId()), SIGKILL);
    QVERIFY(run->waitForFinished(10000));
    QVERIFY2(!agentExports(n2.agent).isEmpty(), "the export must still be there (long lease)");
    const CtlRun r = ctl({QStringLiteral("cleanup")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    QVERIFY2(agentExports(n2.agent).isEmpty(), "the console's start ends the export at once, not after the lease");
    QCOMPARE(consoleStatus(target), QStringLiteral("error"));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE volume_sink IS NOT NULL")), QStringLiteral("0"));
    checkNothingExported(n2);
}

void TestRemoteRestore::agentKilledMidRestore()
{
    const QString backup = nodeBackup();
    QVERIFY(!backup.isEmpty());
    Node &n2 = m_nodes[1];
    const QString target = volumeId(QStringLiteral("node2"), QStringLiteral("target"));
    QVERIFY(!target.isEmpty());
    auto run = startSlowRestore(backup, {QStringLiteral("--to-volume"), target}, n2);
    QVERIFY2(run, "the restore never exported its target");
    n2.agent.kill();
    QVERIFY(run->waitForFinished(120000));
    const QString err = QString::fromUtf8(run->readAllStandardError());
    QCOMPARE(run->exitCode(), 7); // the node broke the connection
    QVERIFY2(err.contains(QLatin1String("storage node node2")), qPrintable(err));
    QCOMPARE(consoleStatus(target), QStringLiteral("error"));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT status FROM backups WHERE id='%1'").arg(backup)), QStringLiteral("available"));
    // After its restart the agent reaps the export; the console's start ends its record.
    QString why;
    QVERIFY2(n2.agent.start(&why), qPrintable(why));
    const CtlRun r = ctl({QStringLiteral("cleanup")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    checkNothingExported(n2);
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE volume_sink IS NOT NULL")), QStringLiteral("0"));
    QCOMPARE(agentStatus(QStringLiteral("node2"), QStringLiteral("target")), QStringLiteral("available"));
}

void TestRemoteRestore::failedRestoreIntoNewVolumeIsError()
{
    // A node cannot delete volumes: the new volume of a failed restore stays, and is never
    // marked usable.
    const QString backup = nodeBackup();
    QVERIFY(!backup.isEmpty());
    Node &n2 = m_nodes[1];
    auto run = startSlowRestore(backup, {QStringLiteral("--new-volume"), QStringLiteral("partial"), QStringLiteral("--driver"),
                                         QStringLiteral("remote:") + n2.agent.addressText()}, n2);
    QVERIFY2(run, "the restore never exported its new volume");
    n2.agent.kill();
    QVERIFY(run->waitForFinished(120000));
    const QString err = QString::fromUtf8(run->readAllStandardError());
    QVERIFY2(run->exitCode() == 7 && err.contains(QLatin1String("storage node node2")), qPrintable(err));
    const QString partial = QStringLiteral("remote:%1/partial").arg(n2.agent.addressText());
    QCOMPARE(consoleStatus(partial), QStringLiteral("error"));
    QString why;
    QVERIFY2(n2.agent.start(&why), qPrintable(why));
    const CtlRun r = ctl({QStringLiteral("cleanup")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    checkNothingExported(n2);
    QCOMPARE(consoleStatus(partial), QStringLiteral("error"));
}

void TestRemoteRestore::verifyAndDeleteNodeBackup()
{
    const QString backup = nodeBackup();
    QVERIFY(!backup.isEmpty());
    CtlRun r = ctl({QStringLiteral("backup"), QStringLiteral("verify"), backup});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    r = ctl({QStringLiteral("backup"), QStringLiteral("delete"), backup});
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT status FROM backups WHERE id='%1'").arg(backup)), QStringLiteral("deleted"));
    r = ctl({QStringLiteral("backup"), QStringLiteral("restore"), backup, QStringLiteral("--to-volume"),
             volumeId(QStringLiteral("node2"), QStringLiteral("target"))});
    QCOMPARE(r.exitCode, 3);
    m_backupId.clear();
}

QTEST_GUILESS_MAIN(TestRemoteRestore)
#include "tst_remoterestore.moc"
