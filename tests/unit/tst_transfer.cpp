// The transfer pipeline on real files and loop devices: round trips, zero chunks, dedup,
// corruption, delete + gc, cancellation, bounded memory, concurrent backups.
#include "backup/transfer.h"
#include "repository/chunkcodec.h"
#include "support/childprocess.h"
#include "support/scratchfs.h"
#include "util/commandrunner.h"
#include "util/error.h"
#include "volumes/loopdevice.h"

#include <QDirIterator>
#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>

#include <fcntl.h>
#include <linux/ioprio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <optional>
#include <thread>
#include <unistd.h>

using namespace ndb;

namespace {

constexpr qint64 MiB = 1024 * 1024;

// Deterministic content of one 64 KiB block: zeroes, noise or text, chosen by the seed.
void fillBlock(char *out, qint64 length, quint32 seed)
{
    QRandomGenerator rng(seed);
    switch (seed % 4) {
    case 0:
        memset(out, 0, size_t(length));
        break;
    case 1:
    case 2: {
        for (qint64 i = 0; i + 4 <= length; i += 4) {
            const quint32 v = rng.generate();
            memcpy(out + i, &v, 4);
        }
        for (qint64 i = length - length % 4; i < length; ++i)
            out[i] = char(rng.generate());
        break;
    }
    default: {
        static const char words[] = "volume snapshot backup restore chunk verify ";
        for (qint64 i = 0; i < length; ++i)
            out[i] = words[(i + seed) % (sizeof words - 1)];
    }
    }
}

// Writes a file of `size` bytes whose 64 KiB block i has seed seedOf(i).
void writeVolume(const QString &path, qint64 size, const std::function<quint32(qint64)> &seedOf)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QByteArray block(64 * 1024, Qt::Uninitialized);
    for (qint64 offset = 0, i = 0; offset < size; offset += block.size(), ++i) {
        const qint64 n = qMin<qint64>(block.size(), size - offset);
        fillBlock(block.data(), n, seedOf(i));
        QCOMPARE(file.write(block.constData(), n), n);
    }
}

QByteArray fileSha(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(&file);
    return hash.result();
}

Manifest backupFile(Repository &repo, const QString &path, const QString &backupId,
                    TransferStats *stats = nullptr, const TransferOptions &options = {})
{
    auto source = openFileSource(path);
    Manifest manifest;
    manifest.backupId = backupId;
    const TransferStats s = backupToRepository(*source, repo, manifest, options);
    repo.commitManifest(manifest);
    if (stats)
        *stats = s;
    return manifest;
}

bool restoresExactly(const Repository &repo, const QString &backupId, const QString &original,
                     const QString &target)
{
    const Manifest manifest = repo.readManifest(backupId);
    auto sink = openFileSink(target, manifest.size);
    restoreFromRepository(repo, manifest, *sink, {});
    return QFileInfo(target).size() == QFileInfo(original).size() && fileSha(target) == fileSha(original);
}

QStringList filesMatching(const QString &dir, const QString &pattern)
{
    QStringList out;
    QDirIterator it(dir, {pattern}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        out << it.next();
    return out;
}

long maxRssKiB()
{
    struct rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

// Detaches loop devices even when a check fails half-way.
struct LoopGuard
{
    QStringList devices;
    ~LoopGuard()
    {
        for (const QString &d : devices) {
            try {
                LoopDevice::detach(d);
            } catch (...) {
            }
        }
    }
};

// Runs `transfer` with a bandwidth limit that makes it last about 4 s, cancels it after 0.5 s,
// and returns how long it ran, or -1 when it ended without CancelledError.
qint64 msecUntilCancelled(TransferOptions options, const std::function<void(const TransferOptions &)> &transfer)
{
    std::atomic<bool> cancel{false};
    options.cancel = &cancel;
    options.bandwidthLimit = 16 * MiB; // 64 MiB volumes
    std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        cancel = true;
    });
    QElapsedTimer timer;
    timer.start();
    bool cancelled = false;
    try {
        transfer(options);
    } catch (const CancelledError &) {
        cancelled = true;
    } catch (...) {
        canceller.join();
        throw;
    }
    canceller.join();
    return cancelled ? timer.elapsed() : -1;
}

