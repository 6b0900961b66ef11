// What a process that died mid-operation leaves behind, and what the next engine start makes of
// it. The rows are written as the dead process would have left them (its worker id names a
// process that no longer exists); the storage is a real image pool.
#include "support/freezecheck.h"
#include "support/scratchfs.h"

#include "catalog/catalog.h"
#include "catalog/volumestore.h"
#include "engine/engine.h"
#include "model/status.h"
#include "util/runsync.h"
#include "volumes/fsfreeze.h"
#include "volumes/image/imagedriver.h"

#include <QDir>
#include <QFile>
#include <QSqlQuery>
#include <QSysInfo>
#include <QScopeGuard>
#include <QTemporaryDir>

#include <memory>
#include <QTest>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

using namespace ndb;

class TestStartupCleanup : public QObject
{
    Q_OBJECT

    QString value(Catalog &c, const QString &sql)
    {
        QSqlQuery q = c.exec(sql);
        return q.next() ? q.value(0).toString() : QStringLiteral("<none>");
    }

    static EngineConfig configIn(const QTemporaryDir &dir, const QStringList &pools)
    {
        EngineConfig config;
        config.catalogPath = dir.filePath(QStringLiteral("catalog.sqlite"));
        config.repositoryRoot = dir.filePath(QStringLiteral("repo"));
        config.imagePools = pools;
        return config;
    }

private Q_SLOTS:
    void deadProcessLeftoversAreUndone()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString pool = dir.filePath(QStringLiteral("pool"));
        QVERIFY(QDir().mkpath(pool));
        const EngineConfig config = configIn(dir, {pool});
        ImageDriver driver(pool);
        NDB_TRY(runSync(driver.createVolume(QStringLiteral("src"), 1 << 20)));
        NDB_TRY(runSync(driver.createVolume(QStringLiteral("dst"), 1 << 20)));
        // Leftovers on the storage: one the catalog knows, one it does not (prefix only).
        for (const QString &leftover : {QStringLiteral("ndbackup-snap-b1.img"), QStringLiteral("ndbackup-vol-unknown.img")}) {
            QFile f(pool + QLatin1Char('/') + leftover);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QVERIFY(f.resize(1 << 20));
        }
        // A user's volume that merely looks similar is not touched.
        NDB_TRY(runSync(driver.createVolume(QStringLiteral("ndbackupish"), 1 << 20)));

        const QString dead = QSysInfo::machineHostName() + QStringLiteral(":999999:1");
        const QString now = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
        const QString src = driver.id() + QStringLiteral("/src");
        const QString dst = driver.id() + QStringLiteral("/dst");
        {
            Catalog c(config.catalogPath);
            c.exec(QStringLiteral("INSERT INTO volumes (id, driver_id, name, status, previous_status, status_worker, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)"),
                   {src, driver.id(), QStringLiteral("src"), VolumeStatus::BackingUp, VolumeStatus::InUse, dead, now, now});
            c.exec(QStringLiteral("INSERT INTO volumes (id, driver_id, name, status, previous_status, status_worker, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)"),
                   {dst, driver.id(), QStringLiteral("dst"), VolumeStatus::RestoringBackup, VolumeStatus::Available, dead, now, now});
            c.exec(QStringLiteral("INSERT INTO snapshots (id, volume_id, backup_id, name, status, created_at, updated_at) VALUES ('s1', ?, 'b1', 'ndbackup-snap-b1', 'available', ?, ?)"), {src, now, now});
            const QString ins = QStringLiteral("INSERT INTO backups (id, volume_id, container, status, temp_snapshot_id, worker, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)");
            c.exec(ins, {QStringLiteral("b1"), src, QStringLiteral("default"), BackupStatus::Creating, QStringLiteral("s1"), dead, now, now});
            c.exec(ins, {QStringLiteral("b2"), src, QStringLiteral("default"), BackupStatus::Restoring, QVariant(), dead, now, now});
            c.exec(ins, {QStringLiteral("b3"), src, QStringLiteral("default"), BackupStatus::Deleting, QVariant(), dead, now, now});
            c.exec(QStringLiteral("INSERT INTO jobs (kind, status, worker, created_at) VALUES ('backup', 'running', ?, ?)"), {dead, now});
        }

