// ndbackupctl as a script sees it: exit codes, messages, JSON, and a SIGKILL in the middle of a
// backup followed by `ndbackupctl cleanup`.
#include "support/ctlrunner.h"
#include "support/scratchfs.h"

#include "catalog/catalog.h"
#include "util/error.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <functional>
#include <memory>
#include <unistd.h>

using namespace ndb;
using namespace ndbtest;

class TestCli : public QObject
{
    Q_OBJECT

    using Run = CtlRun;
    std::unique_ptr<CtlFixture> m_dir;

    QStringList globalArgs() const { return m_dir->globalArgs(); }
    CtlRun ctl(const QStringList &args, int timeoutMs = 120000) { return m_dir->run(args, timeoutMs); }
    QString queryOne(const QString &sql) { return m_dir->queryOne(sql); }

private Q_SLOTS:
    void initTestCase()
    {
        QString why;
        QVERIFY2(CtlFixture::canRun(&why), qPrintable(why));
    }

    void init()
    {
        m_dir = std::make_unique<CtlFixture>();
        QVERIFY(m_dir->setUp());
    }

    void cleanup()
    {
        m_dir.reset();
    }

    void helpDocumentsExitCodes()
    {
        const Run r = ctl({QStringLiteral("--help")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains(QLatin1String("Exit codes:")));
        QVERIFY(r.out.contains(QLatin1String("backup create")));
        const Run bad = ctl({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--bogus")});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY(bad.err.contains(QLatin1String("unknown option --bogus")));
    }

    // Each command has its own parser: its --help lists its options, and an option it does not
    // take is refused (exit 2, named) instead of silently ignored.
    void commandOptions()
    {
        const Run help = ctl({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--help")});
        QCOMPARE(help.exitCode, 0);
        QVERIFY2(help.out.startsWith(QLatin1String("Usage: ndbackupctl backup create [options]")), qPrintable(help.out));
        QVERIFY2(help.out.contains(QLatin1String("--io-priority <P>")) && help.out.contains(QLatin1String("--force")), qPrintable(help.out));
        QVERIFY2(!help.out.contains(QLatin1String("--to-file")), qPrintable(help.out));
        const Run restoreHelp = ctl({QStringLiteral("backup"), QStringLiteral("restore"), QStringLiteral("-h")});
        QCOMPARE(restoreHelp.exitCode, 0);
        QVERIFY2(restoreHelp.out.contains(QLatin1String("--to-file <PATH>")), qPrintable(restoreHelp.out));

        const Run wrong = ctl({QStringLiteral("volumes"), QStringLiteral("--force")});
        QCOMPARE(wrong.exitCode, 2);
        QVERIFY2(wrong.err.contains(QLatin1String("unknown option --force for 'volumes'")), qPrintable(wrong.err));
        const Run noValue = ctl({QStringLiteral("jobs"), QStringLiteral("--limit")});
        QCOMPARE(noValue.exitCode, 2);
        QVERIFY2(noValue.err.contains(QLatin1String("option --limit needs a value")), qPrintable(noValue.err));
        const Run flagValue = ctl({QStringLiteral("volumes"), QStringLiteral("--json=yes")});
        QCOMPARE(flagValue.exitCode, 2);
        QVERIFY2(flagValue.err.contains(QLatin1String("option --json takes no value")), qPrintable(flagValue.err));
    }

    void exitCodesAndMessages()
    {
        QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("create"), QStringLiteral("--pool"), m_dir->pool,
                      QStringLiteral("--name"), QStringLiteral("web"), QStringLiteral("--size"), QStringLiteral("4M")}).exitCode, 0);
        const Run attach = ctl({QStringLiteral("volume"), QStringLiteral("attach"), QStringLiteral("web")});
        QVERIFY2(attach.exitCode == 0, qPrintable(attach.err));
        QVERIFY(attach.out.startsWith(QLatin1String("/dev/loop")));

        const Run vols = ctl({QStringLiteral("volumes"), QStringLiteral("--json")});
        QCOMPARE(vols.exitCode, 0);
        const QJsonArray a = QJsonDocument::fromJson(vols.out.toUtf8()).array();
        QCOMPARE(a.size(), 1);
        QCOMPARE(a.first().toObject().value(QStringLiteral("status")).toString(), QStringLiteral("in-use"));

        // Refused without force: exit 3 and the specification's sentence, nothing created.
        const Run refused = ctl({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), QStringLiteral("web")});
        QCOMPARE(refused.exitCode, 3);
        QVERIFY2(refused.err.contains(QLatin1String("Backing up an in-use volume must use the force flag.")), qPrintable(refused.err));
        QCOMPARE(queryOne(QStringLiteral("SELECT COUNT(*) FROM backups")), QStringLiteral("0"));

        const Run forced = ctl({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), QStringLiteral("web"),
                                QStringLiteral("--force"), QStringLiteral("--json"), QStringLiteral("--name"), QStringLiteral("nightly")});
        QVERIFY2(forced.exitCode == 0, qPrintable(forced.err));
        const QJsonObject b = QJsonDocument::fromJson(forced.out.toUtf8()).object();
        QCOMPARE(b.value(QStringLiteral("status")).toString(), QStringLiteral("available"));
        QCOMPARE(b.value(QStringLiteral("name")).toString(), QStringLiteral("nightly"));
        const QString id = b.value(QStringLiteral("id")).toString();

        QCOMPARE(ctl({QStringLiteral("backup"), QStringLiteral("verify"), id}).exitCode, 0);
        QCOMPARE(ctl({QStringLiteral("backup"), QStringLiteral("show"), QStringLiteral("no-such-backup")}).exitCode, 4);
        QCOMPARE(ctl({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), QStringLiteral("nope")}).exitCode, 4);
        const Run badContainer = ctl({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), QStringLiteral("web"),
                                      QStringLiteral("--force"), QStringLiteral("--container"), QStringLiteral("../x")});
        QCOMPARE(badContainer.exitCode, 2);
        QVERIFY(badContainer.err.contains(QLatin1String("invalid container name")));
        QVERIFY(!QFileInfo::exists(m_dir->filePath(QStringLiteral("x"))));

        const Run restore = ctl({QStringLiteral("backup"), QStringLiteral("restore"), id, QStringLiteral("--to-file"),
                                 m_dir->filePath(QStringLiteral("web.img"))});
        QVERIFY2(restore.exitCode == 0, qPrintable(restore.err));
        QCOMPARE(QFileInfo(m_dir->filePath(QStringLiteral("web.img"))).size(), qint64(4 << 20));
        // Audit report: the history CSV names the backup job; HTML written to a file.
        const Run csv = ctl({QStringLiteral("report")});
        QCOMPARE(csv.exitCode, 0);
        QVERIFY2(csv.out.contains(QLatin1String("backup")) && csv.out.contains(QLatin1String("succeeded")), qPrintable(csv.out));
        const QString html = m_dir->filePath(QStringLiteral("report.html"));
        QCOMPARE(ctl({QStringLiteral("report"), QStringLiteral("--format"), QStringLiteral("html"), QStringLiteral("--output"), html}).exitCode, 0);
        QFile h(html);
        QVERIFY(h.open(QIODevice::ReadOnly));
        QVERIFY(h.readAll().contains("web"));
        QCOMPARE(ctl({QStringLiteral("report"), QStringLiteral("--from"), QStringLiteral("yesterday")}).exitCode, 2);

        QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("detach"), QStringLiteral("web")}).exitCode, 0);
    }

    // #10 part 5: volume create/attach/detach touch storage, so they run as logged jobs like the
    // rest: each one is in 'jobs' with its kind, volume and status, and its events in 'job show'.
    void volumeCommandsAreJobs()
    {
        const Run create = ctl({QStringLiteral("volume"), QStringLiteral("create"), QStringLiteral("--pool"), m_dir->pool,
                                QStringLiteral("--name"), QStringLiteral("app"), QStringLiteral("--size"), QStringLiteral("2M")});
        QVERIFY2(create.exitCode == 0, qPrintable(create.err));
        const QString volumeId = create.out.trimmed();
        QCOMPARE(volumeId, QStringLiteral("image:%1/app").arg(m_dir->pool));
        const Run attach = ctl({QStringLiteral("volume"), QStringLiteral("attach"), QStringLiteral("app")});
        QVERIFY2(attach.exitCode == 0, qPrintable(attach.err));
        const QString device = attach.out.trimmed();
        QVERIFY(device.startsWith(QLatin1String("/dev/loop")));
        const Run detach = ctl({QStringLiteral("volume"), QStringLiteral("detach"), QStringLiteral("app")});
        QVERIFY2(detach.exitCode == 0, qPrintable(detach.err));

        const Run jobs = ctl({QStringLiteral("jobs"), QStringLiteral("--json")});
        QCOMPARE(jobs.exitCode, 0);
        QHash<QString, QJsonObject> byKind;
        for (const QJsonValue &j : QJsonDocument::fromJson(jobs.out.toUtf8()).array())
            byKind.insert(j.toObject().value(QStringLiteral("kind")).toString(), j.toObject());
        const QHash<QString, QString> expected{{QStringLiteral("volume-create"), QStringLiteral("created volume %1").arg(volumeId)},
                                               {QStringLiteral("volume-attach"), QStringLiteral("attached as %1").arg(device)},
                                               {QStringLiteral("volume-detach"), QStringLiteral("volume app detached")}};
        for (auto it = expected.cbegin(); it != expected.cend(); ++it) {
            QVERIFY2(byKind.contains(it.key()), qPrintable(jobs.out));
            const QJsonObject job = byKind.value(it.key());
            QCOMPARE(job.value(QStringLiteral("status")).toString(), QStringLiteral("succeeded"));
            QCOMPARE(job.value(QStringLiteral("volume_id")).toString(), volumeId);
            const Run show = ctl({QStringLiteral("job"), QStringLiteral("show"), QString::number(job.value(QStringLiteral("id")).toInteger()),
                                  QStringLiteral("--json")});
            QCOMPARE(show.exitCode, 0);
            QStringList messages;
            for (const QJsonValue &e : QJsonDocument::fromJson(show.out.toUtf8()).object().value(QStringLiteral("events")).toArray())
                messages << e.toObject().value(QStringLiteral("message")).toString();
            QVERIFY2(messages.join(QLatin1Char('\n')).contains(it.value()), qPrintable(show.out));
        }
    }

    // #9 item 4: what verify cannot prove does not stay 'available'. A lost or garbage container
    // config, a removed container and a truncated manifest: exit 5, the damage named, the backup
    // 'error' with that reason; gc skips the damaged manifest, says so, and does not fail.
    void damagedContainersMarkBackupsError()
    {
        QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("create"), QStringLiteral("--pool"), m_dir->pool,
                      QStringLiteral("--name"), QStringLiteral("db"), QStringLiteral("--size"), QStringLiteral("1M")}).exitCode, 0);
        auto backupInto = [&](const QString &container) {
            const Run r = ctl({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), QStringLiteral("db"),
                               QStringLiteral("--container"), container, QStringLiteral("--json")});
            [&] { QVERIFY2(r.exitCode == 0, qPrintable(r.err)); }();
            return QJsonDocument::fromJson(r.out.toUtf8()).object().value(QStringLiteral("id")).toString();
        };
        const QString repo = m_dir->filePath(QStringLiteral("repo"));
        struct Case
        {
            QString container;
            std::function<void(const QString &dir, const QString &id)> damage;
            QString named; // in the message and the reason
        };
        const QList<Case> cases{
            {QStringLiteral("noconfig"), [](const QString &dir, const QString &) { QFile::remove(dir + QStringLiteral("/config")); },
             QStringLiteral("config")},
            {QStringLiteral("garbage"), [](const QString &dir, const QString &) {
                 QFile f(dir + QStringLiteral("/config"));
                 if (f.open(QIODevice::WriteOnly))
                     f.write("\x01\x02 not json");
             }, QStringLiteral("config")},
            {QStringLiteral("removed"), [](const QString &dir, const QString &) { QDir(dir).removeRecursively(); },
             QStringLiteral("gone")},
            {QStringLiteral("truncated"), [](const QString &dir, const QString &id) {
                 QFile f(dir + QStringLiteral("/manifests/") + id);
                 if (f.open(QIODevice::ReadWrite))
                     f.resize(f.size() / 2);
             }, QStringLiteral("manifest")},
        };
        QString truncatedId;
        for (const Case &c : cases) {
            const bool wholeContainer = c.container != QLatin1String("truncated");
            // A container without config or gone proves none of its backups: a sibling goes 'error' too.
            const QString sibling = wholeContainer ? backupInto(c.container) : QString();
            const QString id = backupInto(c.container);
            QVERIFY(!id.isEmpty());
            if (c.container == QLatin1String("truncated"))
                truncatedId = id;
            c.damage(repo + QLatin1Char('/') + c.container, id);
            const Run verify = ctl({QStringLiteral("backup"), QStringLiteral("verify"), id});
            QVERIFY2(verify.exitCode == 5, qPrintable(c.container + QStringLiteral(": exit %1: ").arg(verify.exitCode) + verify.err));
            QVERIFY2(verify.err.contains(c.named), qPrintable(verify.err));
            QCOMPARE(queryOne(QStringLiteral("SELECT status FROM backups WHERE id = '%1'").arg(id)), QStringLiteral("error"));
            const QString reason = queryOne(QStringLiteral("SELECT fail_reason FROM backups WHERE id = '%1'").arg(id));
            QVERIFY2(reason.contains(c.named), qPrintable(reason));
            if (wholeContainer) {
                QCOMPARE(queryOne(QStringLiteral("SELECT status FROM backups WHERE id = '%1'").arg(sibling)), QStringLiteral("error"));
                QCOMPARE(queryOne(QStringLiteral("SELECT fail_reason FROM backups WHERE id = '%1'").arg(sibling)), reason);
            }
        }

        // A second backup in the container with the truncated manifest: gc runs, names the
        // damaged one, and keeps the good one restorable.
        const QString good = backupInto(QStringLiteral("truncated"));
        const Run gc = ctl({QStringLiteral("gc"), QStringLiteral("--container"), QStringLiteral("truncated")});
        QVERIFY2(gc.exitCode == 0, qPrintable(gc.err));
        QVERIFY2(gc.out.contains(QStringLiteral("skipped the damaged manifest of backup %1").arg(truncatedId)), qPrintable(gc.out));
        QCOMPARE(ctl({QStringLiteral("backup"), QStringLiteral("verify"), good}).exitCode, 0);
    }

    void sigkillMidBackupThenCleanup()
    {
        // ext4 pool (a plain directory of the temp dir may be anything): no reflink, so the
        // engine makes a temporary volume and attaches it to a loop device — both must go.
        ScratchFilesystem fs(m_dir->path(), QStringLiteral("ext4"), 512, QStringLiteral("ext4"));
        m_dir->pool = fs.mountPoint() + QStringLiteral("/pool");
        QVERIFY(QDir().mkpath(m_dir->pool));
        QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("create"), QStringLiteral("--pool"), m_dir->pool,
                      QStringLiteral("--name"), QStringLiteral("db"), QStringLiteral("--size"), QStringLiteral("96M")}).exitCode, 0);
        {
            QFile f(m_dir->pool + QStringLiteral("/db.img"));
            QVERIFY(f.open(QIODevice::ReadWrite));
            QByteArray block(1 << 20, Qt::Uninitialized);
            for (int i = 0; i < 96; ++i) {
                QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(block.data()), block.size() / 4);
                f.write(block);
            }
        }
        QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("attach"), QStringLiteral("db")}).exitCode, 0);

        QProcess backup;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir->filePath(QStringLiteral("config")));
        backup.setProcessEnvironment(env);
        backup.start(ctlPath(), globalArgs() + QStringList{QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"),
                                                           QStringLiteral("db"), QStringLiteral("--force"), QStringLiteral("--bandwidth"), QStringLiteral("4")});
        QVERIFY(backup.waitForStarted());
        // Wait until it is reading the attached temporary volume, then kill it without warning.
        QElapsedTimer t;
        t.start();
        bool transferring = false;
        while (t.elapsed() < 60000 && backup.state() == QProcess::Running) {
            QTest::qWait(100);
            if (QFileInfo::exists(QStringLiteral("%1/catalog.sqlite").arg(m_dir->path()))
                && queryOne(QStringLiteral("SELECT phase FROM jobs ORDER BY id DESC LIMIT 1")) == QLatin1String("transfer")) {
                transferring = true;
                break;
            }
        }
        QVERIFY2(transferring, qPrintable(QString::fromUtf8(backup.readAllStandardError())));
        QTest::qWait(500);
        ::kill(pid_t(backup.processId()), SIGKILL);
        QVERIFY(backup.waitForFinished());

        // The crash left its temporary volume behind, as a crash does.
        QCOMPARE(queryOne(QStringLiteral("SELECT status FROM backups")), QStringLiteral("creating"));
        QCOMPARE(queryOne(QStringLiteral("SELECT status FROM volumes WHERE name='db'")), QStringLiteral("backing-up"));
        QVERIFY(!QDir(m_dir->pool).entryList({QStringLiteral("ndbackup-vol-*")}, QDir::Files).isEmpty());

        const Run cleanup = ctl({QStringLiteral("cleanup")});
        QVERIFY2(cleanup.exitCode == 0, qPrintable(cleanup.err));
        QVERIFY2(QDir(m_dir->pool).entryList({QStringLiteral("ndbackup-*")}, QDir::Files).isEmpty(),
                 qPrintable(QDir(m_dir->pool).entryList().join(QLatin1Char(' '))));
        // No loop device is still bound to a (deleted) temporary.
        for (const QString &e : QDir(QStringLiteral("/sys/block")).entryList({QStringLiteral("loop*")}, QDir::Dirs)) {
            QFile f(QStringLiteral("/sys/block/%1/loop/backing_file").arg(e));
            if (f.open(QIODevice::ReadOnly)) {
                const QString backing = QString::fromLocal8Bit(f.readAll().trimmed());
                QVERIFY2(!QFileInfo(backing).fileName().startsWith(QLatin1String("ndbackup-")), qPrintable(e + QLatin1String(" -> ") + backing));
            }
        }
        QCOMPARE(queryOne(QStringLiteral("SELECT status FROM backups")), QStringLiteral("error"));
        QCOMPARE(queryOne(QStringLiteral("SELECT fail_reason FROM backups")), QStringLiteral("incomplete backup reset on restart"));
        QCOMPARE(queryOne(QStringLiteral("SELECT status FROM volumes WHERE name='db'")), QStringLiteral("in-use"));
        QCOMPARE(queryOne(QStringLiteral("SELECT status FROM jobs WHERE kind='backup'")), QStringLiteral("failed"));
        // The volume's real user keeps it: still attached.
        const Run vols = ctl({QStringLiteral("volumes"), QStringLiteral("--json")});
        QCOMPARE(QJsonDocument::fromJson(vols.out.toUtf8()).array().first().toObject().value(QStringLiteral("status")).toString(),
                 QStringLiteral("in-use"));
        QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("detach"), QStringLiteral("db")}).exitCode, 0);
    }

    void warningsArePrintedAndStoredAsWarnings()
    {
        // ext4 pool, raw in-use volume (no filesystem to freeze): the temporary volume is a plain
        // copy, not a point-in-time one. A script (stderr not a terminal) sees the warning while
        // the job runs; the job's log keeps it with the level warning, and `job show` prints it so.
        ScratchFilesystem fs(m_dir->path(), QStringLiteral("ext4"), 256, QStringLiteral("ext4"));
        m_dir->pool = fs.mountPoint() + QStringLiteral("/pool");
        QVERIFY(QDir().mkpath(m_dir->pool));
        QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("create"), QStringLiteral("--pool"), m_dir->pool,
                      QStringLiteral("--name"), QStringLiteral("raw"), QStringLiteral("--size"), QStringLiteral("4M")}).exitCode, 0);
        QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("attach"), QStringLiteral("raw")}).exitCode, 0);
        const Run backup = ctl({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), QStringLiteral("raw"),
                                QStringLiteral("--force")});
        QVERIFY2(backup.exitCode == 0, qPrintable(backup.err));
        QVERIFY2(backup.err.contains(QLatin1String("warning: ")) && backup.err.contains(QLatin1String("not a point-in-time copy")),
                 qPrintable(backup.err));

        QCOMPARE(queryOne(QStringLiteral("SELECT level FROM job_events WHERE message LIKE '%not a point-in-time copy%'")),
                 QStringLiteral("warning"));
        const QString jobId = queryOne(QStringLiteral("SELECT MAX(id) FROM jobs"));
        const Run show = ctl({QStringLiteral("job"), QStringLiteral("show"), jobId});
        QCOMPARE(show.exitCode, 0);
        bool shown = false;
        for (const QString &line : show.out.split(QLatin1Char('\n')))
            shown = shown || (line.contains(QLatin1String("not a point-in-time copy")) && line.contains(QLatin1String("warning ")));
        QVERIFY2(shown, qPrintable(show.out));
        QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("detach"), QStringLiteral("raw")}).exitCode, 0);
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
