// The link to a storage node cut mid-transfer (#12): the agent runs in one network namespace, the
// console's ndbackupctl in another, joined by a veth pair with private addresses (10.213.x.y/30)
// that this test makes and deletes; nothing here dials any address outside the namespaces. A
// forced backup of an in-use volume is reading when the agent's end of the veth goes down: the job
// fails in bounded time with exit 7 naming the node, no backup is available, the agent reaps the
// export and the snapshot after the lease, and once the link is back the console's cleanup leaves
// nothing recorded as pending.
#include "agent/support/agentnode.h"
#include "support/ctlrunner.h"
#include "support/scratchfs.h"
#include "support/writercheck.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>
#include <QTest>

#include <memory>
#include <unistd.h>

using namespace ndbtest;

namespace {

// `program ARGS` (argument list, no shell); the output on failure in *why.
bool run(const QString &program, const QStringList &args, QString *why = nullptr)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    const bool ok = p.waitForFinished(30000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    if (!ok && why)
        *why = QStringLiteral("%1 %2: %3").arg(program, args.join(QLatin1Char(' ')), QString::fromUtf8(p.readAll()));
    if (p.state() != QProcess::NotRunning) {
        p.kill();
        p.waitForFinished();
    }
    return ok;
}

// Two network namespaces joined by a veth pair (10.213.X.1/30 on the agent's side, .2 on the
// console's). Each namespace is held by a `sleep` started in it (unshare --net) that dies with
// this process (setpriv --pdeathsig): no named namespace under /run/netns, no mount to undo, and
// nothing left behind if the test is killed. Commands run inside through `nsenter --net` only,
// which, unlike `ip netns exec` / `ip -n`, needs no mount namespace games (those fail in a chroot,
// where CI runs: "mount --make-rslave /" failed: Invalid argument).
struct NamespacePair
{
    QString agentAddress;
    QString consoleAddress;
    const QString agentLink = QStringLiteral("ndblc-a");
    const QString consoleLink = QStringLiteral("ndblc-c");

    bool create(QString *why)
    {
        const int x = int(::getpid() % 250);
        agentAddress = QStringLiteral("10.213.%1.1").arg(x);
        consoleAddress = QStringLiteral("10.213.%1.2").arg(x);
        if (!hold(m_agentHolder, why) || !hold(m_consoleHolder, why))
            return false;
        const QString prefix = QStringLiteral("/30");
        // Both ends are made directly inside the namespaces (netns PID): the root namespace never
        // holds either.
        return run(QStringLiteral("ip"), {QStringLiteral("link"), QStringLiteral("add"), QStringLiteral("name"), agentLink, QStringLiteral("netns"), pid(m_agentHolder),
                   QStringLiteral("type"), QStringLiteral("veth"), QStringLiteral("peer"), QStringLiteral("name"), consoleLink,
                   QStringLiteral("netns"), pid(m_consoleHolder)}, why)
               && inside(agent(), {QStringLiteral("addr"), QStringLiteral("add"), agentAddress + prefix, QStringLiteral("dev"), agentLink}, why)
               && inside(console(), {QStringLiteral("addr"), QStringLiteral("add"), consoleAddress + prefix, QStringLiteral("dev"), consoleLink}, why)
               && inside(agent(), {QStringLiteral("link"), QStringLiteral("set"), QStringLiteral("lo"), QStringLiteral("up")}, why)
               && inside(console(), {QStringLiteral("link"), QStringLiteral("set"), QStringLiteral("lo"), QStringLiteral("up")}, why)
               && setAgentLink(true, why)
               && inside(console(), {QStringLiteral("link"), QStringLiteral("set"), consoleLink, QStringLiteral("up")}, why);
    }
    bool setAgentLink(bool up, QString *why)
    {
        return inside(agent(), {QStringLiteral("link"), QStringLiteral("set"), agentLink, up ? QStringLiteral("up") : QStringLiteral("down")}, why);
    }
    // The command prefix that runs a program inside the agent's / the console's namespace.
    QStringList agentLauncher() const { return {QStringLiteral("nsenter"), agent()}; }
    QStringList consoleLauncher() const { return {QStringLiteral("nsenter"), console()}; }
    void destroy()
    {
        for (QProcess *holder : {&m_agentHolder, &m_consoleHolder}) {
            if (holder->state() != QProcess::NotRunning) {
                holder->kill();
                holder->waitForFinished();
            }
        }
    }
    ~NamespacePair() { destroy(); }

private:
    static QString pid(const QProcess &p) { return QString::number(p.processId()); }
    QString agent() const { return QStringLiteral("--net=/proc/%1/ns/net").arg(pid(m_agentHolder)); }
    QString console() const { return QStringLiteral("--net=/proc/%1/ns/net").arg(pid(m_consoleHolder)); }
    static bool inside(const QString &netArg, const QStringList &ipArgs, QString *why)
    {
        return run(QStringLiteral("nsenter"), QStringList{netArg, QStringLiteral("ip")} + ipArgs, why);
    }
    // "net:[inode]", the namespace a /proc/…/ns/net link names (QFile::symLinkTarget makes a path of it).
    static QByteArray namespaceOf(const QByteArray &link)
    {
        char buffer[64];
        const ssize_t n = ::readlink(link.constData(), buffer, sizeof buffer);
        return n > 0 ? QByteArray(buffer, int(n)) : QByteArray();
    }
    // Starts a process in a new network namespace and waits until it is in it (unshare has run).
    static bool hold(QProcess &holder, QString *why)
    {
        holder.start(QStringLiteral("setpriv"), {QStringLiteral("--pdeathsig"), QStringLiteral("KILL"), QStringLiteral("unshare"),
                                                 QStringLiteral("--net"), QStringLiteral("sleep"), QStringLiteral("86400")});
        if (!holder.waitForStarted(10000)) {
            *why = QStringLiteral("cannot start setpriv/unshare: ") + holder.errorString();
            return false;
        }
        const QByteArray own = namespaceOf("/proc/self/ns/net");
        const QByteArray path = QStringLiteral("/proc/%1/ns/net").arg(holder.processId()).toLocal8Bit();
        for (int i = 0; i < 200; ++i) {
            const QByteArray target = namespaceOf(path);
            if (holder.state() == QProcess::NotRunning)
                break;
            if (!target.isEmpty() && target != own)
                return true;
            QThread::msleep(25);
        }
        *why = QStringLiteral("no network namespace of its own for unshare --net (%1)").arg(QString::fromUtf8(holder.readAllStandardError()));
        return false;
    }
    QProcess m_agentHolder;
    QProcess m_consoleHolder;
};

} // namespace

