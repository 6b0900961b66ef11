// Kill trials, as an administrator meets them: the real ndbackupctl is SIGKILLed at random
// instants of backup (an in-use volume, and an available one: data path 1), restore (to a
// volume, to a new volume, to a file), delete, gc and verify, on a btrfs pool (reflink
// snapshots) and an ext4 pool (temporary clone under FIFREEZE), with an in-use volume whose
// mounted filesystem a writer keeps busy. The instant is drawn inside the operation itself: from
// the moment its job shows 'running' in the catalog, within the job's duration measured on an
// unkilled run (backups and restores bandwidth-limited so that they last); a kill counts as a
// hit when the job was still running. After each kill `ndbackupctl cleanup` must leave:
// no frozen filesystem, no temporaries (files, probe files, loop devices), no volume or backup
// stuck in a transitional status, and every available backup verifying. Kills during the freeze
// itself are targeted: the catalog's freezes row shows when the freeze is taken.
//
// The instants come from a seed printed at the start; NDB_KILL_SEED=<n> replays a run.
#include "support/faultrandom.h"
#include "support/freezecheck.h"
#include "support/ctlrunner.h"
#include "support/scratchfs.h"
#include "support/writercheck.h"

#include "catalog/catalog.h"
#include "model/status.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QMap>
#include <QProcess>
#include <QRandomGenerator>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <memory>
#include <unistd.h>

using namespace ndb;
using namespace ndbtest;
using Run = CtlRun;

namespace {

constexpr int kKillsPerOperation = 2;
// MB/s for backups and restores: long enough to be hit, short enough for the tier's time budget.
const QString kBandwidth = QStringLiteral("60");

} // namespace

class TestKillTrials : public QObject
{
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ScratchCleanup> m_cleanup;
    std::unique_ptr<ScratchFilesystem> m_poolFs;
    QString m_pool;
    QString m_mount;     // the in-use volume's filesystem
    QString m_reference; // an available backup of it
    quint32 m_seed = 0;
    QRandomGenerator m_random;
    int m_targets = 0;
    int m_kills = 0;
    int m_hits = 0;
    QMap<QString, QPair<int, int>> m_perKind; // what -> (kills, hits), over both pools

    QString catalogPath() const { return m_dir->filePath(QStringLiteral("catalog.sqlite")); }

    QStringList globalArgs() const
    {
        return {QStringLiteral("--config"), m_dir->filePath(QStringLiteral("ndbackup.conf")),
                QStringLiteral("--catalog"), catalogPath(),
                QStringLiteral("--repository-root"), m_dir->filePath(QStringLiteral("repo")),
                QStringLiteral("--pool"), m_pool, QStringLiteral("--quiet")};
    }

