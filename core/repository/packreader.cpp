#include "repository/packreader.h"

#include "repository/objectbackend.h"
#include "util/error.h"

#include <QScopeGuard>

#include <cstdlib>
#include <cstring>

namespace ndb {

namespace {

constexpr qint64 kAlign = ObjectReader::kAlign;
constexpr int kMaxOpenPacks = 128;
// How far from the previous read a request may start and still count as sequential.
constexpr qint64 kSequentialSlack = 1024 * 1024;
constexpr int kPrefetchDepth = 3;
constexpr qint64 kWindowOverlap = 256 * 1024; // whole chunks up to this size across window ends

qint64 alignDown(qint64 v)
{
    return v & ~(kAlign - 1);
}

qint64 alignUp(qint64 v)
{
    return (v + kAlign - 1) & ~(kAlign - 1);
}

} // namespace

PackReader::PackReader(const ObjectBackend &backend, int windowCount, qint64 windowSize)
    : m_backend(backend), m_windowSize(windowSize), m_windows(size_t(windowCount))
{
}

PackReader::~PackReader()
{
    for (Window &w : m_windows)
        std::free(w.buffer);
}

void PackReader::reset()
{
    std::unique_lock lock(m_mutex);
    m_loaded.wait(lock, [this] {
        for (const Window &w : m_windows) {
            if (w.loading || w.users > 0)
                return false;
        }
        return true;
    });
    for (Window &w : m_windows)
        w.length = 0;
    ++m_generation;
    m_files.clear();
    m_lastEnd.clear();
}

std::shared_ptr<const ObjectReader> PackReader::files(quint32 pack, const QString &key)
{
    if (auto it = m_files.constFind(pack); it != m_files.constEnd())
        return *it;
    std::shared_ptr<const ObjectReader> f = m_backend.openReader(key);
    if (m_files.size() >= kMaxOpenPacks)
        m_files.clear(); // readers still using one keep it alive through their shared_ptr
    m_files.insert(pack, f);
    return f;
}

bool PackReader::hasWindowLocked(quint32 pack, qint64 start) const
{
    for (const Window &w : m_windows) {
        if (w.pack == pack && w.start == start && (w.loading || w.length > 0))
            return true;
    }
    return false;
}

PackReader::Window *PackReader::freeWindowLocked(const Window *except)
{
    Window *slot = nullptr;
    for (Window &w : m_windows) {
        if (!w.loading && w.users == 0 && &w != except && (!slot || w.lastUse < slot->lastUse))
            slot = &w;
    }
    return slot;
}

qint64 PackReader::loadWindowLocked(std::unique_lock<std::mutex> &lock, Window &slot, quint32 pack,
                                    const ObjectReader &f, qint64 start)
{
    if (!slot.buffer) {
        slot.buffer = static_cast<char *>(std::aligned_alloc(kAlign, size_t(m_windowSize)));
        if (!slot.buffer)
            throw Error(QStringLiteral("Out of memory reading packs"));
    }
    slot.loading = true;
    slot.pack = pack;
    slot.start = start;
    slot.length = 0;
    slot.lastUse = ++m_clock;
    const quint64 generation = m_generation;
    lock.unlock();
    qint64 got = 0;
    try {
        got = f.read(slot.buffer, m_windowSize, start, true);
    } catch (...) {
        lock.lock();
        slot.loading = false;
        m_loaded.notify_all();
        throw;
    }
    lock.lock();
    slot.loading = false;
    const bool current = generation == m_generation;
    slot.length = current ? got : 0;
    m_loaded.notify_all();
    return current ? got : -1;
}

// Past the middle of a window, the reader loads the next one itself, so that the other
// workers go on with the rest of this window while the device works (read-ahead).
void PackReader::prefetchLocked(std::unique_lock<std::mutex> &lock, quint32 pack,
                                const std::shared_ptr<const ObjectReader> &f, qint64 start, const Window *current)
{
    if (start >= f->size())
        return; // past the end of the pack (as it was when opened)
    Window *slot = freeWindowLocked(current);
    if (!slot)
        return;
    try {
        loadWindowLocked(lock, *slot, pack, *f, start);
    } catch (...) {
        // a real error shows when the chunk itself is read
    }
}

void PackReader::visit(quint32 pack, const QString &key, qint64 offset, qint64 length,
                       const std::function<void(const char *)> &use)
{
    auto truncated = [&] {
        return Error(QStringLiteral("Pack %1 is truncated: %2 bytes at offset %3 are missing").arg(m_backend.describe(key)).arg(length).arg(offset));
    };
    std::unique_lock lock(m_mutex);
    const std::shared_ptr<const ObjectReader> f = files(pack, key);
    for (;;) {
        bool waitForLoad = false;
        for (Window &w : m_windows) {
            if (w.pack != pack || offset < w.start)
                continue;
            if (w.loading && offset + length <= w.start + m_windowSize) {
                waitForLoad = true;
                break;
            }
            if (!w.loading && offset + length <= w.start + w.length) {
                w.lastUse = ++m_clock;
                m_lastEnd[pack] = offset + length;
                ++w.users; // pinned: neither the read-ahead below nor another reader reuses it
                auto unpin = qScopeGuard([&] {
                    if (!lock.owns_lock())
                        lock.lock();
                    if (--w.users == 0)
                        m_loaded.notify_all(); // a reader may wait for a free window
                });
                const char *data = w.buffer + (offset - w.start);
                if (offset - w.start >= m_windowSize / 2 && w.length == m_windowSize) {
                    // Keep up to kPrefetchDepth windows ahead loading, one per reader thread, so
                    // several reads are in flight. Windows overlap so that a chunk crossing a
                    // window's end is whole in the next one.
                    qint64 start = w.start;
                    for (int depth = 0; depth < kPrefetchDepth; ++depth) {
                        start += m_windowSize - kWindowOverlap;
                        if (!hasWindowLocked(pack, start)) {
                            prefetchLocked(lock, pack, f, start, &w);
                            break;
                        }
                    }
                }
                lock.unlock();
                use(data);
                return;
            }
        }
        if (waitForLoad) {
            m_loaded.wait(lock);
            continue;
        }

        const qint64 last = m_lastEnd.value(pack, -1);
        const bool sequential = f->prefersAlignedReads() && length <= m_windowSize / 2
            && (offset < kSequentialSlack || (last >= 0 && offset >= last - m_windowSize && offset <= last + kSequentialSlack));
        m_lastEnd[pack] = offset + length;

        if (!sequential) { // an isolated chunk: read just its range
            lock.unlock();
            if (!f->prefersAlignedReads()) {
                QByteArray out(qsizetype(length), Qt::Uninitialized);
                if (f->read(out.data(), length, offset, false) != length)
                    throw truncated();
                use(out.constData());
                return;
            }
            const qint64 start = alignDown(offset);
            const qint64 span = alignUp(offset + length) - start;
            std::unique_ptr<char, decltype(&std::free)> buffer(static_cast<char *>(std::aligned_alloc(kAlign, size_t(span))), &std::free);
            if (!buffer)
                throw Error(QStringLiteral("Out of memory reading pack %1").arg(m_backend.describe(key)));
            if (f->read(buffer.get(), span, start, true) < offset + length - start)
                throw truncated();
            use(buffer.get() + (offset - start));
            return;
        }

        // Sequential: load a window into the least recently used free slot.
        Window *slot = freeWindowLocked(nullptr);
        if (!slot) {
            m_loaded.wait(lock);
            continue;
        }
        const qint64 start = alignDown(offset);
        const qint64 got = loadWindowLocked(lock, *slot, pack, *f, start);
        if (got >= 0 && offset + length > start + got)
            throw truncated();
    }
}

} // namespace ndb