class TestLinkCut : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void enrolmentAcrossTheLink();
    void linkCutMidTransfer();

private:
    // ndbackupctl inside the console's namespace (m_ctl.launcher), with the fixture's catalog and
    // repository, this console's configuration and the agent.
    QStringList consoleArgs() const;
    std::unique_ptr<QProcess> startCtl(const QStringList &args) const;
    CtlRun ctl(const QStringList &args, int timeoutMs = 180000) const { return m_ctl.run(consoleArgs() + args, timeoutMs); }
    QStringList poolFiles() const { return QDir(m_pool).entryList(QDir::Files | QDir::Hidden, QDir::Name); }
    QStringList agentExports() const
    {
        return QDir(m_agent.stateDir + QStringLiteral("/exports")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    }

    NamespacePair m_net;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ScratchCleanup> m_cleanup;
    CtlFixture m_ctl;
    std::unique_ptr<ScratchFilesystem> m_fs;
    QString m_pool;
    AgentNode m_agent;
    std::unique_ptr<QProcess> m_writer;
    QString m_consoleConfig;
    QStringList m_originalFiles;
};

void TestLinkCut::initTestCase()
{
    QString why;
    if (!CtlFixture::canRun(&why))
        QFAIL(qPrintable(why));
    if (!QFileInfo(agentExecutable()).isExecutable())
        QFAIL(qPrintable(QStringLiteral("ndbackup-agent is not built at %1").arg(agentExecutable())));
    for (const char *tool : {"ip", "nsenter", "unshare", "setpriv", "nbdkit"})
        if (QStandardPaths::findExecutable(QLatin1String(tool)).isEmpty())
            QFAIL(qPrintable(QStringLiteral("%1 is not installed (resources/scripts/install-deps-debian.sh installs it)").arg(QLatin1String(tool))));
    if (writerExecutable().isEmpty())
        QFAIL("ndb-test-writer was not built");
    QVERIFY2(m_net.create(&why), qPrintable(QStringLiteral("cannot make the network namespaces: ") + why));
    QVERIFY(m_ctl.setUp());
    m_ctl.launcher = m_net.consoleLauncher();
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_cleanup = std::make_unique<ScratchCleanup>(m_dir->path());
    m_consoleConfig = m_ctl.filePath(QStringLiteral("console.conf"));
    QFile conf(m_consoleConfig);
    QVERIFY(conf.open(QIODevice::WriteOnly));
    conf.write("agent_lease_seconds = 3\n");
    conf.close();

    // The node's pool: btrfs on a loop device (nsenter --net keeps the mount namespace).
    NDB_TRY(m_fs = std::make_unique<ScratchFilesystem>(m_dir->path(), QStringLiteral("btrfs"), 256, QStringLiteral("lcfs")));
    m_pool = m_fs->mountPoint();
    // Allocated throughout (holes would be skipped), so that the read at 1 MB/s lasts.
    QFile busy(m_pool + QStringLiteral("/busy.img"));
    QVERIFY(busy.open(QIODevice::WriteOnly));
    QByteArray block(1 << 20, Qt::Uninitialized);
    for (int b = 0; b < 40; ++b) {
        QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(block.data()), block.size() / 4);
        QCOMPARE(busy.write(block), qint64(block.size()));
    }
    busy.close();

    // The agent inside its namespace, listening on its end of the veth only.
    m_agent.address = m_net.agentAddress;
    m_agent.nodeName = QStringLiteral("lcnode");
    m_agent.apiPort = 8787;
    m_agent.exportFirst = 10809;
    m_agent.stateDir = m_dir->filePath(QStringLiteral("lcnode-state"));
    m_agent.configFile = m_dir->filePath(QStringLiteral("lcnode.conf"));
    m_agent.launcher = m_net.agentLauncher();
    QFile agentConf(m_agent.configFile);
    QVERIFY(agentConf.open(QIODevice::WriteOnly));
    agentConf.write(QStringLiteral("image_pools = %1\nstate_dir = %2\nlisten = %3:8787\nexport_ports = 10809-10812\n"
                                   "lease_seconds = 4\nnode_name = lcnode\n")
                        .arg(m_pool, m_agent.stateDir, m_agent.address)
                        .toUtf8());
    agentConf.close();
    QVERIFY2(m_agent.start(&why), qPrintable(why));

    QString writerWhy;
    m_writer = startWriter(QStringLiteral("--raw"), m_pool + QStringLiteral("/busy.img"), m_dir->filePath(QStringLiteral("writer.log")), 50,
                           writerWhy);
    QVERIFY2(m_writer, qPrintable(writerWhy));
    // The pool holds busy.img only, once the agent's start (its engine's drivers probe reflink
    // with two files of their own, on a worker) has settled: that is what must be left at the end.
    const QStringList expected{QStringLiteral("busy.img")};
    QVERIFY2(waitFor([&] { return poolFiles() == expected; }, 30000),
             qPrintable(QStringLiteral("the agent's start left in the pool: ") + poolFiles().join(QLatin1Char(' '))));
    m_originalFiles = expected;
}