    void prepare(QProcess &p, const QStringList &args)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir->filePath(QStringLiteral("config")));
        env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir->filePath(QStringLiteral("data")));
        p.setProcessEnvironment(env);
        p.setProgram(ctlPath());
        p.setArguments(globalArgs() + args);
    }

    Run ctl(const QStringList &args, int timeoutMs = 120000)
    {
        QProcess p;
        prepare(p, args);
        p.start();
        Run r;
        if (!p.waitForFinished(timeoutMs)) {
            p.kill();
            p.waitForFinished();
            r.err = QStringLiteral("timed out: ") + args.join(QLatin1Char(' '));
            return r;
        }
        r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = QString::fromUtf8(p.readAllStandardOutput());
        r.err = QString::fromUtf8(p.readAllStandardError());
        return r;
    }

    QStringList column(const QString &sql, const QVariantList &bindings = {})
    {
        Catalog catalog(catalogPath());
        QSqlQuery q = catalog.exec(sql, bindings);
        QStringList out;
        while (q.next())
            out << q.value(0).toString();
        return out;
    }

    // Waits until the freeze record of a running ctl shows its guard (the filesystem is frozen
    // then), or the process ends. Returns the guard's pid, 0 when none was seen.
    qint64 waitForFreeze(QProcess &p, int timeoutMs)
    {
        Catalog catalog(catalogPath());
        QElapsedTimer t;
        t.start();
        QElapsedTimer sinceRecord;
        while (t.elapsed() < timeoutMs && p.state() == QProcess::Running) {
            QSqlQuery q = catalog.exec(QStringLiteral("SELECT guard_pid FROM freezes WHERE kind = 'fsfreeze' ORDER BY id DESC LIMIT 1"));
            if (q.next()) {
                const qint64 guard = q.value(0).toLongLong();
                if (guard > 0)
                    return guard;
                if (!sinceRecord.isValid())
                    sinceRecord.start();
                else if (sinceRecord.elapsed() > 10000)
                    return -1; // recorded, but no guard process holds it (generous: a loaded machine)
            }
            QThread::usleep(2000);
        }
        return 0;
    }

    qint64 lastJobId()
    {
        const QStringList last = column(QStringLiteral("SELECT COALESCE(MAX(id), 0) FROM jobs"));
        return last.isEmpty() ? 0 : last.first().toLongLong();
    }

    // The status of the first job of `kind` after `after`; empty when there is none yet.
    QString jobStatus(const QString &kind, qint64 after)
    {
        const QStringList s = column(QStringLiteral("SELECT status FROM jobs WHERE kind = ? AND id > ? ORDER BY id LIMIT 1"), {kind, after});
        return s.isEmpty() ? QString() : s.first();
    }

    // Waits until the job of `kind` started by `p` runs (true), or `p` ends first (false).
    bool waitForJob(QProcess &p, const QString &kind, qint64 after, int timeoutMs = 60000)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < timeoutMs && p.state() == QProcess::Running) {
            if (jobStatus(kind, after) == QLatin1String("running"))
                return true;
            QThread::usleep(2000);
        }
        return false;
    }

    // Milliseconds the job of `kind` runs in an unkilled run of `args` (while the catalog shows
    // it 'running'), shortened by a tenth so that the drawn instants fall inside it; -1 when the
    // run failed.
    int measureJob(const QStringList &args, const QString &kind)
    {
        QProcess p;
        prepare(p, args);
        const qint64 after = lastJobId();
        p.start();
        if (!p.waitForStarted(10000) || !waitForJob(p, kind, after))
            return -1;
        QElapsedTimer t;
        t.start();
        while (jobStatus(kind, after) == QLatin1String("running") && t.elapsed() < 120000)
            QThread::usleep(1000);
        const int ms = int(t.elapsed()) * 9 / 10;
        p.waitForFinished(120000);
        const bool ok = p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
        qInfo().noquote() << m_poolFs->type() << "pool:" << kind << "job runs" << ms << "ms:" << args.join(QLatin1Char(' '));
        return ok ? qMax(20, ms) : -1;
    }

    // One trial: start `args`, wait until its job of `kind` runs, SIGKILL at a random instant
    // within `windowMs` (or, with `atFreeze`, once the freeze is held; `withGuard` kills its
    // guard process too, as a kill of the whole process group would), then cleanup and the checks.
    void trial(const QString &what, const QStringList &args, const QString &kind, int windowMs, bool atFreeze = false,
               bool withGuard = false)
    {
        const qint64 after = lastJobId();
        const QString label = QStringLiteral("[%1 trial %2, seed %3] %4").arg(m_poolFs->type()).arg(++m_kills).arg(m_seed).arg(what);
        QProcess p;
        prepare(p, args);
        p.start();
        QVERIFY2(p.waitForStarted(10000), qPrintable(label));
        QString when;
        if (atFreeze) {
            const qint64 guard = waitForFreeze(p, 60000);
            if (guard == -1) {
                p.kill();
                p.waitForFinished(30000);
            }
            QVERIFY2(guard != -1, qPrintable(label + QStringLiteral(": the freeze was recorded but no guard process holds it")));
            if (guard > 0 && withGuard) {
                QFile comm(QStringLiteral("/proc/%1/comm").arg(guard));
                if (comm.open(QIODevice::ReadOnly) && comm.readAll().trimmed() == "ndb-freeze")
                    ::kill(pid_t(guard), SIGKILL);
            }
            when = guard > 0 ? QStringLiteral("during the freeze%1").arg(withGuard ? QStringLiteral(" (guard killed too)") : QString())
                             : QStringLiteral("after it ended without freezing");
        } else {
            const int killAfterMs = instant(windowMs);
            if (waitForJob(p, kind, after)) {
                QThread::msleep(killAfterMs);
                when = QStringLiteral("%1 ms into its %2 job (window %3 ms)").arg(killAfterMs).arg(kind).arg(windowMs);
            } else {
                when = QStringLiteral("(its %1 job was never seen running)").arg(kind);
            }
        }
        // processId() is 0 once it has finished, and kill(0) would hit this whole process group.
        const pid_t pid = pid_t(p.processId());
        const bool wasRunning = pid > 0;
        if (wasRunning)
            ::kill(pid, SIGKILL);
        p.waitForFinished(30000);
        // A hit: the operation itself was interrupted (its job is left 'running' for cleanup).
        const bool hit = wasRunning && jobStatus(kind, after) == QLatin1String("running");
        m_hits += hit ? 1 : 0;
        QPair<int, int> &counts = m_perKind[what];
        ++counts.first;
        counts.second += hit ? 1 : 0;
        qInfo().noquote() << label << "killed" << when << (wasRunning ? "" : "(it had already finished)")
                          << (hit ? "- hit the running job" : "- missed: the job was not running");

        const Run cleanup = ctl({QStringLiteral("cleanup")});
        QVERIFY2(cleanup.exitCode == 0, qPrintable(label + QStringLiteral(": cleanup failed: ") + cleanup.err));
        checkNothingLeft(label);
    }

    void checkNothingLeft(const QString &label)
    {
        QString why;
        QVERIFY2(writeCompletes(m_mount, 5000, &why), qPrintable(label + QStringLiteral(": ") + why));
        const QStringList left = QDir(m_pool).entryList({QStringLiteral("ndbackup-*"), QStringLiteral(".ndbackup-*")},
                                                        QDir::Files | QDir::Hidden | QDir::System);
        QVERIFY2(left.isEmpty(), qPrintable(label + QStringLiteral(": left in the pool: ") + left.join(QLatin1Char(' '))));
        for (const QString &e : QDir(QStringLiteral("/sys/block")).entryList({QStringLiteral("loop*")}, QDir::Dirs)) {
            QFile f(QStringLiteral("/sys/block/%1/loop/backing_file").arg(e));
            if (f.open(QIODevice::ReadOnly)) {
                const QString backing = QString::fromLocal8Bit(f.readAll().trimmed());
                QVERIFY2(!(backing.startsWith(m_pool) && QFileInfo(backing).fileName().startsWith(QLatin1String("ndbackup-"))),
                         qPrintable(label + QStringLiteral(": loop device of a temporary: ") + e + QLatin1String(" -> ") + backing));
            }
        }
        const QStringList stuckVolumes = column(QStringLiteral("SELECT name || ' ' || status FROM volumes WHERE status IN (?, ?)"),
                                                {VolumeStatus::BackingUp, VolumeStatus::RestoringBackup});
        QVERIFY2(stuckVolumes.isEmpty(), qPrintable(label + QStringLiteral(": volumes stuck: ") + stuckVolumes.join(QLatin1String(", "))));
        const QStringList stuckBackups = column(QStringLiteral("SELECT id || ' ' || status FROM backups WHERE status IN (?, ?, ?)"),
                                                {BackupStatus::Creating, BackupStatus::Restoring, BackupStatus::Deleting});
        QVERIFY2(stuckBackups.isEmpty(), qPrintable(label + QStringLiteral(": backups stuck: ") + stuckBackups.join(QLatin1String(", "))));
        QCOMPARE(column(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE status = 'running'")), QStringList{QStringLiteral("0")});
        QCOMPARE(column(QStringLiteral("SELECT COUNT(*) FROM freezes")), QStringList{QStringLiteral("0")});
    }

    void verifyAllAvailable(const QString &label)
    {
        for (const QString &id : column(QStringLiteral("SELECT id FROM backups WHERE status = ?"), {BackupStatus::Available})) {
            const Run v = ctl({QStringLiteral("backup"), QStringLiteral("verify"), id});
            QVERIFY2(v.exitCode == 0, qPrintable(QStringLiteral("%1: available backup %2 does not verify: %3").arg(label, id, v.err)));
        }
    }

    QString newBackup()
    {
        const Run r = ctl({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), QStringLiteral("db"),
                           QStringLiteral("--force"), QStringLiteral("--json")});
        if (r.exitCode != 0) {
            qWarning().noquote() << "backup create failed:" << r.err;
            return {};
        }
        const int at = r.out.indexOf(QLatin1String("\"id\": \""));
        return at < 0 ? QString() : r.out.mid(at + 7, 36);
    }

    int instant(int maxMs) { return int(m_random.bounded(maxMs)); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(ctlPath()), "ndbackupctl not built (NDB_BUILD_DIR must point at the build tree)");
        QVERIFY2(::geteuid() == 0, "these tests need root for loop devices and mounts; CI runs as root");
        QVERIFY2(!writerExecutable().isEmpty(), "ndb-test-writer not built");
        m_seed = replayableSeed("NDB_KILL_SEED", "kill trials");
        m_random.seed(m_seed);
    }

    void cleanupTestCase()
    {
        for (auto it = m_perKind.cbegin(); it != m_perKind.cend(); ++it)
            qInfo().noquote() << "summary: kill during" << it.key() << ":" << it.value().first << "trials," << it.value().second
                              << "hit the running job, all cleaned up and checked";
    }

    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_cleanup = std::make_unique<ScratchCleanup>(m_dir->path());
        // A freeze limit far above the copy time: only a kill ends a freeze here.
        QFile conf(m_dir->filePath(QStringLiteral("ndbackup.conf")));
        QVERIFY(conf.open(QIODevice::WriteOnly));
        conf.write("[General]\nfreeze_limit_ms=60000\n");
    }

    void cleanup()
    {
        m_poolFs.reset();
        m_cleanup.reset();
        m_dir.reset();
    }

    void trials_data()
    {
        QTest::addColumn<QString>("fsType");
        QTest::addColumn<int>("fsMiB");
        QTest::newRow("btrfs pool (reflink snapshot)") << QStringLiteral("btrfs") << 1024;
        QTest::newRow("ext4 pool (frozen clone)") << QStringLiteral("ext4") << 1024;
    }

    void trials()
    {
        QFETCH(QString, fsType);
        QFETCH(int, fsMiB);
        NDB_TRY(m_poolFs = std::make_unique<ScratchFilesystem>(m_dir->path(), fsType, fsMiB, QStringLiteral("pool")));
        m_pool = m_poolFs->mountPoint() + QStringLiteral("/pool");
        QVERIFY(QDir().mkpath(m_pool));

        // The in-use volume: attached, an ext4 filesystem on it, mounted, data, a writer.
        Run r = ctl({QStringLiteral("volume"), QStringLiteral("create"), QStringLiteral("--pool"), m_pool,
                     QStringLiteral("--name"), QStringLiteral("db"), QStringLiteral("--size"), QStringLiteral("128M")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = ctl({QStringLiteral("volume"), QStringLiteral("attach"), QStringLiteral("db")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QString loop = r.out.trimmed();
        m_mount = m_dir->filePath(QStringLiteral("mnt"));
        NDB_TRY(makeFilesystem(QStringLiteral("ext4"), loop));
        NDB_TRY(mountDevice(loop, m_mount, QStringLiteral("ext4")));
        // Incompressible data, so that the clone under the freeze takes a moment.
        QString written = writeRandomData(m_mount + QStringLiteral("/data.bin"), 64 << 20, m_random);
        QVERIFY2(written.isEmpty(), qPrintable(written));
        // The available volume (data path 1): incompressible data written into its image.
        r = ctl({QStringLiteral("volume"), QStringLiteral("create"), QStringLiteral("--pool"), m_pool,
                 QStringLiteral("--name"), QStringLiteral("cold"), QStringLiteral("--size"), QStringLiteral("64M")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        written = writeRandomData(m_pool + QStringLiteral("/cold.img"), 64 << 20, m_random);
        QVERIFY2(written.isEmpty(), qPrintable(written));
        QString error;
        const std::unique_ptr<QProcess> writer = startWriter(QStringLiteral("--files"), m_mount,
                                                             m_dir->filePath(QStringLiteral("writer.log")), 5, error);
        QVERIFY2(writer, qPrintable(error));

        QElapsedTimer clock;
        clock.start();
        m_reference = newBackup();
        QVERIFY2(!m_reference.isEmpty(), "the reference backup failed");
        const int backupMs = int(clock.elapsed());
        qInfo().noquote() << fsType << "pool: one backup of the in-use volume takes" << backupMs << "ms";

        // backup: one kill at a random instant, two targeted at the freeze (the ctl alone, and
        // the ctl with its guard process).
        const QStringList backup{QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"),
                                 QStringLiteral("db"), QStringLiteral("--force")};
        const QString backupKind = QStringLiteral("backup");
        const int inUseMs = measureJob(backup + QStringList{QStringLiteral("--bandwidth"), kBandwidth}, backupKind);
        QVERIFY2(inUseMs > 0, "an unkilled bandwidth-limited backup failed");
        for (int i = 0; i < kKillsPerOperation && !QTest::currentTestFailed(); ++i)
            trial(QStringLiteral("backup, in-use volume"), backup + QStringList{QStringLiteral("--bandwidth"), kBandwidth}, backupKind, inUseMs);
        trial(QStringLiteral("backup, kill at the freeze"), backup, backupKind, 0, true, false);
        trial(QStringLiteral("backup, kill at the freeze with its guard"), backup, backupKind, 0, true, true);
        // Data path 1: an available volume read directly.
        const QStringList cold{QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), QStringLiteral("cold"),
                               QStringLiteral("--bandwidth"), kBandwidth};
        const int coldMs = measureJob(cold, backupKind);
        QVERIFY2(coldMs > 0, "an unkilled backup of the available volume failed");
        for (int i = 0; i < kKillsPerOperation && !QTest::currentTestFailed(); ++i)
            trial(QStringLiteral("backup, available volume"), cold, backupKind, coldMs);
        if (QTest::currentTestFailed())
            return;
        verifyAllAvailable(QStringLiteral("after backup kills"));

        // Random instants within each operation's own duration, measured on an unkilled run.
        const QString restoreKind = QStringLiteral("restore");
        const QStringList restore{QStringLiteral("backup"), QStringLiteral("restore"), m_reference, QStringLiteral("--bandwidth"), kBandwidth};
        const int restoreMs = measureJob(restore + QStringList{QStringLiteral("--to-file"), m_dir->filePath(QStringLiteral("measured.img"))},
                                         restoreKind);
        const int verifyMs = measureJob({QStringLiteral("backup"), QStringLiteral("verify"), m_reference}, QStringLiteral("verify"));
        QVERIFY2(restoreMs > 0 && verifyMs > 0, "an unkilled restore or verify failed");
        QFile::remove(m_dir->filePath(QStringLiteral("measured.img")));

        for (int i = 0; i < kKillsPerOperation && !QTest::currentTestFailed(); ++i) {
            const QString target = QStringLiteral("target%1").arg(i);
            QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("create"), QStringLiteral("--pool"), m_pool,
                          QStringLiteral("--name"), target, QStringLiteral("--size"), QStringLiteral("128M")}).exitCode, 0);
            trial(QStringLiteral("restore --to-volume"), restore + QStringList{QStringLiteral("--to-volume"), target}, restoreKind, restoreMs);
            QFile::remove(m_pool + QLatin1Char('/') + target + QStringLiteral(".img")); // the pool's space is for the trials
        }
        for (int i = 0; i < kKillsPerOperation && !QTest::currentTestFailed(); ++i) {
            const QString target = QStringLiteral("fresh%1").arg(i);
            trial(QStringLiteral("restore --new-volume"), restore + QStringList{QStringLiteral("--new-volume"), target}, restoreKind, restoreMs);
            QFile::remove(m_pool + QLatin1Char('/') + target + QStringLiteral(".img"));
        }
        for (int i = 0; i < kKillsPerOperation && !QTest::currentTestFailed(); ++i)
            trial(QStringLiteral("restore --to-file"),
                  restore + QStringList{QStringLiteral("--to-file"), m_dir->filePath(QStringLiteral("restored%1.img").arg(i))},
                  restoreKind, restoreMs);
        for (int i = 0; i < kKillsPerOperation && !QTest::currentTestFailed(); ++i)
            trial(QStringLiteral("verify"), {QStringLiteral("backup"), QStringLiteral("verify"), m_reference}, QStringLiteral("verify"), verifyMs);
        if (QTest::currentTestFailed())
            return;
        verifyAllAvailable(QStringLiteral("after restore and verify kills"));

        // Calibration: delete a backup and gc its chunks unkilled.
        const QString measured = newBackup();
        QVERIFY2(!measured.isEmpty(), "a backup to delete failed");
        const int deleteMs = measureJob({QStringLiteral("backup"), QStringLiteral("delete"), measured}, QStringLiteral("delete"));
        const int gcMs = measureJob({QStringLiteral("gc")}, QStringLiteral("gc"));
        QVERIFY2(deleteMs > 0 && gcMs > 0, "an unkilled delete or gc failed");
        for (int i = 0; i < kKillsPerOperation && !QTest::currentTestFailed(); ++i) {
            // Something to delete besides the reference: a new backup, so chunks become unreferenced.
            const QString victim = newBackup();
            QVERIFY2(!victim.isEmpty(), "a backup to delete failed");
            trial(QStringLiteral("delete"), {QStringLiteral("backup"), QStringLiteral("delete"), victim}, QStringLiteral("delete"), deleteMs);
            trial(QStringLiteral("gc"), {QStringLiteral("gc")}, QStringLiteral("gc"), gcMs);
            verifyAllAvailable(QStringLiteral("after delete and gc kills"));
        }
        QVERIFY2(column(QStringLiteral("SELECT status FROM backups WHERE id = ?"), {m_reference}) == QStringList{BackupStatus::Available},
                 "the reference backup is no longer available");

        QVERIFY2(writer->state() == QProcess::Running, "the writer stopped during the trials");
        QVERIFY2(stopWriter(*writer, error), qPrintable(error));
        qInfo().noquote() << fsType << "pool:" << m_kills << "kills in" << clock.elapsed() / 1000 << "s," << m_hits
                          << "of them hit the running operation; all cleaned up";
        m_kills = 0;
        m_hits = 0;
    }
};

QTEST_GUILESS_MAIN(TestKillTrials)
#include "tst_killtrials.moc"
