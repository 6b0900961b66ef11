// What a process that died mid-operation leaves behind, and what the next engine start makes of
// it. The rows are written as the dead process would have left them (its worker id names a
// process that no longer exists); the storage is a real image pool.
#include "support/scratchfs.h"

#include "catalog/catalog.h"
#include "engine/engine.h"
#include "model/status.h"
#include "util/runsync.h"
#include "volumes/image/imagedriver.h"

#include <QDir>
#include <QFile>
#include <QSqlQuery>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QTest>

using namespace ndb;

class TestStartupCleanup : public QObject
{
    Q_OBJECT

    QString value(Catalog &c, const QString &sql)
    {
        QSqlQuery q = c.exec(sql);
        return q.next() ? q.value(0).toString() : QStringLiteral("<none>");
    }

private Q_SLOTS:
    void deadProcessLeftoversAreUndone()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString pool = dir.filePath(QStringLiteral("pool"));
        QVERIFY(QDir().mkpath(pool));
        EngineConfig config;
        config.catalogPath = dir.filePath(QStringLiteral("catalog.sqlite"));
        config.repositoryRoot = dir.filePath(QStringLiteral("repo"));
        config.imagePools = {pool};
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
};

QTEST_GUILESS_MAIN(TestStartupCleanup)
#include "tst_startupcleanup.moc"