void TestLinkCut::cleanupTestCase()
{
    QString why;
    if (m_writer)
        stopWriter(*m_writer, why);
    const QByteArray log = m_agent.stop();
    if (!log.isEmpty())
        qInfo("lcnode log:\n%s", log.constData());
    m_fs.reset();
    m_cleanup.reset();
    m_ctl.tearDown();
    m_net.destroy();
}

QStringList TestLinkCut::consoleArgs() const
{
    return {QStringLiteral("--config"), m_consoleConfig, QStringLiteral("--agent"), m_agent.addressText()};
}

std::unique_ptr<QProcess> TestLinkCut::startCtl(const QStringList &args) const
{
    auto p = std::make_unique<QProcess>();
    p->setProcessEnvironment(m_ctl.environment());
    p->start(m_ctl.launcher.first(), m_ctl.launcher.mid(1) + QStringList{ctlPath()} + m_ctl.globalArgs() + consoleArgs() + args);
    return p;
}

void TestLinkCut::enrolmentAcrossTheLink()
{
    const CtlRun show = ctl({QStringLiteral("show-fingerprint")});
    QVERIFY2(show.exitCode == 0, qPrintable(show.err));
    QCOMPARE(m_agent.command({QStringLiteral("trust-console"), show.out.trimmed(), QStringLiteral("--label"), QStringLiteral("console")}), 0);
    const CtlRun r = ctl({QStringLiteral("agent"), QStringLiteral("trust"), m_agent.addressText(), QStringLiteral("--fingerprint"),
                          m_agent.fingerprint});
    QVERIFY2(r.exitCode == 0 && r.out.contains(QLatin1String("answers")), qPrintable(r.out + r.err));
}

