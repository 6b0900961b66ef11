#pragma once
// Reads stored chunk bytes out of pack objects for restore, verify and repack.
// Restores and verifications walk packs mostly in order, so a sequential access pattern is
// served from a few large aligned windows (4 MiB ranged gets: deep enough for the device; on
// posix O_DIRECT, so no page-cache pollution); an isolated access reads only its own range.
// Where the backend prefers no aligned reads (posix: O_DIRECT refused on tmpfs, some network
// filesystems) every access reads its own range.
#include <QHash>
#include <QString>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace ndb {

class ObjectBackend;
class ObjectReader;

class PackReader
{
public:
    explicit PackReader(const ObjectBackend &backend, int windowCount = 8, qint64 windowSize = 4 * 1024 * 1024);
    ~PackReader();
    PackReader(const PackReader &) = delete;
    PackReader &operator=(const PackReader &) = delete;

    // Calls `use` with the `length` stored bytes at `offset` of the pack, in place: no copy.
    // The bytes stay valid (their window is pinned) until `use` returns; `use` may throw.
    // `pack` identifies object `key` until reset(). Throws ndb::Error on I/O errors or short packs.
    void visit(quint32 pack, const QString &key, qint64 offset, qint64 length,
               const std::function<void(const char *)> &use);
    // Forgets windows, open objects and pack numbers (the caller renumbers its packs).
    void reset();

private:
    struct Window
    {
        char *buffer = nullptr;
        quint32 pack = 0;
        qint64 start = 0;
        qint64 length = 0; // valid bytes; 0 = empty
        bool loading = false;
        int users = 0; // visit() calls using the buffer right now: it must not be reloaded
        quint64 lastUse = 0;
    };
    std::shared_ptr<const ObjectReader> files(quint32 pack, const QString &key); // caller holds m_mutex
    bool hasWindowLocked(quint32 pack, qint64 start) const;
    void prefetchLocked(std::unique_lock<std::mutex> &lock, quint32 pack, const std::shared_ptr<const ObjectReader> &f,
                        qint64 start, const Window *current);
    // The least recently used window that is neither loading nor in use, other than `except`;
    // null if none.
    Window *freeWindowLocked(const Window *except);
    // Loads `start` of `pack` into `slot` with the lock released during the read. Returns the
    // bytes read, or -1 when reset() ran meanwhile (the window is then left empty). Throws
    // ndb::Error on allocation or read errors, with the slot free again.
    qint64 loadWindowLocked(std::unique_lock<std::mutex> &lock, Window &slot, quint32 pack, const ObjectReader &f,
                            qint64 start);

    const ObjectBackend &m_backend;
    const qint64 m_windowSize;
    std::mutex m_mutex;
    std::condition_variable m_loaded;
    std::vector<Window> m_windows;
    QHash<quint32, std::shared_ptr<const ObjectReader>> m_files;
    QHash<quint32, qint64> m_lastEnd; // per pack: where the previous read ended
    quint64 m_clock = 0;
    quint64 m_generation = 0;
};

} // namespace ndb
