#include "repository/packwriter.h"

#include "util/error.h"

#include <cstdlib>
#include <cstring>

namespace ndb {

namespace {

constexpr qint64 kAlign = 4096;

} // namespace

PackWriter::PackWriter(ObjectBackend &backend) : m_backend(backend) {}

PackWriter::Pack::~Pack()
{
    // Only a pack that was never sealed still has these (an aborted backup): garbage.
    std::free(m_staging);
}

PackWriter::~PackWriter()
{
    try {
        drain();
    } catch (...) {
        // Unsealed packs are garbage by definition; nothing references them.
    }
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_changed.notify_all();
    for (std::thread &thread : m_threads)
        thread.join();
    for (char *buffer : m_freeBuffers)
        std::free(buffer);
}

char *PackWriter::takeBufferLocked(std::unique_lock<std::mutex> &lock)
{
    for (;;) {
        if (!m_freeBuffers.empty()) {
            char *buffer = m_freeBuffers.back();
            m_freeBuffers.pop_back();
            return buffer;
        }
        if (m_buffersAllocated < kMaxBuffers) {
            char *buffer = static_cast<char *>(std::aligned_alloc(kAlign, size_t(kBlockSize)));
            if (!buffer)
                throw Error(QStringLiteral("Out of memory for pack buffers"));
            ++m_buffersAllocated;
            return buffer;
        }
        m_changed.wait(lock); // the writer thread returns buffers as blocks reach the disk
    }
}

void PackWriter::enqueueLocked(Task task)
{
    if (task.pack)
        ++task.pack->m_blocksInFlight;
    ++m_busy;
    m_queue.push_back(std::move(task));
    m_changed.notify_all();
}

std::unique_ptr<PackWriter::Pack> PackWriter::create(quint32 number, const QString &key, const QString &indexKey,
                                                     const QByteArray &header)
{
    auto pack = std::make_unique<Pack>();
    pack->m_number = number;
    pack->m_key = key;
    pack->m_indexKey = indexKey;
    pack->m_object = m_backend.create(key);
    {
        std::unique_lock lock(m_mutex);
        // Started here, before any task exists: a failure to start them cannot strand a task.
        while (m_threads.size() < size_t(kWriterThreads))
            m_threads.emplace_back([this] { run(); });
        pack->m_staging = takeBufferLocked(lock);
    }
    std::memcpy(pack->m_staging, header.constData(), size_t(header.size()));
    pack->m_size = header.size();
    return pack;
}

qint64 PackWriter::append(Pack &pack, const pack::Key &id, const char *data, quint32 storedSize, quint32 rawSize)
{
    const qint64 offset = pack.m_size;
    qint64 done = 0;
    while (done < storedSize) {
        const qint64 fill = pack.m_size - pack.m_stagingOffset;
        const qint64 n = qMin<qint64>(storedSize - done, kBlockSize - fill);
        std::memcpy(pack.m_staging + fill, data + done, size_t(n));
        done += n;
        pack.m_size += n;
        if (pack.m_size - pack.m_stagingOffset == kBlockSize) {
            std::unique_lock lock(m_mutex);
            if (!m_error.isEmpty()) // stop a backup onto a full disk now, not at its end
                throw Error(m_error, m_errorKind);
            char *next = takeBufferLocked(lock); // first: a failure leaves the pack as it was
            enqueueLocked(Task{&pack, nullptr, pack.m_stagingOffset, pack.m_staging});
            pack.m_staging = next;
            pack.m_stagingOffset = pack.m_size;
        }
    }
    pack.m_entries.push_back(pack::IndexEntry{id, quint64(offset), storedSize, rawSize});
    return offset;
}

void PackWriter::seal(std::unique_ptr<Pack> pack)
{
    std::lock_guard lock(m_mutex);
    const quint32 number = pack->m_number;
    Task task;
    task.sealedPack = std::move(pack);
    enqueueLocked(std::move(task));
    m_sealing.insert(number);
}

void PackWriter::waitForSealCapacity()
{
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [this] { return m_sealing.size() <= kMaxPendingSeals; });
}

void PackWriter::waitUntilSealed(quint32 number)
{
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return !m_sealing.contains(number); });
}

bool PackWriter::isSealing(quint32 number) const
{
    std::lock_guard lock(m_mutex);
    return m_sealing.contains(number);
}

void PackWriter::drain()
{
    {
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [this] { return m_busy == 0; });
        if (!m_error.isEmpty()) {
            const QString error = std::exchange(m_error, {});
            throw Error(error, m_errorKind);
        }
    }
    // The indexes become durable once per drain, before any manifest can reference their
    // chunks (posix: one directory fsync, not one journal commit per pack).
    m_backend.syncDeferred();
}

void PackWriter::run()
{
    for (;;) {
        Task task;
        {
            std::unique_lock lock(m_mutex);
            m_changed.wait(lock, [this] { return !m_queue.empty() || m_stop; });
            if (m_queue.empty())
                return;
            task = std::move(m_queue.front());
            m_queue.pop_front();
            // A pack's blocks were queued before its seal; other threads may still write them.
            if (task.sealedPack)
                m_changed.wait(lock, [&] { return task.sealedPack->m_blocksInFlight == 0; });
        }
        QString error;
        ErrorKind errorKind = ErrorKind::Failed; // EIO/ENOSPC stay Storage across the thread
        if (task.pack) {
            try {
                task.pack->m_object->writeAt(task.buffer, kBlockSize, task.offset);
            } catch (const Error &e) {
                error = e.message();
                errorKind = e.kind();
            } catch (...) {
                error = QStringLiteral("Cannot write pack %1: %2").arg(m_backend.describe(task.pack->m_key), describeException(std::current_exception()));
            }
        } else {
            try {
                finishPack(*task.sealedPack);
            } catch (const Error &e) {
                error = e.message();
                errorKind = e.kind();
            } catch (...) {
                error = QStringLiteral("Cannot seal pack %1: %2").arg(m_backend.describe(task.sealedPack->m_key), describeException(std::current_exception()));
            }
            task.buffer = std::exchange(task.sealedPack->m_staging, nullptr);
            task.sealedPack->m_object.reset();
        }
        std::lock_guard lock(m_mutex);
        if (task.buffer)
            m_freeBuffers.push_back(task.buffer);
        if (task.pack) {
            --task.pack->m_blocksInFlight;
            if (!error.isEmpty())
                task.pack->m_failed = true;
        } else {
            m_sealing.remove(task.sealedPack->m_number);
        }
        if (!error.isEmpty() && m_error.isEmpty()) {
            m_error = error;
            m_errorKind = errorKind;
        }
        --m_busy;
        m_changed.notify_all();
    }
}

void PackWriter::finishPack(Pack &pack)
{
    if (pack.m_failed)
        throw Error(QStringLiteral("Pack %1 is incomplete").arg(m_backend.describe(pack.m_key))); // the error is reported already
    const qint64 tail = pack.m_size - pack.m_stagingOffset;
    if (tail > 0)
        pack.m_object->writeAt(pack.m_staging, tail, pack.m_stagingOffset);
    pack.m_object->finish();
    // Durable with the next drain(), before any manifest can reference its chunks.
    if (!m_backend.put(pack.m_indexKey, pack::encodeIndex(pack.m_entries), ObjectBackend::Durability::Deferred))
        throw Error(QStringLiteral("%1 exists already").arg(m_backend.describe(pack.m_indexKey)));
}

} // namespace ndb