void TestLinkCut::linkCutMidTransfer()
{
    const CtlRun list = ctl({QStringLiteral("--json"), QStringLiteral("volumes")});
    QString volume;
    for (const QJsonValue v : QJsonDocument::fromJson(list.out.toUtf8()).array())
        if (v.toObject().value(QStringLiteral("host")).toString() == QLatin1String("lcnode")
            && v.toObject().value(QStringLiteral("name")).toString() == QLatin1String("busy"))
            volume = v.toObject().value(QStringLiteral("id")).toString();
    QVERIFY2(!volume.isEmpty(), qPrintable(list.out + list.err));

    auto run = startCtl({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--force"), QStringLiteral("--bandwidth"),
                         QStringLiteral("1"), QStringLiteral("--volume"), volume});
    QVERIFY2(waitFor([&] { return !agentExports().isEmpty(); }, 60000), "the backup never exported its snapshot");
    QTest::qWait(3000); // reading
    QVERIFY2(run->state() == QProcess::Running, qPrintable(QString::fromUtf8(run->readAllStandardError())));
    QString why;
    QVERIFY2(m_net.setAgentLink(false, &why), qPrintable(why));
    QElapsedTimer sinceCut;
    sinceCut.start();

    // A console never hangs on a dead link: the reads and the agent calls have time limits.
    const bool ended = run->waitForFinished(150000);
    const qint64 took = sinceCut.elapsed();
    if (!ended) {
        run->kill();
        run->waitForFinished();
    }
    const QString err = QString::fromUtf8(run->readAllStandardError());
    QVERIFY2(ended, qPrintable(QStringLiteral("the backup still ran 150 s after the link was cut: ") + err));
    qInfo("the backup failed %.1f s after the link was cut: %s", took / 1000.0, qPrintable(err.trimmed()));
    // The console's lease (3 s) is lost within seconds of the cut: the read gives up then, not
    // after NBD's 30 s silent-peer limit; what remains is the cleanup's calls to the dead node
    // (about 20 s). 55 s when only the silent-peer limit ended the read.
    QVERIFY2(took < 45000, qPrintable(QStringLiteral("the backup took %1 s to fail after the link was cut").arg(took / 1000.0)));
    QCOMPARE(run->exitCode(), 7); // ExitNetwork
    QVERIFY2(err.contains(QLatin1String("storage node lcnode")), qPrintable(err));
    // A request the dead node never answered says so (Qt calls its time limit "Operation canceled"),
    // and its closed reply is not read (Qt warns on every such read).
    QVERIFY2(err.contains(QLatin1String("no answer to")) && !err.contains(QLatin1String("Operation canceled"))
                 && !err.contains(QLatin1String("device not open")), qPrintable(err));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT COUNT(*) FROM backups WHERE status='available'")), QStringLiteral("0"));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT status FROM backups ORDER BY created_at DESC LIMIT 1")), QStringLiteral("error"));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT status FROM volumes WHERE id='%1'").arg(volume)), QStringLiteral("in-use"));

    // The agent, cut off from its console, reaps the export and the snapshot when the lease ends.
    const bool reaped = waitFor([&] { return poolFiles() == m_originalFiles && agentExports().isEmpty(); }, 60000);
    QVERIFY2(reaped, qPrintable(QStringLiteral("left on the node: pool %1, exports %2")
                                    .arg(poolFiles().join(QLatin1Char(' ')), agentExports().join(QLatin1Char(' ')))));

    // From here on nothing may be made in the pool, not even for a moment: no late request the
    // console queued while cut off, no storage call of the agent's own.
    CreatedFiles created(m_pool);
    QVERIFY2(created.ok(), qPrintable(created.error()));

    // The link back: the console's cleanup settles what it could not undo while cut off.
    QVERIFY2(m_net.setAgentLink(true, &why), qPrintable(why));
    const auto online = [&] {
        const CtlRun agents = ctl({QStringLiteral("--json"), QStringLiteral("agent"), QStringLiteral("list")}, 60000);
        const QJsonArray all = QJsonDocument::fromJson(agents.out.toUtf8()).array();
        return !all.isEmpty() && all.first().toObject().value(QStringLiteral("online")).toBool();
    };
    QVERIFY2(waitFor(online, 60000), "the node does not answer after the link came back");
    const CtlRun cleanup = ctl({QStringLiteral("cleanup")});
    QVERIFY2(cleanup.exitCode == 0, qPrintable(cleanup.out + cleanup.err));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT COUNT(*) FROM snapshots WHERE deleted_at IS NULL")), QStringLiteral("0"));
    QCOMPARE(m_ctl.queryOne(QStringLiteral("SELECT COUNT(*) FROM backups WHERE status='creating'")), QStringLiteral("0"));
    const QStringList connections = QDir(m_ctl.filePath(QStringLiteral("connections"))).entryList(QDir::AllEntries | QDir::NoDotAndDotDot);
    QVERIFY2(connections.isEmpty(), qPrintable(QStringLiteral("connection directories left: ") + connections.join(QLatin1Char(' '))));
    QVERIFY2(poolFiles() == m_originalFiles, qPrintable(QStringLiteral("left in the pool after cleanup: ") + poolFiles().join(QLatin1Char(' '))));
    const QStringList made = created.take();
    QVERIFY2(made.isEmpty(), qPrintable(QStringLiteral("created in the pool after the reap: ") + made.join(QLatin1Char(' '))));
}

QTEST_GUILESS_MAIN(TestLinkCut)
#include "tst_linkcut.moc"
