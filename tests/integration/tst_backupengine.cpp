// The engine end to end on real storage: image pools on btrfs (reflink snapshots) and ext4
// (temporary volumes), real loop devices, a writer that keeps writing during the backup.
// Covers the status rules, the three data paths, cancellation, corruption and garbage collection.
#include "support/scratchfs.h"
#include "support/writercheck.h"

#include "backup/backupservice.h"
#include "catalog/catalog.h"
#include "engine/engine.h"
#include "jobs/jobhandle.h"
#include "jobs/jobqueue.h"
#include "model/status.h"
#include "repository/repository.h"
#include "util/commandrunner.h"
#include "util/error.h"
#include "util/runsync.h"
#include "volumes/image/imagedriver.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QRandomGenerator>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <unistd.h>

using namespace ndb;
using namespace ndbtest;

namespace {

// Deterministic content: `mib` MiB, a mix of random, zero and repeated regions.
bool fillVolume(const QString &file, int mib, quint32 seed)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadWrite))
        return false;
    QRandomGenerator rng(seed);
    QByteArray block(1 << 20, Qt::Uninitialized);
    for (int i = 0; i < mib; ++i) {
        if (i % 4 == 1)
            block.fill('\0');
        else
            rng.fillRange(reinterpret_cast<quint32 *>(block.data()), block.size() / 4);
        if (f.write(block) != block.size())
            return false;
    }
    f.flush();
    return ::fsync(f.handle()) == 0;
}

QByteArray sha256(const QString &file, qint64 length = -1)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash h(QCryptographicHash::Sha256);
    qint64 left = length < 0 ? f.size() : length;
    while (left > 0) {
        const QByteArray b = f.read(qMin<qint64>(left, 1 << 20));
        if (b.isEmpty())
            break;
        h.addData(b);
        left -= b.size();
    }
    return h.result().toHex();
}

QStringList temporariesIn(const QString &pool)
{
    return QDir(pool).entryList({QStringLiteral("ndbackup-*")}, QDir::Files);
}

// Loop devices whose backing file lies in `dir` and is one of the engine's temporaries.
QStringList temporaryLoopDevices(const QString &dir)
{
    QStringList out;
    for (const QString &e : QDir(QStringLiteral("/sys/block")).entryList({QStringLiteral("loop*")}, QDir::Dirs)) {
        QFile f(QStringLiteral("/sys/block/%1/loop/backing_file").arg(e));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QString backing = QString::fromLocal8Bit(f.readAll().trimmed());
        if (backing.startsWith(dir) && QFileInfo(backing).fileName().startsWith(QLatin1String("ndbackup-")))
            out << e + QLatin1Char('=') + backing;
    }
    return out;
}

int countRows(const QString &catalogPath, const QString &table)
{
    Catalog catalog(catalogPath);
    QSqlQuery q = catalog.exec(QStringLiteral("SELECT COUNT(*) FROM %1").arg(table));
    return q.next() ? q.value(0).toInt() : -1;
}

// Waits for a job; fails the test with the job's error when `expected` differs.
bool waitFor(Engine &engine, JobHandle *job, int msecs = 240000)
{
    if (!engine.jobQueue()->waitForIdle(msecs))
        return false;
    return job->isFinished();
}

} // namespace

class TestBackupEngine : public QObject
{
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ScratchCleanup> m_cleanup;

    EngineConfig configFor(const QString &pool) const
    {
        EngineConfig c;
        c.catalogPath = m_dir->filePath(QStringLiteral("catalog.sqlite"));
        c.repositoryRoot = m_dir->filePath(QStringLiteral("repo"));
        c.imagePools = {pool};
        return c;
    }

private Q_SLOTS:
    void init()
    {
        QVERIFY2(::geteuid() == 0, "these tests need root for loop devices and mounts; CI runs as root");
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_cleanup = std::make_unique<ScratchCleanup>(m_dir->path());
    }

    void cleanup()
    {
        m_cleanup.reset(); // unmount and detach first, then remove the directory
        m_dir.reset();
    }

