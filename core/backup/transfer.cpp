// The transfer pipeline. Backup: reader threads fill large aligned segments (several chunks per
// read, so O_DIRECT gets deep enough requests), worker threads zero-check, hash, dedup,
// compress and store each chunk. A fixed pool of segments bounds memory whatever the volume size.
// Restore: workers decode chunks into a ring of segment buffers; a complete segment is written in
// large (direct) writes. Verify: workers read, decompress and check chunks in parallel.
#include "backup/transfer.h"

#include "repository/chunkcodec.h"
#include "util/error.h"

#include <QHash>
#include <QThread>

#include <linux/ioprio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace ndb {

namespace {

using Clock = std::chrono::steady_clock;

constexpr qint64 kSegmentTarget = 4 * 1024 * 1024; // one source read
constexpr int kReaders = 2;                          // source reads in flight (at least)
constexpr qint64 kHealthInterval = 64ll * 1024 * 1024;
constexpr auto kProgressInterval = std::chrono::milliseconds(200);

// NDB_TRANSFER_TRACE=1 prints where the pipeline's threads spent their time (tuning aid).
bool traceEnabled()
{
    static const bool trace = qEnvironmentVariableIsSet("NDB_TRANSFER_TRACE");
    return trace;
}

qint64 since(Clock::time_point t)
{
    return qint64(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t).count());
}

int workerCount(const TransferOptions &options)
{
    if (options.threads > 0)
        return options.threads;
    return qMax(1, QThread::idealThreadCount());
}

// Restore and verify wait on pack reads more than they compute: a few more threads than cores
// keep several reads in flight (each blocked thread is one outstanding read).
int readerWorkerCount(const TransferOptions &options)
{
    if (options.threads > 0)
        return options.threads;
    return qMax(4, 2 * QThread::idealThreadCount());
}

void applyIoPriority(const QString &priority)
{
    int value;
    if (priority == QLatin1String("idle"))
        value = IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 0);
    else if (priority == QLatin1String("best-effort"))
        value = IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 7);
    else
        return;
    // who = 0: the calling thread only; the workload keeps its own priority.
    ::syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, value);
}

void checkIoPriority(const QString &priority)
{
    if (!priority.isEmpty() && priority != QLatin1String("idle") && priority != QLatin1String("best-effort")
        && priority != QLatin1String("none"))
        throw Error(QStringLiteral("Unknown I/O priority \"%1\" (use idle, best-effort or none)").arg(priority));
}

// Minimal blocking queue; close() wakes every waiter, pop() then drains what is left.
template<typename T>
class BlockingQueue
{
public:
    void push(T value)
    {
        {
            std::lock_guard lock(m_mutex);
            m_items.push_back(std::move(value));
        }
        m_cv.notify_one();
    }
    std::optional<T> pop()
    {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [this] { return !m_items.empty() || m_closed; });
        if (m_items.empty())
            return std::nullopt;
        T value = std::move(m_items.front());
        m_items.pop_front();
        return value;
    }
    void close()
    {
        {
            std::lock_guard lock(m_mutex);
            m_closed = true;
        }
        m_cv.notify_all();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<T> m_items;
    bool m_closed = false;
};

// Token bucket on bytes; burst of a quarter of a second.
class RateLimiter
{
public:
    explicit RateLimiter(qint64 bytesPerSecond) : m_rate(bytesPerSecond), m_last(Clock::now()) {}
    // Blocks until `bytes` may pass; returns early when `stop` becomes true.
    void acquire(qint64 bytes, const std::atomic<bool> &stop)
    {
        if (m_rate <= 0)
            return;
        double waitSeconds;
        {
            std::lock_guard lock(m_mutex);
            const auto now = Clock::now();
            const double elapsed = std::chrono::duration<double>(now - m_last).count();
            m_last = now;
            m_tokens = qMin(m_tokens + elapsed * double(m_rate), double(m_rate) / 4);
            m_tokens -= double(bytes);
            waitSeconds = m_tokens < 0 ? -m_tokens / double(m_rate) : 0;
        }
        const auto until = Clock::now() + std::chrono::duration<double>(waitSeconds);
        while (!stop && Clock::now() < until)
            std::this_thread::sleep_for(qMin(std::chrono::duration<double>(until - Clock::now()),
                                             std::chrono::duration<double>(0.05)));
    }

private:
    const qint64 m_rate;
    std::mutex m_mutex;
    double m_tokens = 0;
    Clock::time_point m_last;
};