// Delegates to a file source and records the I/O priority class of the threads that read.
class PriorityRecordingSource final : public BlockSource
{
public:
    explicit PriorityRecordingSource(const QString &path) : m_source(openFileSource(path)) {}
    qint64 size() const override { return m_source->size(); }
    QString description() const override { return m_source->description(); }
    qint64 readAt(char *buffer, qint64 length, qint64 offset) override
    {
        const int priority = int(::syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0)); // this thread
        {
            std::lock_guard lock(m_mutex);
            m_classes.insert(IOPRIO_PRIO_CLASS(priority));
        }
        return m_source->readAt(buffer, length, offset);
    }
    QSet<int> classes()
    {
        std::lock_guard lock(m_mutex);
        return m_classes;
    }

private:
    std::unique_ptr<BlockSource> m_source;
    std::mutex m_mutex;
    QSet<int> m_classes;
};

} // namespace

class TestTransfer : public QObject
{
    Q_OBJECT

private slots:
    void roundTripOddSize()
    {
        QTemporaryDir tmp;
        RepositoryConfig defaults;
        defaults.chunkSize = 64 * 1024;
        auto repo = Repository::openOrCreate(tmp.filePath(QStringLiteral("c")), defaults);
        // Not a multiple of the chunk size, nor of 4096 (direct I/O tail).
        const qint64 size = 5 * MiB + 3 * 64 * 1024 + 1234;
        const QString volume = tmp.filePath(QStringLiteral("vol.img"));
        writeVolume(volume, size, [](qint64 i) { return quint32(i * 7 + 3); });
        TransferStats stats;
        int progressCalls = 0;
        qint64 lastDone = -1;
        TransferOptions options;
        options.threads = 3;
        options.progress = [&](qint64 done, qint64) {
            ++progressCalls;
            lastDone = done;
        };
        const Manifest m = backupFile(*repo, volume, QStringLiteral("b1"), &stats, options);
        QCOMPARE(stats.bytes, size);
        QCOMPARE(m.size, size);
        QCOMPARE(m.chunks.size(), (size + 65535) / 65536);
        QVERIFY(stats.chunksZero > 0);
        QVERIFY(stats.chunksNew > 0);
        QCOMPARE(stats.chunksNew + stats.chunksZero + stats.chunksDeduplicated, qint64(m.chunks.size()));
        QCOMPARE(m.storedBytes, stats.bytesStored);
        QCOMPARE(lastDone, size);
        QVERIFY(progressCalls >= 1);
        QVERIFY(restoresExactly(*repo, QStringLiteral("b1"), volume, tmp.filePath(QStringLiteral("out.img"))));
        // Zero chunks are holes in the restored file.
        struct stat st{};
        QCOMPARE(stat(QFile::encodeName(tmp.filePath(QStringLiteral("out.img"))).constData(), &st), 0);
        QVERIFY(qint64(st.st_blocks) * 512 < size);
        QVERIFY(verifyBackup(*repo, m, {}).ok());
    }

    void zeroChunksAreNotStored()
    {
        QTemporaryDir tmp;
        auto repo = Repository::openOrCreate(tmp.filePath(QStringLiteral("c")));
        const QString volume = tmp.filePath(QStringLiteral("zero.img"));
        QFile f(volume);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QVERIFY(f.resize(16 * MiB + 4096));
        f.close();
        const qint64 usageBefore = repo->diskUsage();
        TransferStats stats;
        const Manifest m = backupFile(*repo, volume, QStringLiteral("z"), &stats);
        QCOMPARE(stats.bytesStored, 0);
        QCOMPARE(stats.chunksZero, qint64(m.chunks.size()));
        for (const QByteArray &id : m.chunks)
            QVERIFY(id.isEmpty());
        QVERIFY(filesMatching(repo->path(), QStringLiteral("*.pack")).isEmpty());
        QVERIFY(repo->diskUsage() - usageBefore < 64 * 1024); // the manifest only
        QVERIFY(restoresExactly(*repo, QStringLiteral("z"), volume, tmp.filePath(QStringLiteral("out.img"))));
    }