    void availableVolumeRoundTrip()
    {
        const QString pool = m_dir->filePath(QStringLiteral("pool"));
        QVERIFY(QDir().mkpath(pool));
        Engine engine(configFor(pool));
        NDB_TRY(engine.start());
        ImageDriver driver(pool);
        NDB_TRY(runSync(driver.createVolume(QStringLiteral("data"), 24 << 20)));
        QVERIFY(fillVolume(driver.imagePath(QStringLiteral("data")), 24, 7));
        // An odd size: the last chunk is partial.
        QVERIFY(QFile::resize(driver.imagePath(QStringLiteral("data")), (24 << 20) - 12345));
        engine.refreshVolumes();

        const QString volumeId = engine.findVolume(QStringLiteral("data")).id;
        QCOMPARE(engine.findVolume(volumeId).status, VolumeStatus::Available);
        BackupRequest req;
        req.volumeId = volumeId;
        req.name = QStringLiteral("first");
        JobHandle *job = nullptr;
        NDB_TRY(job = engine.submitBackup(req)); // no force needed for an available volume
        QVERIFY(waitFor(engine, job));
        QVERIFY2(job->status() == JobStatus::Succeeded, qPrintable(job->error()));
        const Backup b = engine.backup(job->resultId());
        QCOMPARE(b.status, BackupStatus::Available);
        QCOMPARE(b.dataPath, QStringLiteral("volume"));
        QCOMPARE(b.size, qint64((24 << 20) - 12345));
        QVERIFY(b.storedBytes > 0);
        QCOMPARE(engine.findVolume(volumeId).status, VolumeStatus::Available);

        // Restore to a file, to a new volume and onto an existing one: byte for byte.
        const QByteArray want = sha256(driver.imagePath(QStringLiteral("data")));
        RestoreRequest toFile;
        toFile.backupId = b.id;
        toFile.target = RestoreRequest::Target::File;
        toFile.filePath = m_dir->filePath(QStringLiteral("restored.img"));
        job = engine.submitRestore(toFile);
        QVERIFY(waitFor(engine, job));
        QVERIFY2(job->status() == JobStatus::Succeeded, qPrintable(job->error()));
        QCOMPARE(sha256(toFile.filePath), want);
        QVERIFY(!QFile::exists(toFile.filePath + QStringLiteral(".ndbackup-partial")));

        RestoreRequest toNew;
        toNew.backupId = b.id;
        toNew.target = RestoreRequest::Target::NewVolume;
        toNew.driverId = driver.id();
        toNew.newVolumeName = QStringLiteral("copy");
        job = engine.submitRestore(toNew);
        QVERIFY(waitFor(engine, job));
        QVERIFY2(job->status() == JobStatus::Succeeded, qPrintable(job->error()));
        QCOMPARE(QFileInfo(driver.imagePath(QStringLiteral("copy"))).size(), (b.size + 4095) / 4096 * 4096); // whole 4 KiB blocks
        QCOMPARE(sha256(driver.imagePath(QStringLiteral("copy")), b.size), want);

        NDB_TRY(runSync(driver.createVolume(QStringLiteral("target"), 32 << 20)));
        QVERIFY(fillVolume(driver.imagePath(QStringLiteral("target")), 32, 99));
        engine.refreshVolumes();
        RestoreRequest toExisting;
        toExisting.backupId = b.id;
        toExisting.target = RestoreRequest::Target::ExistingVolume;
        toExisting.volumeId = QStringLiteral("target");
        job = engine.submitRestore(toExisting);
        QVERIFY(waitFor(engine, job));
        QVERIFY2(job->status() == JobStatus::Succeeded, qPrintable(job->error()));
        QCOMPARE(sha256(driver.imagePath(QStringLiteral("target")), b.size), want);
        QCOMPARE(engine.findVolume(QStringLiteral("target")).status, VolumeStatus::Available);

        // A target smaller than the backup is refused before anything is written.
        NDB_TRY(runSync(driver.createVolume(QStringLiteral("small"), 1 << 20)));
        engine.refreshVolumes();
        toExisting.volumeId = QStringLiteral("small");
        job = engine.submitRestore(toExisting);
        QVERIFY(waitFor(engine, job));
        QCOMPARE(job->status(), JobStatus::Failed);
        QCOMPARE(job->errorKind(), ErrorKind::Refused);
        QCOMPARE(engine.findVolume(QStringLiteral("small")).status, VolumeStatus::Available);

        // History records every job with its phases.
        const QList<Job> jobs = engine.jobs();
        QCOMPARE(jobs.size(), 5);
        const QList<JobEvent> events = engine.jobEvents(jobs.last().id);
        QStringList phases;
        for (const JobEvent &e : events)
            if (e.level == QLatin1String("phase"))
                phases << e.phase;
        QVERIFY2(phases.contains(Phase::Transfer) && phases.contains(Phase::Done), qPrintable(phases.join(QLatin1Char(','))));
        // ... and the transfer's progress (every 10 % that the throttled progress reports cross),
        // ending at 100 %.
        QStringList progress;
        for (const JobEvent &e : engine.jobEvents(jobs.last().id))
            if (e.level == QLatin1String("progress") && e.phase == Phase::Transfer)
                progress << e.message;
        QVERIFY2(!progress.isEmpty() && progress.last().startsWith(QLatin1String("100 %")), qPrintable(progress.join(QLatin1Char('|'))));
    }

