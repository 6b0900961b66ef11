// ndbackupctl as a script sees it: exit codes, messages, JSON, and a SIGKILL in the middle of a
// backup followed by `ndbackupctl cleanup`.
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
#include <memory>
#include <unistd.h>

using namespace ndb;
using namespace ndbtest;

namespace {

QString ctlPath()
{
    const QString build = qEnvironmentVariable("NDB_BUILD_DIR");
    return build.isEmpty() ? QString() : build + QStringLiteral("/app/cli/ndbackupctl");
}

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

} // namespace

class TestCli : public QObject
{
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ScratchCleanup> m_cleanup;
    QString m_pool;

    QStringList globalArgs() const
    {
        return {QStringLiteral("--catalog"), m_dir->filePath(QStringLiteral("catalog.sqlite")),
                QStringLiteral("--repository-root"), m_dir->filePath(QStringLiteral("repo")),
                QStringLiteral("--pool"), m_pool};
    }

    Run ctl(const QStringList &args, int timeoutMs = 120000)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir->filePath(QStringLiteral("config")));
        env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir->filePath(QStringLiteral("data")));
        p.setProcessEnvironment(env);
        p.start(ctlPath(), globalArgs() + args);
        Run r;
        if (!p.waitForFinished(timeoutMs)) {
            p.kill();
            p.waitForFinished();
            r.err = QStringLiteral("timed out");
            return r;
        }
        r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = QString::fromUtf8(p.readAllStandardOutput());
        r.err = QString::fromUtf8(p.readAllStandardError());
        return r;
    }

    QString queryOne(const QString &sql)
    {
        Catalog catalog(m_dir->filePath(QStringLiteral("catalog.sqlite")));
        QSqlQuery q = catalog.exec(sql);
        return q.next() ? q.value(0).toString() : QString();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(ctlPath()), "ndbackupctl not built (NDB_BUILD_DIR must point at the build tree)");
        QVERIFY2(::geteuid() == 0, "these tests need root for loop devices; CI runs as root");
    }

    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_cleanup = std::make_unique<ScratchCleanup>(m_dir->path());
        m_pool = m_dir->filePath(QStringLiteral("pool"));
        QVERIFY(QDir().mkpath(m_pool));
    }

    void cleanup()
    {
        m_cleanup.reset();
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

    void exitCodesAndMessages()
    {
        QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("create"), QStringLiteral("--pool"), m_pool,
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

    void sigkillMidBackupThenCleanup()
    {
        // ext4 pool (a plain directory of the temp dir may be anything): no reflink, so the
        // engine makes a temporary volume and attaches it to a loop device — both must go.
        ScratchFilesystem fs(m_dir->path(), QStringLiteral("ext4"), 512, QStringLiteral("ext4"));
        m_pool = fs.mountPoint() + QStringLiteral("/pool");
        QVERIFY(QDir().mkpath(m_pool));
        QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("create"), QStringLiteral("--pool"), m_pool,
                      QStringLiteral("--name"), QStringLiteral("db"), QStringLiteral("--size"), QStringLiteral("96M")}).exitCode, 0);
        {
            QFile f(m_pool + QStringLiteral("/db.img"));
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
        QVERIFY(!QDir(m_pool).entryList({QStringLiteral("ndbackup-vol-*")}, QDir::Files).isEmpty());

        const Run cleanup = ctl({QStringLiteral("cleanup")});
        QVERIFY2(cleanup.exitCode == 0, qPrintable(cleanup.err));
        QVERIFY2(QDir(m_pool).entryList({QStringLiteral("ndbackup-*")}, QDir::Files).isEmpty(),
                 qPrintable(QDir(m_pool).entryList().join(QLatin1Char(' '))));
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
        QCOMPARE(queryOne(QStringLiteral("SELECT status FROM jobs")), QStringLiteral("failed"));
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
        m_pool = fs.mountPoint() + QStringLiteral("/pool");
        QVERIFY(QDir().mkpath(m_pool));
        QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("create"), QStringLiteral("--pool"), m_pool,
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
