#pragma once
// Writes pack objects for the chunk store, through ObjectWriter (ranged writes, then finish()).
//
// Chunks are appended to a 4 MiB staging block per open pack; full blocks go to two background
// threads that write them, and when a pack is complete, write its tail, make it durable
// (finish(); posix: fdatasync, then drop it from the page cache) and put its index. So the
// workers that hash and compress never wait for a write or a flush, and one pack's fdatasync
// overlaps the writing of the next. Memory is a fixed pool of blocks (an appender waits for a free one while the
// disk is behind), and at most two packs wait for their flush (64 MiB of dirty page cache).
//
// O_DIRECT was measured as the alternative twice (tests/bench/README.md): half the system CPU,
// but 10-30 % slower on random data on our virtual disks, so the writes stay buffered.
#include "repository/objectbackend.h"
#include "repository/packformat.h"
#include "util/error.h"

#include <QByteArray>
#include <QSet>
#include <QString>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace ndb {

class PackWriter
{
public:
    static constexpr qint64 kBlockSize = 4 * 1024 * 1024;

    explicit PackWriter(ObjectBackend &backend);
    ~PackWriter(); // waits for queued work; call drain() first to see errors
    PackWriter(const PackWriter &) = delete;
    PackWriter &operator=(const PackWriter &) = delete;

    // One pack being written. Owned by the repository while open, by the writer once sealed.
    class Pack
    {
    public:
        Pack() = default;
        ~Pack();
        Pack(const Pack &) = delete;
        Pack &operator=(const Pack &) = delete;
        quint32 number() const { return m_number; }
        qint64 size() const { return m_size; }

    private:
        friend class PackWriter;
        quint32 m_number = 0;
        QString m_key;      // …/<name>.pack
        QString m_indexKey; // …/<name>.idx
        std::unique_ptr<ObjectWriter> m_object; // until the pack is finished
        bool m_failed = false; // a block write failed: garbage, no index; guarded by the mutex
        int m_blocksInFlight = 0; // queued or being written; guarded by the writer's mutex
        qint64 m_size = 0;
        qint64 m_stagingOffset = 0; // pack offset of the staging block's first byte
        char *m_staging = nullptr;
        std::vector<pack::IndexEntry> m_entries;
    };

    // Creates pack object `key` (which must not exist) and stages `header` as its first bytes;
    // its index is put as `indexKey` once the pack is finished.
    std::unique_ptr<Pack> create(quint32 number, const QString &key, const QString &indexKey, const QByteArray &header);
    // Appends a stored chunk and its index entry; returns its offset in the pack. May wait for
    // a free block while the disk is behind.
    qint64 append(Pack &pack, const pack::Key &id, const char *data, quint32 storedSize, quint32 rawSize);
    // Hands the pack to the writer threads: tail, fdatasync, index. Returns at once; callers
    // then waitForSealCapacity() once they hold no lock of their own.
    void seal(std::unique_ptr<Pack> pack);
    // Waits while more than two packs wait for their flush (bounds the dirty page cache).
    void waitForSealCapacity();
    // Waits until pack `number` is sealed (or failed: then it has no index). Errors stay for drain().
    void waitUntilSealed(quint32 number);
    // True while `number` is queued for sealing or being sealed.
    bool isSealing(quint32 number) const;
    // Waits until every sealed pack is written and indexed and the indexes are durable
    // (ObjectBackend::syncDeferred); throws the first write error since the last drain().
    void drain();

private:
    struct Task
    {
        Pack *pack = nullptr;             // a block write: this pack, at `offset`
        std::unique_ptr<Pack> sealedPack; // or a seal
        qint64 offset = 0;
        char *buffer = nullptr;
    };

    char *takeBufferLocked(std::unique_lock<std::mutex> &lock);
    void enqueueLocked(Task task);
    void run();
    void finishPack(Pack &pack);

    ObjectBackend &m_backend;
    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<Task> m_queue;
    std::vector<char *> m_freeBuffers;
    int m_buffersAllocated = 0;
    int m_busy = 0; // tasks queued or running
    QSet<quint32> m_sealing;
    QString m_error;
    ErrorKind m_errorKind = ErrorKind::Failed;
    bool m_stop = false;
    std::vector<std::thread> m_threads;
    static constexpr int kWriterThreads = 2;  // one may wait in fdatasync while the other writes
    static constexpr int kMaxBuffers = 8;     // 32 MiB: staging + blocks queued or being written
    static constexpr qsizetype kMaxPendingSeals = 2;
};

} // namespace ndb