    void inUseWithoutForceIsRefused()
    {
        const QString pool = m_dir->filePath(QStringLiteral("pool"));
        QVERIFY(QDir().mkpath(pool));
        const EngineConfig config = configFor(pool);
        Engine engine(config);
        NDB_TRY(engine.start());
        ImageDriver driver(pool);
        NDB_TRY(runSync(driver.createVolume(QStringLiteral("db"), 8 << 20)));
        LoopAttachment attached(driver.imagePath(QStringLiteral("db")));
        engine.refreshVolumes();
        const Volume before = engine.findVolume(QStringLiteral("db"));
        QCOMPARE(before.status, VolumeStatus::InUse);

        BackupRequest req;
        req.volumeId = before.id;
        QString message;
        bool refused = false;
        try {
            engine.submitBackup(req);
        } catch (const RefusedError &e) {
            refused = true;
            message = e.message();
        }
        QVERIFY(refused);
        QCOMPARE(message, QStringLiteral("Backing up an in-use volume must use the force flag."));
        // Nothing created, nothing changed.
        QCOMPARE(countRows(config.catalogPath, QStringLiteral("backups")), 0);
        QCOMPARE(countRows(config.catalogPath, QStringLiteral("snapshots")), 0);
        QCOMPARE(countRows(config.catalogPath, QStringLiteral("jobs")), 0);
        QVERIFY(temporariesIn(pool).isEmpty());
        QVERIFY(QDir(config.repositoryRoot).entryList(QDir::NoDotAndDotDot | QDir::AllEntries).isEmpty());
        const Volume after = engine.findVolume(QStringLiteral("db"));
        QCOMPARE(after.status, VolumeStatus::InUse);
        QCOMPARE(after.previousStatus, before.previousStatus);
    }

