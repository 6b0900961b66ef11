#pragma once
// BlockSource / BlockSink: positioned reads and writes of a volume's bytes. The transfer
// pipeline knows nothing else about where bytes come from or go. Implementations must allow
// readAt/writeAt from several threads at once (pread/pwrite semantics).
#include <QList>
#include <QString>
#include <memory>
#include <optional>

namespace ndb {

// A byte range [offset, offset + length) of a volume.
struct Extent
{
    qint64 offset = 0;
    qint64 length = 0;
};

class BlockSource
{
public:
    virtual ~BlockSource() = default;
    virtual qint64 size() const = 0;
    // Where the storage knows it: the ranges that may hold data, sorted, not overlapping.
    // Everything outside them reads as zeroes and is never read. nullopt: unknown, read it all.
    virtual std::optional<QList<Extent>> allocatedExtents() const { return std::nullopt; }
    // Reads exactly `length` bytes unless the end is reached; returns bytes read. Throws on I/O error.
    // `buffer` is aligned to 4096 bytes and `length`/`offset` are multiples of 4096 except at the end.
    virtual qint64 readAt(char *buffer, qint64 length, qint64 offset) = 0;
    virtual QString description() const = 0;
    // How many readAt calls the pipeline should keep in flight at once; 0: its default. A network
    // source wants more than a local disk to hide round trips (measured: tests/bench/README.md).
    virtual int preferredConcurrentReads() const { return 0; }
};

class BlockSink
{
public:
    virtual ~BlockSink() = default;
    virtual qint64 size() const = 0;
    virtual void writeAt(const char *buffer, qint64 length, qint64 offset) = 0;
    // Leave a hole of `length` zero bytes (punch or skip where the target is known zero).
    virtual void writeZeroes(qint64 length, qint64 offset) = 0;
    // Flush to stable storage; throws on failure.
    virtual void finish() = 0;
    virtual QString description() const = 0;
};

// A regular file or block device; a regular file reports its allocation map (SEEK_DATA/SEEK_HOLE).
// Only drivers (and restore's file target) open paths: everyone else gets sources and sinks from them.
// Reads bypass or drop the page cache (O_DIRECT where the
// device allows it, POSIX_FADV_DONTNEED otherwise) so a backup does not evict the workload's cache.
std::unique_ptr<BlockSource> openFileSource(const QString &path);
// Opens an existing file or block device for writing; `createSize` > 0 creates/truncates a
// regular file of that size first.
std::unique_ptr<BlockSink> openFileSink(const QString &path, qint64 createSize = 0);

} // namespace ndb
