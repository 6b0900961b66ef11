// Issue #11 "Truth first", through ndbackupctl on real filesystems: every backup records how its
// copy was taken (consistency), a copy that is not point-in-time ends "with warnings" or is
// refused on request, the filesystem freeze is in the job log, restoring never rewrites a
// backup's timings, and a cancelled backup is listed as such (and only on request).
#include "support/ctlrunner.h"
#include "support/scratchfs.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QTest>

#include <csignal>
#include <memory>

using namespace ndbtest;

class TestConsistency : public QObject
{
    Q_OBJECT

    std::unique_ptr<CtlFixture> m_dir;

    CtlRun ctl(const QStringList &args) { return m_dir->run(args); }
    QString queryOne(const QString &sql) { return m_dir->queryOne(sql); }

    // A pool on a fresh filesystem of `type` (ext4: no reflink; btrfs: reflink).
    std::unique_ptr<ScratchFilesystem> poolOn(const QString &type)
    {
        auto fs = std::make_unique<ScratchFilesystem>(m_dir->path(), type, type == QLatin1String("btrfs") ? 160 : 256, type);
        m_dir->pool = fs->mountPoint() + QStringLiteral("/pool");
        QDir().mkpath(m_dir->pool);
        return fs;
    }

    bool createVolume(const QString &name, const QString &size = QStringLiteral("8M"))
    {
        return ctl({QStringLiteral("volume"), QStringLiteral("create"), QStringLiteral("--pool"), m_dir->pool,
                    QStringLiteral("--name"), name, QStringLiteral("--size"), size}).exitCode == 0;
    }

    QString attach(const QString &name)
    {
        const CtlRun r = ctl({QStringLiteral("volume"), QStringLiteral("attach"), name});
        return r.exitCode == 0 ? r.out.trimmed() : QString();
    }