    void inUseBackupViaReflinkSnapshotIsPointInTime()
    {
        ScratchFilesystem fs(m_dir->path(), QStringLiteral("btrfs"), 256, QStringLiteral("btrfs"));
        const QString pool = fs.mountPoint() + QStringLiteral("/pool");
        QVERIFY(QDir().mkpath(pool));
        Engine engine(configFor(pool));
        NDB_TRY(engine.start());
        ImageDriver driver(pool);
        QVERIFY(driver.reflinkSupported());
        NDB_TRY(runSync(driver.createVolume(QStringLiteral("vm-disk"), 32 << 20)));
        LoopAttachment attached(driver.imagePath(QStringLiteral("vm-disk")));

        // A writer keeps writing numbered blocks through the loop device during the backup.
        const QString log = m_dir->filePath(QStringLiteral("writer.log"));
        QString error;
        std::unique_ptr<QProcess> writer = startWriter(QStringLiteral("--raw"), attached.device(), log, 200, error);
        QVERIFY2(writer, qPrintable(error));
        const qint64 minSeq = lastLoggedSeq(log);
        engine.refreshVolumes();
        const Volume volume = engine.findVolume(QStringLiteral("vm-disk"));
        QCOMPARE(volume.status, VolumeStatus::InUse);

        BackupRequest req;
        req.volumeId = volume.id;
        req.force = true;
        JobHandle *job = engine.submitBackup(req);
        QStringList seenPhases;
        connect(job, &JobHandle::eventLogged, this, [&](const QString &phase, const QString &level, const QString &) {
            if (level == QLatin1String("phase"))
                seenPhases << phase;
        });
        QVERIFY(waitFor(engine, job));
        QVERIFY(stopWriter(*writer, error));
        QVERIFY2(job->status() == JobStatus::Succeeded, qPrintable(job->error()));
        QVERIFY2(loggedRecords(log) > 200, "the writer must have kept writing during the backup");
        const Backup b = engine.backup(job->resultId());
        QCOMPARE(b.dataPath, QStringLiteral("snapshot"));
        QVERIFY(!b.tempSnapshotId.isEmpty());
        QVERIFY(seenPhases.contains(Phase::Snapshot));
        QVERIFY(seenPhases.contains(Phase::Cleanup));

        // Temporaries gone, statuses restored, the source still attached to its user.
        QVERIFY2(temporariesIn(pool).isEmpty(), qPrintable(temporariesIn(pool).join(QLatin1Char(' '))));
        QVERIFY(temporaryLoopDevices(m_dir->path()).isEmpty());
        QCOMPARE(engine.refreshVolumes().size(), 1);
        QCOMPARE(engine.findVolume(volume.id).status, VolumeStatus::InUse);

        RestoreRequest r;
        r.backupId = b.id;
        r.filePath = m_dir->filePath(QStringLiteral("restored.img"));
        job = engine.submitRestore(r);
        QVERIFY(waitFor(engine, job));
        QVERIFY2(job->status() == JobStatus::Succeeded, qPrintable(job->error()));
        const WriterCheck check = checkRawPrefix(r.filePath, log, minSeq);
        QVERIFY2(check.ok, qPrintable(check.message));
    }