// Shared failure state of one transfer: the first exception wins and stops everyone.
class Abort
{
public:
    std::atomic<bool> stop{false};

    void fail(std::exception_ptr error)
    {
        std::lock_guard lock(m_mutex);
        if (!m_error)
            m_error = error;
        stop = true;
    }
    void rethrowIfFailed()
    {
        std::lock_guard lock(m_mutex);
        if (m_error)
            std::rethrow_exception(m_error);
    }

private:
    std::mutex m_mutex;
    std::exception_ptr m_error;
};

// Runs `threads`, then waits for them on the caller's thread while it reports progress at most
// five times a second and turns options.cancel into CancelledError.
// `poll` (may be empty) runs on every round, every 20 ms.
void superviseThreads(std::vector<std::thread> &threads, std::atomic<int> &running, Abort &abort,
                      const TransferOptions &options, const std::function<void()> &reportProgress,
                      const std::function<void()> &onStop, const std::function<void()> &poll = {})
{
    auto lastProgress = Clock::now();
    while (running.load() > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (options.cancel && options.cancel->load() && !abort.stop) {
            abort.fail(std::make_exception_ptr(CancelledError()));
            onStop();
        }
        if (poll && !abort.stop)
            poll();
        if (abort.stop)
            onStop();
        if (Clock::now() - lastProgress >= kProgressInterval) {
            lastProgress = Clock::now();
            if (!abort.stop)
                reportProgress();
        }
    }
    for (std::thread &thread : threads)
        thread.join();
}

// Restore and verify: `workers` threads run `worker`, progress is bytes done (nothing stored).
void runWorkerPool(int workers, const std::function<void()> &worker, std::atomic<int> &running, Abort &abort,
                   const TransferOptions &options, const std::atomic<qint64> &bytesDone)
{
    std::vector<std::thread> threads;
    for (int i = 0; i < workers; ++i)
        threads.emplace_back(worker);
    superviseThreads(threads, running, abort, options,
                     [&] {
                         if (options.progress)
                             options.progress(bytesDone.load(), 0);
                     },
                     [] {});
    abort.rethrowIfFailed();
}