        Engine engine(config);
        CleanupReport report;
        NDB_TRY(report = engine.start());
        QCOMPARE(report.backupsReset, 1);
        QCOMPARE(report.restoresReset, 1);
        QCOMPARE(report.deletesFinished, 1);
        QCOMPARE(report.temporariesRemoved, 2);

        QStringList left = QDir(pool).entryList(QDir::Files, QDir::Name);
        QCOMPARE(left, (QStringList{QStringLiteral("dst.img"), QStringLiteral("ndbackupish.img"), QStringLiteral("src.img")}));
        Catalog c(config.catalogPath);
        QCOMPARE(value(c, QStringLiteral("SELECT status FROM backups WHERE id='b1'")), BackupStatus::Error);
        QCOMPARE(value(c, QStringLiteral("SELECT fail_reason FROM backups WHERE id='b1'")), QStringLiteral("incomplete backup reset on restart"));
        QCOMPARE(value(c, QStringLiteral("SELECT status FROM snapshots WHERE id='s1'")), QStringLiteral("deleted"));
        QCOMPARE(value(c, QStringLiteral("SELECT status FROM backups WHERE id='b2'")), BackupStatus::Available);
        QCOMPARE(value(c, QStringLiteral("SELECT status FROM backups WHERE id='b3'")), BackupStatus::Deleted);
        // The source goes back to what it was; the restore target holds partial data: error.
        // (The inventory then reports src as available: nothing is attached to it here.)
        QCOMPARE(value(c, QStringLiteral("SELECT previous_status FROM volumes WHERE id='%1'").arg(src)), VolumeStatus::InUse);
        QCOMPARE(value(c, QStringLiteral("SELECT status FROM volumes WHERE id='%1'").arg(dst)), VolumeStatus::Error);
        QCOMPARE(value(c, QStringLiteral("SELECT status FROM jobs")), JobStatus::Failed);