    void inUseBackupViaTemporaryVolumeOnExt4()
    {
        ScratchFilesystem fs(m_dir->path(), QStringLiteral("ext4"), 256, QStringLiteral("ext4"));
        const QString pool = fs.mountPoint() + QStringLiteral("/pool");
        QVERIFY(QDir().mkpath(pool));
        Engine engine(configFor(pool));
        NDB_TRY(engine.start());
        ImageDriver driver(pool);
        QVERIFY(!driver.reflinkSupported());
        QVERIFY(!driver.capabilities().snapshotLocalRead);
        NDB_TRY(runSync(driver.createVolume(QStringLiteral("mail"), 64 << 20)));
        NDB_TRY(makeFilesystem(QStringLiteral("ext4"), driver.imagePath(QStringLiteral("mail"))));
        LoopAttachment attached(driver.imagePath(QStringLiteral("mail")));
        const QString mnt = m_dir->filePath(QStringLiteral("mail-mnt"));
        NDB_TRY(mountDevice(attached.device(), mnt, QStringLiteral("ext4")));

        const QString log = m_dir->filePath(QStringLiteral("files.log"));
        QString error;
        std::unique_ptr<QProcess> writer = startWriter(QStringLiteral("--files"), mnt, log, 20, error);
        QVERIFY2(writer, qPrintable(error));
        const qint64 instant = logPosition(log); // files completed before the backup was asked for
        engine.refreshVolumes();
        BackupRequest req;
        req.volumeId = engine.findVolume(QStringLiteral("mail")).id;
        req.force = true;
        JobHandle *job = engine.submitBackup(req);
        QVERIFY(waitFor(engine, job));
        QVERIFY(stopWriter(*writer, error));
        QVERIFY(unmount(mnt));
        QVERIFY2(job->status() == JobStatus::Succeeded, qPrintable(job->error()));
        const Backup b = engine.backup(job->resultId());
        QCOMPARE(b.dataPath, QStringLiteral("temp-volume"));
        QVERIFY(!b.tempVolumeId.isEmpty());
        QVERIFY2(temporariesIn(pool).isEmpty(), qPrintable(temporariesIn(pool).join(QLatin1Char(' '))));
        QVERIFY(temporaryLoopDevices(m_dir->path()).isEmpty());
        QCOMPARE(engine.findVolume(req.volumeId).status, VolumeStatus::InUse);

        RestoreRequest r;
        r.backupId = b.id;
        r.filePath = m_dir->filePath(QStringLiteral("restored.img"));
        job = engine.submitRestore(r);
        QVERIFY(waitFor(engine, job));
        QVERIFY2(job->status() == JobStatus::Succeeded, qPrintable(job->error()));
        const CommandResult fsck = CommandRunner::run(QStringLiteral("fsck.ext4"), {QStringLiteral("-n"), QStringLiteral("-f"), r.filePath});
        QVERIFY2(fsck.exitCode == 0, qPrintable(fsck.commandLine() + QLatin1Char(' ') + QString::fromLocal8Bit(fsck.stdOut + fsck.stdErr)));
        LoopAttachment restored(r.filePath, true);
        const QString rmnt = m_dir->filePath(QStringLiteral("restored-mnt"));
        NDB_TRY(mountDevice(restored.device(), rmnt, QStringLiteral("ext4"), true));
        const WriterCheck check = checkFiles(rmnt, log, instant);
        QVERIFY(unmount(rmnt));
        QVERIFY2(check.ok, qPrintable(check.message));
        QVERIFY2(check.checked > 0, qPrintable(check.message)); // the check was not vacuous
    }

    void cancelRemovesTemporariesAndNeverMarksUsable()
    {
        ScratchFilesystem fs(m_dir->path(), QStringLiteral("btrfs"), 512, QStringLiteral("btrfs"));
        const QString pool = fs.mountPoint() + QStringLiteral("/pool");
        QVERIFY(QDir().mkpath(pool));
        const EngineConfig config = configFor(pool);
        Engine engine(config);
        NDB_TRY(engine.start());
        ImageDriver driver(pool);
        NDB_TRY(runSync(driver.createVolume(QStringLiteral("big"), 128 << 20)));
        QVERIFY(fillVolume(driver.imagePath(QStringLiteral("big")), 128, 3));
        LoopAttachment attached(driver.imagePath(QStringLiteral("big")));
        engine.refreshVolumes();

        BackupRequest req;
        req.volumeId = engine.findVolume(QStringLiteral("big")).id;
        req.force = true;
        req.bandwidthLimit = 8 * 1000 * 1000; // slow enough to cancel mid-transfer
        JobHandle *job = engine.submitBackup(req);
        connect(job, &JobHandle::progressChanged, this, [job](const Progress &p) {
            if (p.phase == Phase::Transfer && p.bytesDone > (8 << 20))
                job->cancel();
        });
        QVERIFY(waitFor(engine, job));
        QCOMPARE(job->status(), JobStatus::Cancelled);
        QVERIFY(temporariesIn(pool).isEmpty());
        QVERIFY(temporaryLoopDevices(m_dir->path()).isEmpty());
        const QList<Backup> backups = engine.backups();
        QCOMPARE(backups.size(), 1);
        QCOMPARE(backups.first().status, BackupStatus::Error);
        QCOMPARE(backups.first().failReason, QStringLiteral("cancelled"));
        std::unique_ptr<Repository> repo = Repository::open(BackupService::containerPath(config.repositoryRoot, config.defaultContainer));
        QVERIFY(repo->listBackups().isEmpty()); // never visible as a usable backup
        QCOMPARE(engine.findVolume(req.volumeId).status, VolumeStatus::InUse);
        // A cancelled backup cannot be restored.
        RestoreRequest r;
        r.backupId = backups.first().id;
        r.filePath = m_dir->filePath(QStringLiteral("x.img"));
        QVERIFY_THROWS_EXCEPTION(RefusedError, engine.submitRestore(r));
    }

