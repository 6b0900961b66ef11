// I/O faults, as a dying disk or a full one hands them to the real ndbackupctl:
// - a source whose reads fail with EIO part-way (the pool seen through ndb-test-faultfs, a FUSE
//   filesystem failing reads of one image from an offset on), on data path 1 (available volume)
//   and on the temporary-clone path (in-use volume, --force);
// - a repository that runs out of space mid-backup (a small ext4 filling up);
// - a repository whose writes fail with EIO at random (faultfs, seeded);
// - a catalog on a full disk (a small tmpfs, filled up).
// After each fault: a clear error naming the cause, the volume's status restored, the backup
// 'error', nothing partial available, no temporaries, and every available backup verifying.
// Offsets and write faults come from a seed printed at the start; NDB_FAULT_SEED=<n> replays.
#include "support/ctlrunner.h"
#include "support/faultfs.h"
#include "support/faultrandom.h"
#include "support/scratchfs.h"

#include "catalog/catalog.h"
#include "model/status.h"
#include "repository/posix/fileio.h"
#include "util/error.h"
#include "util/runsync.h"
#include "volumes/blockdevice.h"
#include "volumes/image/imagedriver.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QRandomGenerator>
#include <QSqlQuery>
#include <QTest>

#include <memory>
#include <unistd.h>

using namespace ndb;
using namespace ndbtest;

class TestIoFaults : public QObject
{
    Q_OBJECT

    CtlFixture m_fx;
    quint32 m_seed = 0;
    QRandomGenerator m_random;
    QStringList m_summary; // one line per fault kind: trials and results

    void writeRandom(const QString &path, qint64 bytes)
    {
        const QString problem = writeRandomData(path, bytes, m_random);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }

    CtlRun ctl(const QStringList &args) { return m_fx.run(args + QStringList{QStringLiteral("--quiet")}); }

    void createVolume(const QString &name, const QString &size)
    {
        const CtlRun r = ctl({QStringLiteral("volume"), QStringLiteral("create"), QStringLiteral("--pool"), m_fx.pool,
                              QStringLiteral("--name"), name, QStringLiteral("--size"), size});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    }

