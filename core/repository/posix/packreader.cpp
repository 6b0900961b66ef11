#include "repository/posix/packreader.h"

#include "util/error.h"

#include <QFile>
#include <QScopeGuard>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace ndb {

namespace {

constexpr qint64 kAlign = 4096;
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

struct PackReader::Files
{
    QString path;
    int buffered = -1;
    int direct = -1;
    qint64 size = 0;
    ~Files()
    {
        if (direct >= 0)
            ::close(direct);
        if (buffered >= 0)
            ::close(buffered);
    }
};

PackReader::PackReader(int windowCount, qint64 windowSize)
    : m_windowSize(windowSize), m_windows(size_t(windowCount))
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

std::shared_ptr<PackReader::Files> PackReader::files(quint32 pack, const QString &path)
{
    if (auto it = m_files.constFind(pack); it != m_files.constEnd())
        return *it;
    auto f = std::make_shared<Files>();
    f->path = path;
    const QByteArray native = QFile::encodeName(path);
    f->buffered = ::open(native.constData(), O_RDONLY | O_CLOEXEC);
    if (f->buffered < 0)
        throw Error(QStringLiteral("Cannot open pack %1: %2").arg(path, QString::fromLocal8Bit(strerror(errno))));
    f->direct = ::open(native.constData(), O_RDONLY | O_CLOEXEC | O_DIRECT); // may be refused: fine
    f->size = ::lseek(f->buffered, 0, SEEK_END);
    if (m_files.size() >= kMaxOpenPacks)
        m_files.clear(); // readers still using one keep it alive through their shared_ptr
    m_files.insert(pack, f);
    return f;
}

qint64 PackReader::readInto(const Files &f, char *buffer, qint64 length, qint64 offset, bool direct) const
{
    const int fd = direct ? f.direct : f.buffered;
    qint64 done = 0;
    while (done < length) {
        const ssize_t n = ::pread(fd, buffer + done, size_t(length - done), offset + done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw Error(QStringLiteral("Cannot read pack %1 at offset %2: %3")
                            .arg(f.path).arg(offset + done).arg(QString::fromLocal8Bit(strerror(errno))));
        if (n == 0)
            break;
        done += n;
        if (direct && n % kAlign)
            break; // end of file
    }
    if (!direct) // keep restores and verifications out of the host's page cache
        posix_fadvise(fd, offset, done, POSIX_FADV_DONTNEED);
    return done;
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
                                    const Files &f, qint64 start)
{
    if (!slot.buffer) {
        slot.buffer = static_cast<char *>(std::aligned_alloc(kAlign, size_t(m_windowSize)));
        if (!slot.buffer)
            throw Error(QStringLiteral("Out of memory reading pack %1").arg(f.path));
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
        got = readInto(f, slot.buffer, m_windowSize, start, true);
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
                                const std::shared_ptr<Files> &f, qint64 start, const Window *current)
{
    if (start >= f->size)
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

void PackReader::visit(quint32 pack, const QString &path, qint64 offset, qint64 length,
                       const std::function<void(const char *)> &use)
{
    auto truncated = [&] {
        return Error(QStringLiteral("Pack %1 is truncated: %2 bytes at offset %3 are missing").arg(path).arg(length).arg(offset));
    };
    std::unique_lock lock(m_mutex);
    const std::shared_ptr<Files> f = files(pack, path);
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
        const bool sequential = f->direct >= 0 && length <= m_windowSize / 2
            && (offset < kSequentialSlack || (last >= 0 && offset >= last - m_windowSize && offset <= last + kSequentialSlack));
        m_lastEnd[pack] = offset + length;

        if (!sequential) { // an isolated chunk: read just its range
            lock.unlock();
            if (f->direct < 0) {
                QByteArray out(qsizetype(length), Qt::Uninitialized);
                if (readInto(*f, out.data(), length, offset, false) != length)
                    throw truncated();
                use(out.constData());
                return;
            }
            const qint64 start = alignDown(offset);
            const qint64 span = alignUp(offset + length) - start;
            std::unique_ptr<char, decltype(&std::free)> buffer(static_cast<char *>(std::aligned_alloc(kAlign, size_t(span))), &std::free);
            if (!buffer)
                throw Error(QStringLiteral("Out of memory reading pack %1").arg(path));
            if (readInto(*f, buffer.get(), span, start, true) < offset + length - start)
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