    void corruptChunkIsFoundAndGcFreesSpace()
    {
        const QString pool = m_dir->filePath(QStringLiteral("pool"));
        QVERIFY(QDir().mkpath(pool));
        const EngineConfig config = configFor(pool);
        Engine engine(config);
        NDB_TRY(engine.start());
        ImageDriver driver(pool);
        for (const QString &name : {QStringLiteral("keep"), QStringLiteral("spoil")}) {
            NDB_TRY(runSync(driver.createVolume(name, 16 << 20)));
            QVERIFY(fillVolume(driver.imagePath(name), 16, name == QLatin1String("keep") ? 11 : 12));
        }
        engine.refreshVolumes();
        const QString containerDir = BackupService::containerPath(config.repositoryRoot, config.defaultContainer);
        auto backupOf = [&](const QString &name) {
            BackupRequest req;
            req.volumeId = engine.findVolume(name).id;
            JobHandle *job = engine.submitBackup(req);
            waitFor(engine, job);
            return job->status() == JobStatus::Succeeded ? job->resultId() : QString();
        };
        auto packFiles = [&] {
            QStringList out;
            QDirIterator it(containerDir, {QStringLiteral("*.pack")}, QDir::Files, QDirIterator::Subdirectories);
            while (it.hasNext())
                out << it.next();
            return out;
        };
        const QString keep = backupOf(QStringLiteral("keep"));
        QVERIFY(!keep.isEmpty());
        const QStringList packsOfKeep = packFiles();
        const QString spoil = backupOf(QStringLiteral("spoil"));
        QVERIFY(!spoil.isEmpty());
        QStringList spoilPacks = packFiles();
        for (const QString &p : packsOfKeep)
            spoilPacks.removeAll(p);
        QVERIFY2(!spoilPacks.isEmpty(), "the second backup must have written its own packs");

        // Flip one byte in the middle of a pack of the second backup.
        {
            QFile pack(spoilPacks.first());
            QVERIFY(pack.open(QIODevice::ReadWrite));
            const qint64 at = pack.size() / 2;
            pack.seek(at);
            char c;
            QVERIFY(pack.getChar(&c));
            pack.seek(at);
            QVERIFY(pack.putChar(char(c ^ 0x5a)));
        }
        // A restore that meets the damage stops, leaves no partial file and marks the backup bad.
        RestoreRequest r;
        r.backupId = spoil;
        r.filePath = m_dir->filePath(QStringLiteral("spoil.img"));
        JobHandle *job = engine.submitRestore(r);
        QVERIFY(waitFor(engine, job));
        QCOMPARE(job->status(), JobStatus::Failed);
        QCOMPARE(job->errorKind(), ErrorKind::CorruptData);
        QVERIFY(!QFile::exists(r.filePath));
        QVERIFY(!QFile::exists(r.filePath + QStringLiteral(".ndbackup-partial")));
        QCOMPARE(engine.backup(spoil).status, BackupStatus::Error);

        job = engine.submitVerify(spoil);
        QStringList errors;
        connect(job, &JobHandle::eventLogged, this, [&](const QString &, const QString &level, const QString &message) {
            if (level == QLatin1String("error"))
                errors << message;
        });
        QVERIFY(waitFor(engine, job));
        QCOMPARE(job->status(), JobStatus::Failed);
        QCOMPARE(job->errorKind(), ErrorKind::CorruptData);
        QVERIFY2(!errors.isEmpty() && errors.first().startsWith(QLatin1String("chunk ")), qPrintable(errors.join(QLatin1Char('\n'))));
        QCOMPARE(engine.backup(spoil).status, BackupStatus::Error);
        QVERIFY_THROWS_EXCEPTION(RefusedError, engine.submitRestore(r));
        QVERIFY(!QFile::exists(r.filePath));

        job = engine.submitVerify(keep);
        QVERIFY(waitFor(engine, job));
        QVERIFY2(job->status() == JobStatus::Succeeded, qPrintable(job->error()));

        // Delete + gc frees the damaged backup's space; the other one still restores exactly.
        const qint64 usageBefore = Repository::open(containerDir)->diskUsage();
        job = engine.submitDelete(spoil);
        QVERIFY(waitFor(engine, job));
        QVERIFY2(job->status() == JobStatus::Succeeded, qPrintable(job->error()));
        job = engine.submitGarbageCollection({});
        QVERIFY(waitFor(engine, job));
        QVERIFY2(job->status() == JobStatus::Succeeded, qPrintable(job->error()));
        const qint64 usageAfter = Repository::open(containerDir)->diskUsage();
        QVERIFY2(usageAfter < usageBefore - (8 << 20), qPrintable(QStringLiteral("%1 -> %2").arg(usageBefore).arg(usageAfter)));
        r.backupId = keep;
        r.filePath = m_dir->filePath(QStringLiteral("keep.img"));
        job = engine.submitRestore(r);
        QVERIFY(waitFor(engine, job));
        QVERIFY2(job->status() == JobStatus::Succeeded, qPrintable(job->error()));
        QCOMPARE(sha256(r.filePath), sha256(driver.imagePath(QStringLiteral("keep"))));
    }