    void secondIdenticalBackupStoresNothing()
    {
        QTemporaryDir tmp;
        auto repo = Repository::openOrCreate(tmp.filePath(QStringLiteral("c")));
        const QString volume = tmp.filePath(QStringLiteral("vol.img"));
        writeVolume(volume, 12 * MiB, [](qint64 i) { return quint32(i + 1); });
        TransferStats first, second;
        backupFile(*repo, volume, QStringLiteral("one"), &first);
        QVERIFY(first.bytesStored > 4 * MiB);
        const qint64 usage = repo->diskUsage();
        {
            auto other = Repository::open(repo->path()); // dedup across objects and backups
            backupFile(*other, volume, QStringLiteral("two"), &second);
        }
        QCOMPARE(second.bytesStored, 0);
        QCOMPARE(second.chunksNew, 0);
        QVERIFY(repo->diskUsage() - usage < 64 * 1024);
        QVERIFY(restoresExactly(*repo, QStringLiteral("two"), volume, tmp.filePath(QStringLiteral("out.img"))));
    }

    void corruptionIsNamedAndRestoreThrows()
    {
        QTemporaryDir tmp;
        RepositoryConfig defaults;
        defaults.chunkSize = 64 * 1024;
        auto repo = Repository::openOrCreate(tmp.filePath(QStringLiteral("c")), defaults);
        const QString volume = tmp.filePath(QStringLiteral("vol.img"));
        writeVolume(volume, 4 * MiB, [](qint64 i) { return quint32(i * 4 + 1); }); // all noise
        const Manifest m = backupFile(*repo, volume, QStringLiteral("b"));
        QVERIFY(verifyBackup(*repo, m, {}).ok());

        // Flip one byte inside each of the first two chunks of the pack (offsets from its index).
        const QStringList idx = filesMatching(repo->path(), QStringLiteral("*.idx"));
        QCOMPARE(idx.size(), 1);
        QFile indexFile(idx.first());
        QVERIFY(indexFile.open(QIODevice::ReadOnly));
        const QByteArray index = indexFile.readAll();
        QList<QByteArray> damaged;
        QFile pack(QString(idx.first()).replace(QStringLiteral(".idx"), QStringLiteral(".pack")));
        QVERIFY(pack.open(QIODevice::ReadWrite));
        for (int e = 0; e < 2; ++e) {
            const char *entry = index.constData() + 16 + e * 48;
            damaged << QByteArray(entry, 32);
            const quint64 offset = qFromLittleEndian<quint64>(entry + 32);
            QVERIFY(pack.seek(qint64(offset) + 100));
            char c;
            QVERIFY(pack.getChar(&c));
            QVERIFY(pack.seek(qint64(offset) + 100));
            QVERIFY(pack.putChar(char(c ^ 0x55)));
        }
        pack.close();

        auto fresh = Repository::open(repo->path());
        const VerifyReport report = verifyBackup(*fresh, m, {});
        QVERIFY(!report.ok());
        QCOMPARE(report.problems.size(), 2); // every problem, not just the first
        for (const ChunkProblem &p : report.problems) {
            QVERIFY(damaged.contains(p.id));
            QCOMPARE(m.chunks[p.index], p.id);
            QCOMPARE(p.reason, QStringLiteral("hash mismatch"));
        }
        QCOMPARE(report.chunksChecked, qint64(m.chunks.size()));

        auto sink = openFileSink(tmp.filePath(QStringLiteral("out.img")), m.size);
        try {
            restoreFromRepository(*fresh, m, *sink, {});
            QFAIL("restore of a corrupt backup must throw");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(chunkIdHex(damaged[0])) || e.message().contains(chunkIdHex(damaged[1])),
                     qPrintable(e.message()));
        }
    }

    void deleteAndGcFreeSpace()
    {
        QTemporaryDir tmp;
        RepositoryConfig defaults;
        defaults.chunkSize = 64 * 1024;
        defaults.packTargetSize = 2 * MiB;
        auto repo = Repository::openOrCreate(tmp.filePath(QStringLiteral("c")), defaults);
        const QString a = tmp.filePath(QStringLiteral("a.img"));
        const QString b = tmp.filePath(QStringLiteral("b.img"));
        const QString c = tmp.filePath(QStringLiteral("c.img"));
        auto noise = [](quint32 base) { return [base](qint64 i) { return quint32((base + i) * 4 + 1); }; };
        writeVolume(a, 8 * MiB, noise(0));
        // b shares its first half with a; its second half is its own.
        writeVolume(b, 8 * MiB, [](qint64 i) { return quint32(i < 64 ? i * 4 + 1 : (10000 + i) * 4 + 2); });
        writeVolume(c, 6 * MiB + 777, noise(50000));
        backupFile(*repo, a, QStringLiteral("a"));
        backupFile(*repo, b, QStringLiteral("b"));
        backupFile(*repo, c, QStringLiteral("c"));
        const qint64 before = repo->diskUsage();

        repo->deleteManifest(QStringLiteral("b"));
        const GcReport gc = repo->collectGarbage();
        const qint64 after = repo->diskUsage();
        QCOMPARE(gc.chunksRemoved, 64); // b's own half
        QVERIFY2(before - after >= 4 * MiB - 256 * 1024, qPrintable(QStringLiteral("freed %1").arg(before - after)));
        QVERIFY(gc.bytesFreed >= 4 * MiB - 256 * 1024);
        QVERIFY(restoresExactly(*repo, QStringLiteral("a"), a, tmp.filePath(QStringLiteral("a.out"))));
        QVERIFY(restoresExactly(*repo, QStringLiteral("c"), c, tmp.filePath(QStringLiteral("c.out"))));
        {
            auto fresh = Repository::open(repo->path());
            QVERIFY(verifyBackup(*fresh, fresh->readManifest(QStringLiteral("a")), {}).ok());
            QVERIFY(verifyBackup(*fresh, fresh->readManifest(QStringLiteral("c")), {}).ok());
        }

        // Deleting a frees a's own chunks even where they share packs with c (repack).
        repo->deleteManifest(QStringLiteral("a"));
        const GcReport gc2 = repo->collectGarbage();
        QVERIFY(gc2.bytesFreed >= 8 * MiB - 256 * 1024);
        QVERIFY(repo->diskUsage() < 6 * MiB + 1 * MiB);
        QVERIFY(restoresExactly(*repo, QStringLiteral("c"), c, tmp.filePath(QStringLiteral("c2.out"))));

        repo->deleteManifest(QStringLiteral("c"));
        repo->collectGarbage();
        QVERIFY(filesMatching(repo->path(), QStringLiteral("*.pack")).isEmpty());
    }

    void cancelStopsPromptlyWithoutManifest()
    {
        QTemporaryDir tmp;
        auto repo = Repository::openOrCreate(tmp.filePath(QStringLiteral("c")));
        const QString volume = tmp.filePath(QStringLiteral("vol.img"));
        writeVolume(volume, 64 * MiB, [](qint64 i) { return quint32(i * 4 + 1); });
        Manifest manifest;
        manifest.backupId = QStringLiteral("x");
        auto source = openFileSource(volume);
        const qint64 msec = msecUntilCancelled({}, [&](const TransferOptions &options) {
            backupToRepository(*source, *repo, manifest, options);
        });
        QVERIFY2(msec >= 0, "the backup was not cancelled");
        QVERIFY2(msec < 1500, qPrintable(QString::number(msec)));
        QVERIFY(repo->listBackups().isEmpty());
        QVERIFY(!repo->hasManifest(QStringLiteral("x")));
    }

    // A cancelled restore stops promptly, with few workers and with more than its segment ring
    // serves at once (those wait for a buffer, and the stop must reach them there too).
    void cancelledRestoreStopsPromptly()
    {
        QTemporaryDir tmp;
        auto repo = Repository::openOrCreate(tmp.filePath(QStringLiteral("c")));
        const QString volume = tmp.filePath(QStringLiteral("vol.img"));
        writeVolume(volume, 64 * MiB, [](qint64 i) { return quint32(i * 4 + 1); });
        const Manifest m = backupFile(*repo, volume, QStringLiteral("b1"));
        for (const int threads : {2, 7}) {
            auto sink = openFileSink(tmp.filePath(QStringLiteral("out.img")), m.size);
            TransferOptions options;
            options.threads = threads;
            const qint64 msec = msecUntilCancelled(options, [&](const TransferOptions &o) {
                restoreFromRepository(*repo, m, *sink, o);
            });
            QVERIFY2(msec >= 0, "the restore was not cancelled");
            QVERIFY2(msec < 1500, qPrintable(QString::number(msec)));
        }
    }

    // The source is read by threads of the I/O class the job asked for; the caller keeps its own.
    void ioPriorityAppliesToTheReadingThreads()
    {
        QTemporaryDir tmp;
        auto repo = Repository::openOrCreate(tmp.filePath(QStringLiteral("c")));
        const QString volume = tmp.filePath(QStringLiteral("vol.img"));
        writeVolume(volume, 24 * MiB, [](qint64 i) { return quint32(i * 4 + 1); });
        const int callerBefore = int(::syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0));
        const QList<QPair<QString, int>> cases = {{QStringLiteral("idle"), IOPRIO_CLASS_IDLE},
                                                  {QStringLiteral("best-effort"), IOPRIO_CLASS_BE}};
        for (const auto &[name, expected] : cases) {
            PriorityRecordingSource source(volume);
            TransferOptions options;
            options.ioPriority = name;
            Manifest manifest;
            backupToRepository(source, *repo, manifest, options);
            QCOMPARE(source.classes(), QSet<int>{expected});
        }
        // "none" leaves the threads as they were created: the class of the process.
        PriorityRecordingSource source(volume);
        TransferOptions options;
        options.ioPriority = QStringLiteral("none");
        Manifest manifest;
        backupToRepository(source, *repo, manifest, options);
        QVERIFY(!source.classes().contains(IOPRIO_CLASS_IDLE));
        QCOMPARE(int(::syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0)), callerBefore);
    }

    // A restore onto an existing target overwrites all of it: data runs, zero runs (a whole zero
    // segment among them), the unaligned tail, and more segments than the restore has buffers.
    void restoreOverwritesAnExistingTarget()
    {
        QTemporaryDir tmp;
        RepositoryConfig defaults;
        defaults.chunkSize = 64 * 1024;
        auto repo = Repository::openOrCreate(tmp.filePath(QStringLiteral("c")), defaults);
        const qint64 size = 45 * MiB + 3 * 4096 + 77;
        const QString volume = tmp.filePath(QStringLiteral("vol.img"));
        // 64 blocks of 64 KiB per 4 MiB segment; segment 3 is all zero.
        writeVolume(volume, size, [](qint64 i) { return i / 64 == 3 ? 0u : quint32(i * 5 + 1); });
        const Manifest m = backupFile(*repo, volume, QStringLiteral("b1"));

        const QString target = tmp.filePath(QStringLiteral("old.img"));
        {
            QFile file(target);
            QVERIFY(file.open(QIODevice::WriteOnly));
            const QByteArray stale(int(MiB), char(0xab));
            for (qint64 done = 0; done < size; done += stale.size())
                QVERIFY(file.write(stale.constData(), qMin<qint64>(stale.size(), size - done)) > 0);
        }
        QCOMPARE(QFileInfo(target).size(), size);
        auto sink = openFileSink(target);
        TransferOptions options;
        options.threads = 3; // a ring of 4 segment buffers for 12 segments
        const TransferStats stats = restoreFromRepository(*repo, m, *sink, options);
        sink.reset();
        QCOMPARE(stats.bytes, size);
        QVERIFY(stats.chunksZero >= 64);
        QCOMPARE(fileSha(target), fileSha(volume));
    }

    void healthCheckAbortsAndBandwidthIsLimited()
    {
        QTemporaryDir tmp;
        auto repo = Repository::openOrCreate(tmp.filePath(QStringLiteral("c")));
        const QString volume = tmp.filePath(QStringLiteral("vol.img"));
        writeVolume(volume, 130 * MiB, [](qint64 i) { return quint32(i % 2 ? 0 : i * 4 + 3); });
        int checks = 0;
        TransferOptions options;
        options.healthCheck = [&] {
            if (++checks == 2)
                throw Error(QStringLiteral("snapshot overflowed"));
        };
        Manifest manifest;
        auto source = openFileSource(volume);
        try {
            backupToRepository(*source, *repo, manifest, options);
            QFAIL("a failing health check must abort the backup");
        } catch (const Error &e) {
            QCOMPARE(e.message(), QStringLiteral("snapshot overflowed"));
        }
        checks = 0;
        options.healthCheck = [&] { ++checks; };
        backupToRepository(*source, *repo, manifest, options);
        QCOMPARE(checks, 3); // at 64 and 128 MiB, and at the end

        const QString small = tmp.filePath(QStringLiteral("small.img"));
        writeVolume(small, 24 * MiB, [](qint64 i) { return quint32(i * 4 + 1); });
        TransferOptions limited;
        limited.bandwidthLimit = 32 * MiB;
        limited.ioPriority = QStringLiteral("idle");
        QElapsedTimer timer;
        timer.start();
        auto smallSource = openFileSource(small);
        Manifest m2;
        backupToRepository(*smallSource, *repo, m2, limited);
        QVERIFY2(timer.elapsed() >= 400, qPrintable(QString::number(timer.elapsed()))); // (24 - 8 burst) / 32 s

        limited.ioPriority = QStringLiteral("realtime");
        QVERIFY_THROWS_EXCEPTION(Error, backupToRepository(*smallSource, *repo, m2, limited));
    }

    // Peak memory does not grow with the volume: a 1 GiB source adds only the pipeline's buffers.
    void peakMemoryIsBounded()
    {
        QTemporaryDir tmp;
        const QString volume = tmp.filePath(QStringLiteral("big.img"));
        {
            // Sparse-ish: 1 GiB with 1 MiB of noise every 8 MiB (128 MiB of data to store).
            QFile f(volume);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QVERIFY(f.resize(1024 * MiB));
            QByteArray noise(MiB, Qt::Uninitialized);
            for (qint64 at = 0; at < 1024 * MiB; at += 8 * MiB) {
                fillBlock(noise.data(), noise.size(), quint32(at / MiB) * 4 + 1);
                f.seek(at);
                f.write(noise);
            }
        }
        int fds[2];
        QCOMPARE(pipe(fds), 0);
        QString why;
        // A fresh process, so that its peak RSS says what one backup costs.
        const pid_t child = ndbtest::forkChild([&] {
            ::close(fds[0]);
            long delta = -1;
            try {
                auto repo = Repository::openOrCreate(tmp.filePath(QStringLiteral("c")));
                const long before = maxRssKiB();
                auto source = openFileSource(volume);
                Manifest manifest;
                manifest.backupId = QStringLiteral("big");
                backupToRepository(*source, *repo, manifest, {});
                repo->commitManifest(manifest);
                // Restore with many workers: its buffers must not grow with their number.
                auto sink = openFileSink(tmp.filePath(QStringLiteral("child-out.img")), manifest.size);
                TransferOptions many;
                many.threads = 24;
                restoreFromRepository(*repo, manifest, *sink, many);
                delta = maxRssKiB() - before;
            } catch (...) {
            }
            (void)!write(fds[1], &delta, sizeof delta);
            return 0;
        }, &why);
        QVERIFY2(child > 0, qPrintable(why));
        ::close(fds[1]);
        const bool exited = ndbtest::waitForChild(child, 300000, &why); // 8 bytes fit the pipe
        long delta = -1;
        const bool answered = read(fds[0], &delta, sizeof delta) == ssize_t(sizeof delta);
        ::close(fds[0]);
        QVERIFY2(exited, qPrintable(why));
        QVERIFY(answered);
        QVERIFY2(delta >= 0, "backup or restore in the child failed");
        qInfo("peak RSS grew by %ld KiB for a backup and a restore of a 1 GiB source", delta);
        // 58 MiB measured; a restore ring of one buffer per worker (24 here) made it 83 MiB.
        QVERIFY2(delta < 72 * 1024, qPrintable(QStringLiteral("peak RSS grew by %1 KiB").arg(delta)));
        auto repo = Repository::open(tmp.filePath(QStringLiteral("c")));
        QVERIFY(restoresExactly(*repo, QStringLiteral("big"), volume, tmp.filePath(QStringLiteral("out.img"))));
    }

    void concurrentBackupsIntoOneContainer()
    {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath(QStringLiteral("c"));
        Repository::openOrCreate(dir);
        QStringList volumes;
        for (int v = 0; v < 4; ++v) {
            volumes << tmp.filePath(QStringLiteral("v%1.img").arg(v));
            // Every volume shares its even blocks with the others.
            writeVolume(volumes.last(), 6 * MiB, [v](qint64 i) { return quint32(i % 2 ? (v * 1000 + i) * 4 + 1 : i * 4 + 3); });
        }
        // Fork first: a child must not inherit locks held by this process's backup threads.
        std::vector<pid_t> children;
        for (int v = 2; v < 4; ++v) {
            QString why;
            const pid_t child = ndbtest::forkChild([&] {
                auto repo = Repository::open(dir);
                backupFile(*repo, volumes[v], QStringLiteral("t%1").arg(v));
                return 0;
            }, &why);
            QVERIFY2(child > 0, qPrintable(why));
            children.push_back(child);
        }
        std::vector<std::thread> threads;
        std::atomic<int> failures{0};
        for (int v = 0; v < 2; ++v) {
            threads.emplace_back([&, v] {
                try {
                    auto repo = Repository::open(dir);
                    TransferOptions options;
                    options.threads = 2;
                    backupFile(*repo, volumes[v], QStringLiteral("t%1").arg(v), nullptr, options);
                } catch (...) {
                    ++failures;
                }
            });
        }
        for (auto &t : threads)
            t.join();
        for (pid_t child : children) {
            QString why;
            QVERIFY2(ndbtest::waitForChild(child, 120000, &why), qPrintable(why));
        }
        QCOMPARE(failures.load(), 0);
        auto repo = Repository::open(dir);
        QCOMPARE(repo->listBackups().size(), 4);
        for (int v = 0; v < 4; ++v)
            QVERIFY(restoresExactly(*repo, QStringLiteral("t%1").arg(v), volumes[v],
                                    tmp.filePath(QStringLiteral("out%1.img").arg(v))));
    }

    // ramfs refuses O_DIRECT: source and pack reads fall back to buffered reads.
    void bufferedFallbackOnRamfs()
    {
        QTemporaryDir tmp;
        const QString mountPoint = tmp.filePath(QStringLiteral("mnt"));
        std::optional<ndbtest::MemoryFilesystem> ramfs;
        NDB_TRY(ramfs.emplace(mountPoint, QStringLiteral("ramfs")));

        const QString volume = mountPoint + QStringLiteral("/vol.img");
        writeVolume(volume, 10 * MiB + 5000, [](qint64 i) { return quint32(i * 5 + 2); });
        auto source = openFileSource(volume);
        QVERIFY(!source->description().contains(QStringLiteral("direct")));
        {
            auto repo = Repository::openOrCreate(mountPoint + QStringLiteral("/c"));
            Manifest m;
            m.backupId = QStringLiteral("t");
            backupToRepository(*source, *repo, m, {});
            repo->commitManifest(m);
            QVERIFY(verifyBackup(*repo, m, {}).ok());
            QVERIFY(restoresExactly(*repo, QStringLiteral("t"), volume, mountPoint + QStringLiteral("/out.img")));
        }
    }

    // A container disk that fills up mid-backup: the error from the pack writer thread reaches the
    // backup, which fails with the cause; no pack gets an index and the container stays usable.
    void fullContainerDiskFailsTheBackup()
    {
        QTemporaryDir tmp;
        const QString volume = tmp.filePath(QStringLiteral("vol.img"));
        writeVolume(volume, 24 * MiB, [](qint64 i) { return quint32(i * 7 + 1); }); // incompressible
        const QString mountPoint = tmp.filePath(QStringLiteral("mnt"));
        std::optional<ndbtest::MemoryFilesystem> smallDisk;
        NDB_TRY(smallDisk.emplace(mountPoint, QStringLiteral("tmpfs"), QStringLiteral("size=8m")));

        const QString dir = mountPoint + QStringLiteral("/c");
        {
            auto repo = Repository::openOrCreate(dir);
            auto source = openFileSource(volume);
            Manifest m;
            m.backupId = QStringLiteral("full");
            try {
                backupToRepository(*source, *repo, m, {});
                QFAIL("a backup larger than the container's disk must fail");
            } catch (const Error &e) {
                QVERIFY2(e.message().contains(QStringLiteral("No space left")), qPrintable(e.message()));
            }
        }
        QCOMPARE(filesMatching(dir, QStringLiteral("*.idx")).size(), 0);
        auto repo = Repository::open(dir);
        QVERIFY(repo->listBackups().isEmpty());
        repo->collectGarbage(); // frees the unindexed packs
        QCOMPARE(filesMatching(dir, QStringLiteral("*.pack")).size(), 0);
    }

    // Block devices: size from BLKGETSIZE64, direct reads, BLKZEROOUT/writes on restore.
    void loopDeviceRoundTrip()
    {
        QTemporaryDir tmp;
        const qint64 size = 9 * MiB + 512 * 3; // a device size that is not a multiple of 4096
        const QString image = tmp.filePath(QStringLiteral("src.img"));
        writeVolume(image, size, [](qint64 i) { return quint32(i * 3 + 1); });
        const QString target = tmp.filePath(QStringLiteral("dst.img"));
        {
            QFile f(target);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QByteArray junk(size, '\x5a'); // the restore must overwrite zero chunks too
            QCOMPARE(f.write(junk), size);
        }
        LoopGuard guard;
        QString src, dst;
        try {
            src = LoopDevice::attach(image);
            guard.devices << src;
            dst = LoopDevice::attach(target);
            guard.devices << dst;
        } catch (const Error &e) {
            QFAIL(qPrintable(QStringLiteral("loop devices are required: %1").arg(e.message())));
        }
        auto repo = Repository::openOrCreate(tmp.filePath(QStringLiteral("c")));
        auto source = openFileSource(src);
        QCOMPARE(source->size(), size);
        QVERIFY(source->description().contains(QStringLiteral("direct")));
        Manifest m;
        m.backupId = QStringLiteral("dev");
        backupToRepository(*source, *repo, m, {});
        repo->commitManifest(m);
        auto sink = openFileSink(dst);
        QCOMPARE(sink->size(), size);
        restoreFromRepository(*repo, m, *sink, {});
        sink.reset();
        source.reset();
        for (const QString &d : std::as_const(guard.devices))
            LoopDevice::detach(d);
        guard.devices.clear();
        QCOMPARE(fileSha(target), fileSha(image));
    }
};

QTEST_GUILESS_MAIN(TestTransfer)
#include "tst_transfer.moc"