// A 4096-aligned buffer (O_DIRECT wants that), freed with the object that holds it.
struct FreeDeleter
{
    void operator()(char *p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<char, FreeDeleter>;

AlignedBuffer allocateAligned(qint64 size)
{
    AlignedBuffer buffer(static_cast<char *>(std::aligned_alloc(4096, size_t(size))));
    if (!buffer)
        throw Error(QStringLiteral("Out of memory for transfer buffers"));
    return buffer;
}

struct Segment
{
    AlignedBuffer buffer;
    qint64 offset = 0;
    qint64 length = 0;
    qint64 firstChunk = 0;
    std::atomic<int> remaining{0};
};

struct ChunkJob
{
    Segment *segment;
    qint64 index;
};

// The parts of [offset, offset + length) to read: all of it without an allocation map, else the
// allocated extents in it, widened to 4096-byte boundaries (O_DIRECT) and merged.
QList<Extent> readRuns(const std::optional<QList<Extent>> &allocated, qint64 offset, qint64 length)
{
    const qint64 end = offset + length;
    if (!allocated)
        return {Extent{offset, length}};
    QList<Extent> runs;
    auto it = std::lower_bound(allocated->cbegin(), allocated->cend(), offset,
                               [](const Extent &e, qint64 at) { return e.offset + e.length <= at; });
    for (; it != allocated->cend() && it->offset < end; ++it) {
        qint64 from = qMax(offset, it->offset / 4096 * 4096);
        const qint64 to = qMin(end, (it->offset + it->length + 4095) / 4096 * 4096);
        if (!runs.isEmpty() && from <= runs.last().offset + runs.last().length) {
            from = runs.last().offset + runs.last().length;
            if (to > from)
                runs.last().length = to - runs.last().offset;
            continue;
        }
        if (to > from)
            runs.append(Extent{from, to - from});
    }
    return runs;
}

} // namespace

TransferStats backupToRepository(BlockSource &source, Repository &repository, Manifest &manifest,
                                 const TransferOptions &options)
{
    checkIoPriority(options.ioPriority);
    const auto started = Clock::now();
    const qint64 size = source.size();
    const qint64 chunkSize = repository.config().chunkSize;
    const qint64 chunkCount = (size + chunkSize - 1) / chunkSize;
    const qint64 chunksPerSegment = qMax<qint64>(1, kSegmentTarget / chunkSize);
    const qint64 segmentSize = chunksPerSegment * chunkSize;
    const qint64 segmentCount = (size + segmentSize - 1) / segmentSize;
    const int workers = workerCount(options);
    const int compressionLevel = repository.config().compressionLevel;
    const int readers = qMax(kReaders, source.preferredConcurrentReads());

    manifest.size = size;
    manifest.chunkSize = quint32(chunkSize);
    manifest.chunks.clear();
    manifest.chunks.resize(chunkCount);
    QByteArray *chunkIds = manifest.chunks.data();

    // Enough segments to keep every reader and worker busy; the only large allocations.
    const int segmentPool = readers + qMax(2, workers);
    std::vector<Segment> segments(segmentPool);
    for (Segment &segment : segments)
        segment.buffer = allocateAligned(segmentSize);

    BlockingQueue<Segment *> freeSegments;
    for (Segment &segment : segments)
        freeSegments.push(&segment);
    BlockingQueue<ChunkJob> jobs;

    Abort abort;
    RateLimiter limiter(options.bandwidthLimit);
    std::atomic<qint64> nextSegment{0};
    std::atomic<qint64> bytesRead{0}, bytesDone{0}, bytesStored{0};
    std::atomic<qint64> chunksNew{0}, chunksDedup{0}, chunksZero{0};
    std::atomic<int> readersLeft{readers};
    const std::optional<QList<Extent>> allocated = source.allocatedExtents();
    std::atomic<qint64> nsWaitFree{0}, nsRead{0}, nsWaitJob{0}, nsHash{0}, nsCompress{0}, nsPut{0};
    std::atomic<int> running{0};
    auto stopAll = [&] {
        freeSegments.close();
        jobs.close();
    };

    auto reader = [&] {
        try {
            applyIoPriority(options.ioPriority);
            while (!abort.stop) {
                auto t0 = Clock::now();
                std::optional<Segment *> free = freeSegments.pop();
                nsWaitFree += since(t0);
                if (!free || abort.stop)
                    break;
                Segment *segment = *free;
                const qint64 s = nextSegment.fetch_add(1);
                if (s >= segmentCount) {
                    freeSegments.push(segment);
                    break;
                }
                segment->offset = s * segmentSize;
                segment->length = qMin(segmentSize, size - segment->offset);
                segment->firstChunk = s * chunksPerSegment;
                // Only what may hold data is read; holes are zeroes (the workers count them as
                // zero chunks).
                const auto runs = readRuns(allocated, segment->offset, segment->length);
                char *const base = segment->buffer.get();
                qint64 cursor = segment->offset;
                for (const Extent &run : runs) {
                    memset(base + (cursor - segment->offset), 0, size_t(run.offset - cursor));
                    limiter.acquire(run.length, abort.stop);
                    t0 = Clock::now();
                    const qint64 got = source.readAt(base + (run.offset - segment->offset), run.length, run.offset);
                    nsRead += since(t0);
                    if (got != run.length)
                        throw Error(QStringLiteral("%1 ended at %2 bytes, expected %3")
                                        .arg(source.description()).arg(run.offset + got).arg(size));
                    bytesRead += got;
                    cursor = run.offset + run.length;
                }
                memset(base + (cursor - segment->offset), 0, size_t(segment->offset + segment->length - cursor));
                const qint64 chunks = (segment->length + chunkSize - 1) / chunkSize;
                segment->remaining = int(chunks);
                for (qint64 c = 0; c < chunks; ++c)
                    jobs.push(ChunkJob{segment, segment->firstChunk + c});
            }
        } catch (...) {
            abort.fail(std::current_exception());
            stopAll();
        }
        if (--readersLeft == 0)
            jobs.close();
        --running;
    };

    auto worker = [&] {
        try {
            chunk::Compressor compressor(compressionLevel);
            while (!abort.stop) {
                auto t0 = Clock::now();
                std::optional<ChunkJob> job = jobs.pop();
                nsWaitJob += since(t0);
                if (!job)
                    break;
                Segment *segment = job->segment;
                const qint64 offset = job->index * chunkSize;
                const char *data = segment->buffer.get() + (offset - segment->offset);
                const qint64 length = qMin(chunkSize, size - offset);
                if (chunk::isAllZero(data, length)) {
                    ++chunksZero; // the manifest slot stays empty
                } else {
                    t0 = Clock::now();
                    QByteArray id = chunk::sha256(data, length);
                    nsHash += since(t0);
                    qint64 added = 0;
                    if (!repository.hasChunk(id)) {
                        t0 = Clock::now();
                        const QByteArrayView stored = compressor.compress(data, length);
                        nsCompress += since(t0);
                        t0 = Clock::now();
                        added = repository.putChunk(id, stored, quint32(length));
                        nsPut += since(t0);
                    }
                    if (added > 0) {
                        ++chunksNew;
                        bytesStored += added;
                    } else {
                        ++chunksDedup;
                    }
                    chunkIds[job->index] = std::move(id);
                }
                bytesDone += length;
                if (--segment->remaining == 0)
                    freeSegments.push(segment);
            }
        } catch (...) {
            abort.fail(std::current_exception());
            stopAll();
        }
        --running;
    };

    std::vector<std::thread> threads;
    running = readers + workers;
    for (int i = 0; i < readers; ++i)
        threads.emplace_back(reader);
    for (int i = 0; i < workers; ++i)
        threads.emplace_back(worker);
    // The health check runs here, on the caller's thread, once for every 64 MiB the readers got:
    // the readers never call into the storage nor wait for it (for LVM it is a device-mapper
    // status call).
    qint64 healthChecked = 0;
    auto pollHealth = [&] {
        const qint64 due = bytesRead.load() / kHealthInterval;
        try {
            for (; healthChecked < due && options.healthCheck; ++healthChecked)
                options.healthCheck();
        } catch (...) {
            abort.fail(std::current_exception());
            stopAll();
        }
    };
    superviseThreads(threads, running, abort, options,
                     [&] {
                         if (options.progress)
                             options.progress(bytesDone.load(), bytesStored.load());
                     },
                     stopAll, pollHealth);
    if (!abort.stop)
        pollHealth(); // what the readers got in the last round
    if (traceEnabled())
        qInfo("transfer trace (thread-seconds): readers wait-free %.2f read %.2f | workers wait-job %.2f "
              "hash %.2f compress %.2f put %.2f",
              nsWaitFree / 1e9, nsRead / 1e9, nsWaitJob / 1e9, nsHash / 1e9, nsCompress / 1e9, nsPut / 1e9);
    abort.rethrowIfFailed();
    if (bytesDone.load() != size)
        throw Error(QStringLiteral("Transfer of %1 stopped at %2 of %3 bytes")
                        .arg(source.description()).arg(bytesDone.load()).arg(size));

    if (options.healthCheck)
        options.healthCheck();
    repository.flush();

    TransferStats stats;
    stats.bytes = size;
    stats.bytesStored = bytesStored;
    stats.chunksNew = chunksNew;
    stats.chunksDeduplicated = chunksDedup;
    stats.chunksZero = chunksZero;
    stats.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    manifest.storedBytes = stats.bytesStored;
    if (options.progress)
        options.progress(size, stats.bytesStored);
    return stats;
}

namespace {

void checkManifestShape(const Repository &repository, const Manifest &manifest)
{
    if (manifest.chunkSize == 0 || manifest.chunkSize != repository.config().chunkSize)
        throw Error(QStringLiteral("Backup %1 has chunk size %2 but its container uses %3")
                        .arg(manifest.backupId).arg(manifest.chunkSize).arg(repository.config().chunkSize));
    // Rounded up without adding first: a size near the qint64 maximum must not overflow.
    const qint64 expected = manifest.size / manifest.chunkSize + (manifest.size % manifest.chunkSize != 0);
    if (manifest.size < 0 || manifest.chunks.size() != expected)
        throw Error(QStringLiteral("Backup %1 lists %2 chunks for %3 bytes; expected %4")
                        .arg(manifest.backupId).arg(manifest.chunks.size()).arg(manifest.size).arg(expected));
}

} // namespace

TransferStats restoreFromRepository(const Repository &repository, const Manifest &manifest,
                                    BlockSink &sink, const TransferOptions &options)
{
    checkManifestShape(repository, manifest);
    if (sink.size() < manifest.size)
        throw Error(QStringLiteral("%1 holds %2 bytes; backup %3 needs %4")
                        .arg(sink.description()).arg(sink.size()).arg(manifest.backupId).arg(manifest.size));
    const auto started = Clock::now();
    const qint64 chunkSize = manifest.chunkSize;
    const qint64 chunkCount = manifest.chunks.size();
    const qint64 chunksPerSegment = qMax<qint64>(1, kSegmentTarget / chunkSize);
    const int workers = readerWorkerCount(options);

    Abort abort;
    RateLimiter limiter(options.bandwidthLimit);
    std::atomic<qint64> next{0}, bytesDone{0}, zero{0}, written{0};
    std::atomic<qint64> nsReadChunk{0}, nsWrite{0};
    std::atomic<int> running{workers};

    // Workers take chunks in order (so they read the packs together, through the pack reader's
    // windows) and decode each straight into its place in a segment buffer. The worker that
    // completes a segment writes it: non-zero runs in one large write each (O_DIRECT where the
    // sink allows it), zero runs as writeZeroes (a hole where the target allows it). A ring of
    // segment buffers bounds memory; a worker whose segment has no buffer yet waits for one.
    struct Slot
    {
        AlignedBuffer buffer;
        qint64 segment = 0; // the segment this buffer belongs to now
        std::atomic<qint64> remaining{0};
    };
    // The chunks in flight are consecutive, so they span at most this many segments; three more
    // let one segment be written and the next fill while a worker starts on the one after.
    const int slotCount = int((workers + chunksPerSegment - 1) / chunksPerSegment) + 3;
    std::vector<Slot> ring(static_cast<size_t>(slotCount));
    auto chunksIn = [&](qint64 segment) {
        return qMax<qint64>(0, qMin(chunkCount, (segment + 1) * chunksPerSegment) - segment * chunksPerSegment);
    };
    for (int k = 0; k < slotCount; ++k) {
        Slot &slot = ring[size_t(k)];
        slot.buffer = allocateAligned(chunksPerSegment * chunkSize);
        slot.segment = k;
        slot.remaining = chunksIn(k);
    }
    std::mutex ringMutex;
    std::condition_variable slotFreed;

    auto writeSegment = [&](qint64 segment, const char *buffer) {
        const qint64 end = segment * chunksPerSegment + chunksIn(segment);
        for (qint64 first = segment * chunksPerSegment; first < end;) {
            const bool zeroRun = manifest.chunks[first].isEmpty();
            qint64 last = first + 1;
            while (last < end && manifest.chunks[last].isEmpty() == zeroRun)
                ++last;
            const qint64 runOffset = first * chunkSize;
            const qint64 runLength = qMin(last * chunkSize, manifest.size) - runOffset;
            if (zeroRun) {
                sink.writeZeroes(runLength, runOffset);
                zero += last - first;
            } else {
                limiter.acquire(runLength, abort.stop);
                if (abort.stop)
                    return; // failed or cancelled: the target is abandoned anyway
                const auto t0 = Clock::now();
                sink.writeAt(buffer + (first - segment * chunksPerSegment) * chunkSize, runLength, runOffset);
                nsWrite += since(t0);
                written += last - first;
            }
            bytesDone += runLength;
            first = last;
        }
    };

    auto worker = [&] {
        try {
            applyIoPriority(options.ioPriority);
            for (qint64 i = next++; i < chunkCount && !abort.stop; i = next++) {
                const qint64 segment = i / chunksPerSegment;
                Slot &slot = ring[size_t(segment % slotCount)];
                {
                    // Timed: a cancel sets abort.stop without notifying.
                    std::unique_lock lock(ringMutex);
                    while (!slotFreed.wait_for(lock, std::chrono::milliseconds(50),
                                               [&] { return slot.segment == segment || abort.stop; })) {
                    }
                }
                if (abort.stop)
                    break;
                if (!manifest.chunks[i].isEmpty()) {
                    const qint64 length = qMin(chunkSize, manifest.size - i * chunkSize);
                    const auto t0 = Clock::now();
                    try {
                        repository.readChunkInto(manifest.chunks[i],
                                                 slot.buffer.get() + (i - segment * chunksPerSegment) * chunkSize, length);
                    } catch (const CorruptDataError &error) {
                        throw CorruptDataError(QStringLiteral("Restore of backup %1 failed at chunk %2: %3")
                                                   .arg(manifest.backupId).arg(i).arg(error.message()));
                    } catch (const Error &error) {
                        throw Error(QStringLiteral("Restore of backup %1 failed at chunk %2: %3")
                                        .arg(manifest.backupId).arg(i).arg(error.message()));
                    }
                    nsReadChunk += since(t0);
                }
                if (--slot.remaining == 0) {
                    writeSegment(segment, slot.buffer.get());
                    {
                        std::lock_guard lock(ringMutex);
                        slot.segment = segment + slotCount;
                        slot.remaining = chunksIn(slot.segment);
                    }
                    slotFreed.notify_all();
                }
            }
        } catch (...) {
            abort.fail(std::current_exception());
            std::lock_guard lock(ringMutex); // wake the waiters at once
            slotFreed.notify_all();
        }
        --running;
    };

    runWorkerPool(workers, worker, running, abort, options, bytesDone);
    const auto t2 = Clock::now();
    sink.finish();
    if (traceEnabled())
        qInfo("restore trace (thread-seconds): %d workers read+check %.2f write %.2f | finish %.2f",
              workers, nsReadChunk / 1e9, nsWrite / 1e9, since(t2) / 1e9);
    if (options.healthCheck)
        options.healthCheck();

    TransferStats stats;
    stats.bytes = manifest.size;
    stats.chunksZero = zero;
    stats.chunksNew = written;
    stats.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    if (options.progress)
        options.progress(manifest.size, 0);
    return stats;
}

VerifyReport verifyBackup(const Repository &repository, const Manifest &manifest,
                          const TransferOptions &options)
{
    checkManifestShape(repository, manifest);
    const qint64 chunkSize = manifest.chunkSize;

    // Each distinct chunk is read once; a problem is reported at every position that uses it.
    QHash<QByteArray, std::vector<qint64>> positions;
    std::vector<QByteArray> distinct;
    for (qint64 i = 0; i < manifest.chunks.size(); ++i) {
        const QByteArray &id = manifest.chunks[i];
        if (id.isEmpty())
            continue;
        auto it = positions.find(id);
        if (it == positions.end()) {
            it = positions.insert(id, {});
            distinct.push_back(id);
        }
        it->push_back(i);
    }
    auto lengthAt = [&](qint64 index) { return qMin(chunkSize, manifest.size - index * chunkSize); };

    const int workers = readerWorkerCount(options);
    Abort abort;
    RateLimiter limiter(options.bandwidthLimit);
    std::atomic<qint64> next{0}, bytesDone{0};
    std::atomic<int> running{workers};
    std::mutex problemsMutex;
    VerifyReport report;

    auto worker = [&] {
        try {
            applyIoPriority(options.ioPriority);
            for (qint64 d = next++; d < qint64(distinct.size()) && !abort.stop; d = next++) {
                const QByteArray &id = distinct[size_t(d)];
                const std::vector<qint64> &at = *positions.constFind(id);
                QString reason;
                try {
                    repository.checkChunk(id, lengthAt(at.front()));
                } catch (const chunk::ChunkError &error) {
                    reason = error.reason();
                } catch (const Error &error) {
                    // An I/O error proves nothing about the data: verify stops and says so, and
                    // the backup keeps its status (a retry may read it; a dying disk says so again).
                    if (error.kind() == ErrorKind::Storage)
                        throw;
                    reason = error.message();
                }
                qint64 bytes = 0;
                for (qint64 index : at)
                    bytes += lengthAt(index);
                limiter.acquire(lengthAt(at.front()), abort.stop);
                bytesDone += bytes;
                if (!reason.isEmpty()) {
                    std::lock_guard lock(problemsMutex);
                    for (qint64 index : at)
                        report.problems.append(ChunkProblem{index, id, reason});
                }
            }
        } catch (...) {
            abort.fail(std::current_exception());
        }
        --running;
    };

    runWorkerPool(workers, worker, running, abort, options, bytesDone);
    if (options.healthCheck)
        options.healthCheck();

    std::sort(report.problems.begin(), report.problems.end(),
              [](const ChunkProblem &a, const ChunkProblem &b) { return a.index < b.index; });
    for (auto it = positions.cbegin(); it != positions.cend(); ++it) {
        report.chunksChecked += qint64(it->size());
        for (qint64 index : *it)
            report.bytesChecked += lengthAt(index);
    }
    if (options.progress)
        options.progress(bytesDone.load(), 0);
    return report;
}

} // namespace ndb