    CtlRun backup(const QString &volume, const QStringList &extra = {})
    {
        return ctl(QStringList{QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), volume,
                               QStringLiteral("--force")} + extra);
    }

    QJsonObject show(const QString &id)
    {
        const CtlRun r = ctl({QStringLiteral("backup"), QStringLiteral("show"), id, QStringLiteral("--json")});
        return QJsonDocument::fromJson(r.out.toUtf8()).object();
    }

    QString newestBackupId() { return queryOne(QStringLiteral("SELECT id FROM backups ORDER BY created_at DESC LIMIT 1")); }
    QString lastJobEvents()
    {
        const CtlRun r = ctl({QStringLiteral("job"), QStringLiteral("show"), queryOne(QStringLiteral("SELECT MAX(id) FROM jobs"))});
        return r.out;
    }

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

    void cleanup() { m_dir.reset(); }

    // ext4 pool, in-use volume without a mounted filesystem: a plain copy. It is recorded and
    // shown as not point-in-time, the job ends with warnings (exit 0, the warning printed).
    void notPointInTimeIsAWarning()
    {
        const auto fs = poolOn(QStringLiteral("ext4"));
        QVERIFY(createVolume(QStringLiteral("raw")));
        QVERIFY(!attach(QStringLiteral("raw")).isEmpty());
        const CtlRun r = backup(QStringLiteral("raw"), {QStringLiteral("--json")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains(QLatin1String("completed with warnings")), qPrintable(r.err));
        const QJsonObject b = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(b.value(QStringLiteral("consistency")).toString(), QStringLiteral("not-point-in-time"));
        QCOMPARE(show(b.value(QStringLiteral("id")).toString()).value(QStringLiteral("consistency")).toString(),
                 QStringLiteral("not-point-in-time"));
        QCOMPARE(queryOne(QStringLiteral("SELECT status FROM jobs WHERE kind='backup'")), QStringLiteral("succeeded-with-warnings"));
        // The text forms say it too.
        const CtlRun text = ctl({QStringLiteral("backup"), QStringLiteral("show"), b.value(QStringLiteral("id")).toString()});
        QVERIFY2(text.out.contains(QLatin1String("consistency:  not-point-in-time")), qPrintable(text.out));
        const CtlRun list = ctl({QStringLiteral("backup"), QStringLiteral("list")});
        QVERIFY2(list.out.contains(QLatin1String("not-point-in-time")), qPrintable(list.out));
        // The manifest carries it as well (a container read without the catalog).
        const QString manifest = m_dir->filePath(QStringLiteral("repo/default/manifests/")) + b.value(QStringLiteral("id")).toString();
        QFile mf(manifest);
        QVERIFY2(mf.open(QIODevice::ReadOnly), qPrintable(manifest));
        QVERIFY2(mf.readAll().contains("\"consistency\":\"not-point-in-time\""), qPrintable(manifest));
        const QString events = lastJobEvents();
        QVERIFY2(events.contains(QLatin1String("no filesystem freeze: no mounted filesystem on the volume")), qPrintable(events));
        QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("detach"), QStringLiteral("raw")}).exitCode, 0);
    }

    // --require-point-in-time (and the setting) refuse such a copy before anything is created.
    void notPointInTimeCanBeRefused()
    {
        const auto fs = poolOn(QStringLiteral("ext4"));
        QVERIFY(createVolume(QStringLiteral("raw")));
        QVERIFY(!attach(QStringLiteral("raw")).isEmpty());
        const CtlRun refused = backup(QStringLiteral("raw"), {QStringLiteral("--require-point-in-time")});
        QCOMPARE(refused.exitCode, 3);
        QVERIFY2(refused.err.contains(QLatin1String("would not be point-in-time")), qPrintable(refused.err));
        QCOMPARE(queryOne(QStringLiteral("SELECT COUNT(*) FROM backups")), QStringLiteral("0"));
        QVERIFY2(QDir(m_dir->pool).entryList({QStringLiteral("ndbackup-*")}, QDir::Files).isEmpty(),
                 qPrintable(QDir(m_dir->pool).entryList().join(QLatin1Char(' '))));
        QCOMPARE(queryOne(QStringLiteral("SELECT status FROM volumes WHERE name='raw'")), QStringLiteral("in-use"));

        // The setting refuses the same way.
        const QString config = m_dir->filePath(QStringLiteral("refuse.conf"));
        QFile f(config);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("refuse_inconsistent_copies = true\n");
        f.close();
        const CtlRun bySetting = backup(QStringLiteral("raw"), {QStringLiteral("--config"), config});
        QCOMPARE(bySetting.exitCode, 3);
        QCOMPARE(queryOne(QStringLiteral("SELECT COUNT(*) FROM backups")), QStringLiteral("0"));
        QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("detach"), QStringLiteral("raw")}).exitCode, 0);
    }

    // ext4 pool, volume with a mounted filesystem: copied while frozen; the freeze is logged.
    void mountedFilesystemIsFrozen()
    {
        const auto fs = poolOn(QStringLiteral("ext4"));
        QVERIFY(createVolume(QStringLiteral("data"), QStringLiteral("32M")));
        const QString loop = attach(QStringLiteral("data"));
        QVERIFY(!loop.isEmpty());
        const QString mountPoint = m_dir->filePath(QStringLiteral("mnt"));
        NDB_TRY(makeFilesystem(QStringLiteral("ext4"), loop));
        NDB_TRY(mountDevice(loop, mountPoint, QStringLiteral("ext4")));
        const CtlRun r = backup(QStringLiteral("data"), {QStringLiteral("--json"), QStringLiteral("--require-point-in-time")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).object().value(QStringLiteral("consistency")).toString(),
                 QStringLiteral("frozen-copy"));
        QCOMPARE(queryOne(QStringLiteral("SELECT status FROM jobs WHERE kind='backup'")), QStringLiteral("succeeded"));
        const QString events = lastJobEvents();
        QVERIFY2(events.contains(QStringLiteral("froze %1 (ext4 on %2) at ").arg(mountPoint, loop)), qPrintable(events));
        QVERIFY2(events.contains(QStringLiteral("thawed %1 after ").arg(mountPoint)), qPrintable(events));
        QVERIFY(unmount(mountPoint));
        QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("detach"), QStringLiteral("data")}).exitCode, 0);
    }

    // btrfs pool: a reflink snapshot is one instant (crash-consistent); an available volume is
    // read directly.
    void reflinkSnapshotAndDetached()
    {
        const auto fs = poolOn(QStringLiteral("btrfs"));
        QVERIFY(createVolume(QStringLiteral("raw")));
        QVERIFY(!attach(QStringLiteral("raw")).isEmpty());
        const CtlRun r = backup(QStringLiteral("raw"), {QStringLiteral("--json"), QStringLiteral("--require-point-in-time")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).object().value(QStringLiteral("consistency")).toString(),
                 QStringLiteral("snapshot"));
        QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("detach"), QStringLiteral("raw")}).exitCode, 0);
        const CtlRun detached = backup(QStringLiteral("raw"), {QStringLiteral("--json")});
        QVERIFY2(detached.exitCode == 0, qPrintable(detached.err));
        QCOMPARE(QJsonDocument::fromJson(detached.out.toUtf8()).object().value(QStringLiteral("consistency")).toString(),
                 QStringLiteral("detached"));
    }

    // A backup's timings are written once, by its own job: a restore later changes neither.
    void restoreKeepsTimings()
    {
        QVERIFY(createVolume(QStringLiteral("vol")));
        const CtlRun r = backup(QStringLiteral("vol"), {QStringLiteral("--json")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject before = QJsonDocument::fromJson(r.out.toUtf8()).object();
        const QString id = before.value(QStringLiteral("id")).toString();
        QVERIFY(!before.value(QStringLiteral("finished_at")).toString().isEmpty());
        // What the duration chart plots (finished - started) comes from these, to the millisecond.
        const QString timings = QStringLiteral("SELECT started_at || ' ' || finished_at FROM backups WHERE id='%1'").arg(id);
        const QString timingsBefore = queryOne(timings);
        QTest::qWait(1500);
        const CtlRun restore = ctl({QStringLiteral("backup"), QStringLiteral("restore"), id, QStringLiteral("--to-file"),
                                    m_dir->filePath(QStringLiteral("restored.img"))});
        QVERIFY2(restore.exitCode == 0, qPrintable(restore.err));
        const CtlRun verify = ctl({QStringLiteral("backup"), QStringLiteral("verify"), id});
        QVERIFY2(verify.exitCode == 0, qPrintable(verify.err));
        const QJsonObject after = show(id);
        QCOMPARE(after.value(QStringLiteral("status")).toString(), QStringLiteral("available"));
        QCOMPARE(after.value(QStringLiteral("started_at")).toString(), before.value(QStringLiteral("started_at")).toString());
        QCOMPARE(after.value(QStringLiteral("finished_at")).toString(), before.value(QStringLiteral("finished_at")).toString());
        QCOMPARE(queryOne(timings), timingsBefore);
    }

    // Cancelling a backup leaves an `error` row marked cancelled: "cancelled" where it is shown,
    // and hidden from `backup list` unless --all.
    void cancelledBackupRow()
    {
        QVERIFY(createVolume(QStringLiteral("big"), QStringLiteral("48M")));
        {
            QFile f(m_dir->pool + QStringLiteral("/big.img"));
            QVERIFY(f.open(QIODevice::ReadWrite));
            QByteArray block(1 << 20, Qt::Uninitialized);
            for (int i = 0; i < 48; ++i) {
                QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(block.data()), block.size() / 4);
                f.write(block);
            }
        }
        QProcess p;
        p.setProcessEnvironment(m_dir->environment());
        p.start(ctlPath(), m_dir->globalArgs() + QStringList{QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"),
                                                             QStringLiteral("big"), QStringLiteral("--bandwidth"), QStringLiteral("2")});
        QVERIFY(p.waitForStarted());
        QElapsedTimer t;
        t.start();
        bool transferring = false;
        while (!transferring && t.elapsed() < 60000 && p.state() == QProcess::Running) {
            QTest::qWait(100);
            transferring = queryOne(QStringLiteral("SELECT phase FROM jobs WHERE kind='backup'")) == QLatin1String("transfer");
        }
        QVERIFY2(transferring, qPrintable(QString::fromUtf8(p.readAllStandardError())));
        ::kill(pid_t(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 130);
        QCOMPARE(queryOne(QStringLiteral("SELECT status FROM backups")), QStringLiteral("error"));

        const CtlRun list = ctl({QStringLiteral("backup"), QStringLiteral("list"), QStringLiteral("--json")});
        QCOMPARE(list.exitCode, 0);
        QCOMPARE(QJsonDocument::fromJson(list.out.toUtf8()).array().size(), 0);
        const CtlRun all = ctl({QStringLiteral("backup"), QStringLiteral("list"), QStringLiteral("--all")});
        QVERIFY2(all.out.contains(QLatin1String("cancelled")) && !all.out.contains(QLatin1String(" error ")), qPrintable(all.out));
        const QString id = newestBackupId();
        const CtlRun text = ctl({QStringLiteral("backup"), QStringLiteral("show"), id});
        QVERIFY2(text.out.contains(QLatin1String("status:       cancelled")), qPrintable(text.out));
        QCOMPARE(show(id).value(QStringLiteral("cancelled")).toBool(), true);
    }
};

QTEST_GUILESS_MAIN(TestConsistency)
#include "tst_consistency.moc"