    QString backup(const QString &volume, CtlRun *result = nullptr, const QStringList &extra = {})
    {
        const CtlRun r = ctl(QStringList{QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), volume,
                                         QStringLiteral("--json")} + extra);
        if (result)
            *result = r;
        const int at = r.out.indexOf(QLatin1String("\"id\": \""));
        return r.exitCode != 0 || at < 0 ? QString() : r.out.mid(at + 7, 36);
    }

    QStringList column(const QString &sql, const QVariantList &bindings = {})
    {
        Catalog catalog(m_fx.catalogPath());
        QSqlQuery q = catalog.exec(sql, bindings);
        QStringList out;
        while (q.next())
            out << q.value(0).toString();
        return out;
    }

    // The data-safety checks after a failed backup of `volume` whose status was `status`.
    void checkFailedBackup(const QString &label, const QString &volume, const QString &status)
    {
        QCOMPARE(column(QStringLiteral("SELECT status FROM volumes WHERE name = ?"), {volume}), QStringList{status});
        const QStringList latest = column(QStringLiteral("SELECT status FROM backups WHERE volume_name = ? ORDER BY created_at DESC, rowid DESC LIMIT 1"),
                                          {volume});
        QVERIFY2(latest == QStringList{BackupStatus::Error}, qPrintable(label + QStringLiteral(": the failed backup is ") + latest.join(QString())));
        const QStringList stuck = column(QStringLiteral("SELECT id || ' ' || status FROM backups WHERE status IN (?, ?, ?)"),
                                         {BackupStatus::Creating, BackupStatus::Restoring, BackupStatus::Deleting});
        QVERIFY2(stuck.isEmpty(), qPrintable(label + QStringLiteral(": backups stuck: ") + stuck.join(QLatin1String(", "))));
        const QStringList left = QDir(m_fx.pool).entryList({QStringLiteral("ndbackup-*"), QStringLiteral(".ndbackup-*")},
                                                           QDir::Files | QDir::Hidden | QDir::System);
        QVERIFY2(left.isEmpty(), qPrintable(label + QStringLiteral(": temporaries left in the pool: ") + left.join(QLatin1Char(' '))));
        QCOMPARE(column(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE status = 'running'")), QStringList{QStringLiteral("0")});
        verifyAllAvailable(label);
    }

    void verifyAllAvailable(const QString &label)
    {
        for (const QString &id : column(QStringLiteral("SELECT id FROM backups WHERE status = ?"), {BackupStatus::Available})) {
            const CtlRun v = ctl({QStringLiteral("backup"), QStringLiteral("verify"), id});
            QVERIFY2(v.exitCode == 0, qPrintable(QStringLiteral("%1: available backup %2 does not verify: %3").arg(label, id, v.err)));
        }
    }

    // Manifests in the repository that the catalog does not list as available.
    QStringList strayManifests()
    {
        const QStringList available = column(QStringLiteral("SELECT id FROM backups WHERE status = ?"), {BackupStatus::Available});
        QStringList stray;
        QDirIterator it(m_fx.filePath(QStringLiteral("repo")), QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString file = it.next();
            if (!file.contains(QLatin1String("/manifests/")))
                continue;
            bool known = false;
            for (const QString &id : available)
                known = known || file.contains(id);
            if (!known)
                stray << file;
        }
        return stray;
    }

    void report(const QString &kind, int trials, const QString &results)
    {
        const QString line = QStringLiteral("%1: %2 trials, %3").arg(kind).arg(trials).arg(results);
        m_summary << line;
        qInfo().noquote() << "fault kind" << line;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QString why;
        QVERIFY2(CtlFixture::canRun(&why), qPrintable(why));
        QVERIFY2(!faultFsExecutable().isEmpty(),
                 "ndb-test-faultfs is not built: install libfuse3-dev and fuse3 (resources/scripts/install-deps-debian.sh), configure again");
        QVERIFY2(QFile::exists(QStringLiteral("/dev/fuse")), "/dev/fuse is missing: these tests need FUSE (modprobe fuse)");
        m_seed = replayableSeed("NDB_FAULT_SEED", "I/O fault");
        m_random.seed(m_seed);
    }

    void init() { QVERIFY(m_fx.setUp()); }
    void cleanup() { m_fx.tearDown(); }

    void cleanupTestCase()
    {
        for (const QString &line : std::as_const(m_summary))
            qInfo().noquote() << "summary:" << line;
    }

    // What the engine makes of EIO and ENOSPC, directly: ErrorKind::Storage, the path, the cause.
    void errnoBecomesStorageKind()
    {
        const QString root = m_fx.filePath(QStringLiteral("real"));
        QVERIFY(QDir().mkpath(root));
        writeRandom(root + QStringLiteral("/disk.img"), 4 << 20);
        std::unique_ptr<FaultFs> fs;
        NDB_TRY(fs = std::make_unique<FaultFs>(root, m_fx.filePath(QStringLiteral("mnt")),
                                               QStringList{QStringLiteral("--read-eio"), QStringLiteral("disk.img:1048576"),
                                                           QStringLiteral("--write-error"), QStringLiteral("ENOSPC"),
                                                           QStringLiteral("--write-rate"), QStringLiteral("100")}));
        fs->arm(true);
        const QString image = fs->mountPoint() + QStringLiteral("/disk.img");
        std::unique_ptr<BlockSource> source = openFileSource(image);
        QByteArray buffer(1 << 20, Qt::Uninitialized);
        QCOMPARE(source->readAt(buffer.data(), buffer.size(), 0), qint64(buffer.size()));
        try {
            source->readAt(buffer.data(), buffer.size(), 2 << 20);
            QFAIL("a read past the failing offset succeeded");
        } catch (const Error &e) {
            QCOMPARE(errorKindName(e.kind()), errorKindName(ErrorKind::Storage));
            QVERIFY2(e.message().contains(QLatin1String("Input/output error")) && e.message().contains(image), qPrintable(e.message()));
        }
        try {
            fileio::writeFileAtomically(fs->mountPoint() + QStringLiteral("/object"), QByteArray(4096, 'x'), false);
            QFAIL("a write to a full disk succeeded");
        } catch (const Error &e) {
            QCOMPARE(errorKindName(e.kind()), errorKindName(ErrorKind::Storage));
            QVERIFY2(e.message().contains(QLatin1String("No space left")) && e.message().contains(QLatin1String("delete backups")),
                     qPrintable(e.message()));
        }
        // The temporary clone of an in-use image (a copy where there is no reflink) reads the source too.
        ImageDriver driver(fs->mountPoint(), false);
        try {
            runSync(driver.createVolumeFromSource(QStringLiteral("disk"), QStringLiteral("ndbackup-vol-kindcheck")));
            QFAIL("a clone of a failing source succeeded");
        } catch (const Error &e) {
            QCOMPARE(errorKindName(e.kind()), errorKindName(ErrorKind::Storage));
            QVERIFY2(e.message().contains(QLatin1String("copy failed")), qPrintable(e.message()));
        }
        QVERIFY(!QFile::exists(fs->mountPoint() + QStringLiteral("/ndbackup-vol-kindcheck.img")));
        QVERIFY(fs->injected() >= 3);
    }

    void sourceReadEio_data()
    {
        QTest::addColumn<bool>("inUse");
        QTest::newRow("data path 1: available volume") << false;
        QTest::newRow("in-use volume: temporary clone") << true;
    }

    // The pool on faultfs; the image of 'src' fails reads from a random offset on.
    void sourceReadEio()
    {
        QFETCH(bool, inUse);
        const QString kind = inUse ? QStringLiteral("source EIO, in-use (temporary clone)") : QStringLiteral("source EIO, available volume");
        const QString root = m_fx.filePath(QStringLiteral("pool-real"));
        QVERIFY(QDir().mkpath(root));
        constexpr qint64 kSize = 48 << 20;
        int failedCleanly = 0;
        int trials = 0;
        QString reference;
        // One mount for every trial (an attached volume's loop device holds its file); the
        // offset of each trial goes into the cue.
        std::unique_ptr<FaultFs> fs;
        NDB_TRY(fs = std::make_unique<FaultFs>(root, m_fx.pool, QStringList{QStringLiteral("--read-eio"), QStringLiteral("src.img:0")}));
        for (int trial = 0; trial < 3 && !QTest::currentTestFailed(); ++trial) {
            const qint64 offset = 4096 * qint64(m_random.bounded(int((kSize - (4 << 20)) / 4096)));
            const QString label = QStringLiteral("[%1, trial %2, seed %3, EIO from byte %4]").arg(kind).arg(trial + 1).arg(m_seed).arg(offset);
            const int injectedBefore = fs->injected();
            if (trial == 0) {
                createVolume(QStringLiteral("good"), QStringLiteral("8M"));
                writeRandom(m_fx.pool + QStringLiteral("/good.img"), 8 << 20);
                createVolume(QStringLiteral("src"), QStringLiteral("48M"));
                writeRandom(m_fx.pool + QStringLiteral("/src.img"), kSize);
                reference = backup(QStringLiteral("good"));
                QVERIFY2(!reference.isEmpty(), "the reference backup failed");
                if (inUse) {
                    const CtlRun a = ctl({QStringLiteral("volume"), QStringLiteral("attach"), QStringLiteral("src")});
                    QVERIFY2(a.exitCode == 0, qPrintable(a.err));
                }
            }
            fs->arm(true, offset);
            CtlRun r;
            const QString id = backup(QStringLiteral("src"), &r, inUse ? QStringList{QStringLiteral("--force")} : QStringList());
            fs->arm(false);
            ++trials;
            qInfo().noquote() << label << "exit" << r.exitCode << r.err.trimmed();
            QVERIFY2(id.isEmpty() && r.exitCode == 6 /* ExitStorage */, qPrintable(label + QStringLiteral(": the backup did not fail: ") + r.out + r.err));
            QVERIFY2(fs->injected() > injectedBefore, qPrintable(label + QStringLiteral(": no fault was injected")));
            QVERIFY2(r.err.contains(QLatin1String("Input/output error"))
                         && (r.err.contains(QLatin1String("src.img")) || r.err.contains(QLatin1String("volume 'src'"))),
                     qPrintable(label + QStringLiteral(": the error does not name the I/O error and the image: ") + r.err));
            checkFailedBackup(label, QStringLiteral("src"), inUse ? VolumeStatus::InUse : VolumeStatus::Available);
            if (!QTest::currentTestFailed())
                ++failedCleanly;
        }
        QVERIFY2(strayManifests().isEmpty(), qPrintable(strayManifests().join(QLatin1Char(' '))));
        // The fault gone, the same volume backs up again.
        QVERIFY2(!backup(QStringLiteral("src"), nullptr, inUse ? QStringList{QStringLiteral("--force")} : QStringList()).isEmpty(),
                 "a backup after the fault failed");
        verifyAllAvailable(kind + QStringLiteral(" (after)"));
        if (inUse) {
            // Detached while the faultfs still runs: its loop device holds a file there.
            const CtlRun d = ctl({QStringLiteral("volume"), QStringLiteral("detach"), QStringLiteral("src")});
            QVERIFY2(d.exitCode == 0, qPrintable(d.err));
        }
        report(kind, trials, QStringLiteral("%1 failed cleanly (error named, status restored, no temporaries, nothing partial available)").arg(failedCleanly));
    }

    // The repository on a 32 MiB ext4: a 48 MiB incompressible volume cannot fit.
    void repositoryNoSpace()
    {
        std::unique_ptr<ScratchFilesystem> repoFs;
        NDB_TRY(repoFs = std::make_unique<ScratchFilesystem>(m_fx.path(), QStringLiteral("ext4"), 32, QStringLiteral("repo")));
        QCOMPARE(repoFs->mountPoint(), m_fx.filePath(QStringLiteral("repo")));
        createVolume(QStringLiteral("small"), QStringLiteral("4M"));
        writeRandom(m_fx.pool + QStringLiteral("/small.img"), 4 << 20);
        const QString reference = backup(QStringLiteral("small"));
        QVERIFY2(!reference.isEmpty(), "the reference backup failed");
        int failedCleanly = 0;
        int trials = 0;
        for (int trial = 0; trial < 2 && !QTest::currentTestFailed(); ++trial) {
            const QString name = QStringLiteral("big%1").arg(trial);
            const int mib = 40 + int(m_random.bounded(24));
            const QString label = QStringLiteral("[repository ENOSPC, trial %1, seed %2, %3 MiB volume]").arg(trial + 1).arg(m_seed).arg(mib);
            createVolume(name, QStringLiteral("%1M").arg(mib));
            writeRandom(m_fx.pool + QLatin1Char('/') + name + QStringLiteral(".img"), qint64(mib) << 20);
            CtlRun r;
            const QString id = backup(name, &r);
            ++trials;
            qInfo().noquote() << label << "exit" << r.exitCode << r.err.trimmed();
            QVERIFY2(id.isEmpty() && r.exitCode == 6 /* ExitStorage */, qPrintable(label + QStringLiteral(": the backup did not fail: ") + r.out + r.err));
            QVERIFY2(r.err.contains(QLatin1String("No space left")) && r.err.contains(repoFs->mountPoint()),
                     qPrintable(label + QStringLiteral(": the error does not say the repository is full: ") + r.err));
            checkFailedBackup(label, name, VolumeStatus::Available);
            QVERIFY2(strayManifests().isEmpty(), qPrintable(label + QStringLiteral(": stray manifests: ") + strayManifests().join(QLatin1Char(' '))));
            // gc removes what the failed backup wrote; the space comes back.
            const CtlRun gc = ctl({QStringLiteral("gc")});
            QVERIFY2(gc.exitCode == 0, qPrintable(label + QStringLiteral(": gc failed: ") + gc.err));
            const QString again = backup(QStringLiteral("small"));
            QVERIFY2(!again.isEmpty(), qPrintable(label + QStringLiteral(": no space for a small backup after gc")));
            verifyAllAvailable(label);
            QFile::remove(m_fx.pool + QLatin1Char('/') + name + QStringLiteral(".img"));
            if (!QTest::currentTestFailed())
                ++failedCleanly;
        }
        report(QStringLiteral("repository ENOSPC"), trials,
               QStringLiteral("%1 failed cleanly (path and 'No space left' named, no manifest, gc freed the space, earlier backups verify)")
                   .arg(failedCleanly));
    }

    // The repository on faultfs: writes and flushes fail with EIO at random (seeded).
    void repositoryWriteEio()
    {
        const QString root = m_fx.filePath(QStringLiteral("repo-real"));
        QVERIFY(QDir().mkpath(root));
        std::unique_ptr<FaultFs> fs;
        NDB_TRY(fs = std::make_unique<FaultFs>(root, m_fx.filePath(QStringLiteral("repo")),
                                               QStringList{QStringLiteral("--write-error"), QStringLiteral("EIO"),
                                                           QStringLiteral("--write-rate"), QStringLiteral("8"),
                                                           QStringLiteral("--seed"), QString::number(m_seed)}));
        createVolume(QStringLiteral("small"), QStringLiteral("4M"));
        writeRandom(m_fx.pool + QStringLiteral("/small.img"), 4 << 20);
        QVERIFY2(!backup(QStringLiteral("small")).isEmpty(), "the reference backup failed");
        createVolume(QStringLiteral("big"), QStringLiteral("32M"));
        writeRandom(m_fx.pool + QStringLiteral("/big.img"), 32 << 20);
        int failed = 0;
        int succeeded = 0;
        int absorbed = 0;
        int trials = 0;
        for (int trial = 0; trial < 3 && !QTest::currentTestFailed(); ++trial) {
            const QString label = QStringLiteral("[repository write EIO, trial %1, seed %2]").arg(trial + 1).arg(m_seed);
            // New data every time, so that every trial writes packs.
            writeRandom(m_fx.pool + QStringLiteral("/big.img"), 32 << 20);
            const int before = fs->injected();
            fs->arm(true);
            CtlRun r;
            const QString id = backup(QStringLiteral("big"), &r);
            fs->arm(false);
            ++trials;
            qInfo().noquote() << label << "exit" << r.exitCode << (fs->injected() - before) << "faults injected" << r.err.trimmed();
            if (fs->injected() == before) {
                QVERIFY2(!id.isEmpty(), qPrintable(label + QStringLiteral(": failed without a fault: ") + r.err));
                ++succeeded;
            } else if (!id.isEmpty()) {
                // The kernel splits a large write into FUSE requests; one failing after others
                // succeeded is a short write, which the engine continues: the data is whole. It
                // must verify (below), like every available backup.
                qInfo().noquote() << label << "a fault was absorbed (short write continued):" << fs->log().trimmed().split(QLatin1Char('\n')).last();
                ++absorbed;
            } else {
                QVERIFY2(id.isEmpty() && r.exitCode == 6 /* ExitStorage */,
                         qPrintable(label + QStringLiteral(": a write failed with EIO but the backup succeeded: ") + r.out));
                QVERIFY2(r.err.contains(QLatin1String("Input/output error")) && r.err.contains(fs->mountPoint()),
                         qPrintable(label + QStringLiteral(": the error does not name the repository's I/O error: ") + r.err));
                checkFailedBackup(label, QStringLiteral("big"), VolumeStatus::Available);
                ++failed;
            }
            QVERIFY2(strayManifests().isEmpty(), qPrintable(label + QStringLiteral(": stray manifests: ") + strayManifests().join(QLatin1Char(' '))));
            const CtlRun gc = ctl({QStringLiteral("gc")});
            QVERIFY2(gc.exitCode == 0, qPrintable(label + QStringLiteral(": gc failed: ") + gc.err));
            verifyAllAvailable(label);
        }
        report(QStringLiteral("repository write EIO"), trials,
               QStringLiteral("%1 failed cleanly (EIO and path named, nothing partial available, gc ok, earlier backups verify), "
                              "%2 absorbed a fault as a short write and verified, %3 drew no fault and succeeded")
                   .arg(failed).arg(absorbed).arg(succeeded));
    }

    // A pack that cannot be read (EIO) at verify: the verify fails as a storage error naming the
    // pack, and the backup stays available — an unreadable disk is not proven damage. Once the
    // disk reads again, the same backup verifies.
    void verifyReadEioIsNotDamage()
    {
        const QString root = m_fx.filePath(QStringLiteral("repo-real"));
        const QString repo = m_fx.filePath(QStringLiteral("repo"));
        QVERIFY(QDir().mkpath(root));
        createVolume(QStringLiteral("data"), QStringLiteral("8M"));
        writeRandom(m_fx.pool + QStringLiteral("/data.img"), 8 << 20);
        QString id;
        QString pack;
        {
            // The backup goes through the mount (the repository is the mount point), healthy.
            std::unique_ptr<FaultFs> healthy;
            NDB_TRY(healthy = std::make_unique<FaultFs>(root, repo, QStringList{}));
            id = backup(QStringLiteral("data"));
            QVERIFY2(!id.isEmpty(), "the backup failed");
        }
        QDirIterator packs(root, {QStringLiteral("*.pack")}, QDir::Files, QDirIterator::Subdirectories);
        QVERIFY2(packs.hasNext(), "the backup wrote no pack");
        pack = QFileInfo(packs.next()).fileName();
        std::unique_ptr<FaultFs> fs;
        NDB_TRY(fs = std::make_unique<FaultFs>(root, repo, QStringList{QStringLiteral("--read-eio"), pack + QStringLiteral(":0")}));
        fs->arm(true);
        const CtlRun v = ctl({QStringLiteral("backup"), QStringLiteral("verify"), id});
        fs->arm(false);
        qInfo().noquote() << "[verify, pack read EIO] exit" << v.exitCode << v.err.trimmed();
        QVERIFY2(fs->injected() > 0, "no fault was injected");
        QVERIFY2(v.exitCode == 6 /* ExitStorage */, qPrintable(QStringLiteral("verify did not fail as a storage error: ") + v.out + v.err));
        QVERIFY2(v.err.contains(QLatin1String("Input/output error")), qPrintable(v.err));
        QCOMPARE(column(QStringLiteral("SELECT status FROM backups WHERE id = ?"), {id}), QStringList{BackupStatus::Available});
        const CtlRun again = ctl({QStringLiteral("backup"), QStringLiteral("verify"), id});
        QVERIFY2(again.exitCode == 0, qPrintable(QStringLiteral("verify after the disk recovered: ") + again.err));
        report(QStringLiteral("verify, pack read EIO"), 1,
               QStringLiteral("failed as a storage error (exit 6), backup left available, verified once the disk read again"));
    }

    // The catalog on a 4 MiB tmpfs, filled up before a backup.
    void catalogDiskFull()
    {
        std::unique_ptr<MemoryFilesystem> fs;
        NDB_TRY(fs = std::make_unique<MemoryFilesystem>(m_fx.filePath(QStringLiteral("catalogfs")), QStringLiteral("tmpfs"),
                                                        QStringLiteral("size=4m")));
        const QString catalog = fs->mountPoint() + QStringLiteral("/catalog.sqlite");
        const QStringList globals{QStringLiteral("--catalog"), catalog, QStringLiteral("--repository-root"),
                                  m_fx.filePath(QStringLiteral("repo")), QStringLiteral("--pool"), m_fx.pool, QStringLiteral("--quiet")};
        auto run = [&](const QStringList &args) { return m_fx.run(globals + args, 120000, false); };
        QCOMPARE(run({QStringLiteral("volume"), QStringLiteral("create"), QStringLiteral("--pool"), m_fx.pool, QStringLiteral("--name"),
                      QStringLiteral("db"), QStringLiteral("--size"), QStringLiteral("16M")}).exitCode, 0);
        writeRandom(m_fx.pool + QStringLiteral("/db.img"), 16 << 20);
        QCOMPARE(run({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), QStringLiteral("db")}).exitCode, 0);
        int trials = 0;
        int failedCleanly = 0;
        for (int trial = 0; trial < 2 && !QTest::currentTestFailed(); ++trial) {
            const QString label = QStringLiteral("[catalog disk full, trial %1]").arg(trial + 1);
            {
                // Fill it: every byte of the tmpfs taken.
                QFile filler(fs->mountPoint() + QStringLiteral("/filler"));
                QVERIFY(filler.open(QIODevice::WriteOnly | QIODevice::Append));
                const QByteArray block(4096, 'f');
                while (filler.write(block) == block.size() && filler.flush()) {
                }
            }
            const CtlRun r = run({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), QStringLiteral("db")});
            ++trials;
            qInfo().noquote() << label << "exit" << r.exitCode << r.err.trimmed();
            QVERIFY2(r.exitCode != 0 && r.exitCode != -1, qPrintable(label + QStringLiteral(": a backup with a full catalog disk did not fail cleanly: ") + r.out + r.err));
            QVERIFY2(r.err.contains(QLatin1String("has no space left")) && r.err.contains(fs->mountPoint()),
                     qPrintable(label + QStringLiteral(": the error does not say the disk is full: ") + r.err));
            QVERIFY(QFile::remove(fs->mountPoint() + QStringLiteral("/filler")));
            {
                Catalog opened(catalog);
                QSqlQuery q = opened.exec(QStringLiteral("PRAGMA integrity_check"));
                QVERIFY(q.next());
                QCOMPARE(q.value(0).toString(), QStringLiteral("ok"));
                QSqlQuery n = opened.exec(QStringLiteral("SELECT COUNT(*) FROM backups WHERE status = ?"), {BackupStatus::Available});
                QVERIFY(n.next());
                QCOMPARE(n.value(0).toInt(), 1); // only the backup from before
            }
            const CtlRun c = run({QStringLiteral("cleanup")});
            QVERIFY2(c.exitCode == 0, qPrintable(label + QStringLiteral(": cleanup failed: ") + c.err));
            Catalog opened(catalog);
            QSqlQuery q = opened.exec(QStringLiteral("SELECT COUNT(*) FROM volumes WHERE status <> ?"), {VolumeStatus::Available});
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toInt(), 0);
            if (!QTest::currentTestFailed())
                ++failedCleanly;
        }
        const CtlRun again = run({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), QStringLiteral("db")});
        QVERIFY2(again.exitCode == 0, qPrintable(QStringLiteral("a backup after the disk was freed failed: ") + again.err));
        report(QStringLiteral("catalog disk full"), trials,
               QStringLiteral("%1 failed cleanly (disk full named, catalog intact, nothing marked available)").arg(failedCleanly));
    }
};

QTEST_GUILESS_MAIN(TestIoFaults)
#include "tst_iofaults.moc"