        // A live process's rows are left alone.
        c.exec(QStringLiteral("UPDATE backups SET status='creating', worker=? WHERE id='b1'"), {currentWorkerId()});
        NDB_TRY(report = engine.cleanup());
        QCOMPARE(report.backupsReset, 0);
        QCOMPARE(value(c, QStringLiteral("SELECT status FROM backups WHERE id='b1'")), BackupStatus::Creating);
    }

    void storageReportedStatusIsNotTheEnginesOperation()
    {
        // A storage node's agent restoring onto its volume reports it 'restoring-backup'; the
        // console's inventory stores that status without a worker. The console's start must not
        // take it for its own interrupted restore (that would make it a sticky 'error').
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const EngineConfig config = configIn(dir, {});
        const QString dead = QSysInfo::machineHostName() + QStringLiteral(":999999:1");
        Volume nodeVolume;
        nodeVolume.driverId = QStringLiteral("remote:127.0.0.2:8787");
        nodeVolume.name = QStringLiteral("db");
        nodeVolume.id = nodeVolume.driverId + QStringLiteral("/db");
        nodeVolume.host = QStringLiteral("node1");
        nodeVolume.size = 1 << 20;
        nodeVolume.status = VolumeStatus::RestoringBackup;
        Volume ownRestore = nodeVolume;
        ownRestore.name = QStringLiteral("web");
        ownRestore.id = nodeVolume.driverId + QStringLiteral("/web");
        ownRestore.status = VolumeStatus::Available;
        {
            Catalog c(config.catalogPath);
            VolumeStore volumes(c);
            volumes.upsertFromInventory(nodeVolume);
            volumes.upsertFromInventory(ownRestore);
            // The console's own restore onto the other one, by a process that died.
            c.exec(QStringLiteral("UPDATE volumes SET status=?, previous_status=?, status_worker=? WHERE id=?"),
                   {VolumeStatus::RestoringBackup, VolumeStatus::Available, dead, ownRestore.id});
        }
        Engine engine(config);
        NDB_TRY(engine.start());
        Catalog c(config.catalogPath);
        QCOMPARE(value(c, QStringLiteral("SELECT status FROM volumes WHERE id='%1'").arg(nodeVolume.id)), VolumeStatus::RestoringBackup);
        QCOMPARE(value(c, QStringLiteral("SELECT status FROM volumes WHERE id='%1'").arg(ownRestore.id)), VolumeStatus::Error);
    }

    void deadProcessFreezeIsThawedLiveOneKept()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        ndbtest::ScratchCleanup scratch(dir.path());
        std::unique_ptr<ndbtest::ScratchFilesystem> fs;
        NDB_TRY(fs = std::make_unique<ndbtest::ScratchFilesystem>(dir.path(), QStringLiteral("ext4"), 64, QStringLiteral("inner")));
        // A failing check must not leave the machine a frozen filesystem: thawed before it is unmounted.
        const auto thawAtEnd = qScopeGuard([&] { FilesystemFreeze::thawMountPoint(fs->mountPoint()); });
        const EngineConfig config = configIn(dir, {});
        const QString dead = QSysInfo::machineHostName() + QStringLiteral(":999999:1");
        const QString insert = QStringLiteral("INSERT INTO freezes (kind, target, device, worker, guard_pid, started_at) VALUES ('fsfreeze', ?, ?, ?, 0, '2024-01-01T00:00:00Z')");
        auto freeze = [&] {
            const int fd = ::open(QFile::encodeName(fs->mountPoint()).constData(), O_RDONLY | O_DIRECTORY);
            const bool ok = fd >= 0 && ::ioctl(fd, FIFREEZE, 0) == 0;
            if (fd >= 0)
                ::close(fd);
            return ok;
        };
        // A process froze the filesystem and died, guard and all: only its record is left.
        {
            Catalog c(config.catalogPath);
            c.exec(insert, {fs->mountPoint(), fs->device(), dead});
        }
        QVERIFY(freeze());
        Engine engine(config);
        CleanupReport report;
        NDB_TRY(report = engine.start());
        QCOMPARE(report.freezesThawed, 1);
        QString why;
        QVERIFY2(ndbtest::writeCompletes(fs->mountPoint(), 5000, &why), qPrintable(why));
        Catalog c(config.catalogPath);
        QCOMPARE(value(c, QStringLiteral("SELECT COUNT(*) FROM freezes")), QStringLiteral("0"));

        // A live process holds a freeze of the same filesystem: a dead record for it is dropped,
        // but the filesystem stays frozen until its owner thaws it.
        c.exec(insert, {fs->mountPoint(), fs->device(), dead});
        c.exec(insert, {fs->mountPoint(), fs->device(), currentWorkerId()});
        QVERIFY(freeze());
        NDB_TRY(report = engine.cleanup());
        QCOMPARE(report.freezesThawed, 0);
        QCOMPARE(value(c, QStringLiteral("SELECT COUNT(*) FROM freezes")), QStringLiteral("1"));
        QVERIFY2(FilesystemFreeze::thawMountPoint(fs->mountPoint()), "a live process's freeze was thawed by cleanup");
    }

    void deadProcessReflinkProbesRemoved()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString pool = dir.filePath(QStringLiteral("pool"));
        QVERIFY(QDir().mkpath(pool));
        const EngineConfig config = configIn(dir, {pool});
        // 4194999 is above the largest pid_max (2^22): no such process. pid 1 always runs.
        const QStringList dead = {QStringLiteral(".ndbackup-reflink-probe-4194999.a"), QStringLiteral(".ndbackup-reflink-probe-4194999.b"),
                                  QStringLiteral(".ndbackup-reflink-probe-4194998-4194998.a")};
        const QStringList live = {QStringLiteral(".ndbackup-reflink-probe-1-1.b"), QStringLiteral(".ndbackup-reflink-probe-1.a")}; // by name
        for (const QString &name : dead + live) {
            QFile f(pool + QLatin1Char('/') + name);
            QVERIFY(f.open(QIODevice::WriteOnly));
        }
        Engine engine(config);
        NDB_TRY(engine.start());
        QStringList left = QDir(pool).entryList(QDir::Files | QDir::Hidden, QDir::Name);
        QCOMPARE(left, live);
    }
};

QTEST_GUILESS_MAIN(TestStartupCleanup)
#include "tst_startupcleanup.moc"