    void badNamesAreRejectedAndTouchNothing_data()
    {
        QTest::addColumn<QString>("container");
        QTest::newRow("traversal") << QStringLiteral("../x");
        QTest::newRow("shell") << QStringLiteral("a;rm -rf");
        QTest::newRow("absolute") << QStringLiteral("/abs");
        QTest::newRow("long") << QString(300, QLatin1Char('a'));
        QTest::newRow("slash") << QStringLiteral("a/b");
    }

    void badNamesAreRejectedAndTouchNothing()
    {
        QFETCH(QString, container);
        const QString pool = m_dir->filePath(QStringLiteral("pool"));
        QVERIFY(QDir().mkpath(pool));
        const EngineConfig config = configFor(pool);
        Engine engine(config);
        NDB_TRY(engine.start());
        ImageDriver driver(pool);
        NDB_TRY(runSync(driver.createVolume(QStringLiteral("v"), 1 << 20)));
        engine.refreshVolumes();
        BackupRequest req;
        req.volumeId = engine.findVolume(QStringLiteral("v")).id;
        req.container = container;
        bool rejected = false;
        try {
            engine.submitBackup(req);
        } catch (const Error &e) {
            rejected = e.message().contains(QLatin1String("container"));
        }
        QVERIFY(rejected);
        QVERIFY(QDir(config.repositoryRoot).entryList(QDir::NoDotAndDotDot | QDir::AllEntries).isEmpty());
        QVERIFY(!QFileInfo::exists(m_dir->filePath(QStringLiteral("x"))));
        QCOMPARE(countRows(config.catalogPath, QStringLiteral("backups")), 0);
        QCOMPARE(countRows(config.catalogPath, QStringLiteral("jobs")), 0);

        // Volume names reach paths too: the driver refuses them before touching the pool.
        const QStringList before = QDir(pool).entryList(QDir::NoDotAndDotDot | QDir::AllEntries);
        for (const QString &bad : {QStringLiteral("../x"), QStringLiteral("a;rm -rf"), QString(), QString(300, QLatin1Char('b'))})
            QVERIFY_THROWS_EXCEPTION(Error, runSync(driver.createVolume(bad, 1 << 20)));
        QCOMPARE(QDir(pool).entryList(QDir::NoDotAndDotDot | QDir::AllEntries), before);
    }
};

QTEST_GUILESS_MAIN(TestBackupEngine)
#include "tst_backupengine.moc"
