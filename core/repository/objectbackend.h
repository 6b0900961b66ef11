#pragma once
// Where a chunk store keeps its objects (DESIGN.md "Seams": Repository). Objects are named by
// keys like "config", "manifests/<backup id>", "packs/<2 hex>/<name>.pack"; they are immutable
// once put: a key is written once and then only read or deleted. The chunk store never relies
// on a listing for correctness, nor on a conditional write (other than "do not replace").
//
// Backends: posix directory (posix/posixbackend.h); S3 and Swift come next behind the same
// interface. All methods are thread-safe; errors throw ndb::Error naming the object.
#include <QByteArray>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

namespace ndb {

// Ranged gets of one object, for the pack reader's windows.
class ObjectReader
{
public:
    static constexpr qint64 kAlign = 4096;
    virtual ~ObjectReader() = default;
    // The object's size when it was opened.
    virtual qint64 size() const = 0;
    // True when large aligned reads are the cheap way to read this object (posix: O_DIRECT,
    // which bypasses the page cache); false when each read should ask for its own range only.
    virtual bool prefersAlignedReads() const = 0;
    // Reads up to `length` bytes at `offset` into `buffer`; short only at the end of the object.
    // `aligned`: buffer, offset and length are multiples of kAlign.
    virtual qint64 read(char *buffer, qint64 length, qint64 offset, bool aligned) const = 0;
};

// An object written in pieces (a pack of tens of MiB) and published by finish(). Until then it
// is garbage: destroying an unfinished writer leaves nothing the chunk store would trust.
class ObjectWriter
{
public:
    virtual ~ObjectWriter() = default;
    // Writes `length` bytes at `offset`; concurrent calls for disjoint ranges are allowed.
    virtual void writeAt(const char *data, qint64 length, qint64 offset) = 0;
    // Makes the whole object durable and readable under its key.
    virtual void finish() = 0;
};

class ObjectBackend
{
public:
    enum class Durability {
        Now,     // durable when put() returns
        Deferred // durable after the next syncDeferred(): many small objects, one commit
    };

    virtual ~ObjectBackend() = default;
    // Where the objects live, for messages (posix: the directory).
    virtual QString location() const = 0;
    // The same for one object (posix: its file's path).
    virtual QString describe(const QString &key) const = 0;

    // Stores `data` under `key` unless the key exists (then returns false and changes nothing).
    // The backend checks the transfer with its own checksum where its protocol has one.
    virtual bool put(const QString &key, const QByteArray &data, Durability durability = Durability::Now) = 0;
    virtual std::unique_ptr<ObjectWriter> create(const QString &key) = 0;
    // The whole object; nullopt when there is none.
    virtual std::optional<QByteArray> get(const QString &key) const = 0;
    virtual std::unique_ptr<ObjectReader> openReader(const QString &key) const = 0;
    // The object's size; nullopt when there is none.
    virtual std::optional<qint64> head(const QString &key) const = 0;
    // Keys that start with `prefix`, finished objects only, in no particular order.
    virtual QStringList list(const QString &prefix) const = 0;
    // Deletes `key` (a missing key is no error).
    virtual void remove(const QString &key, Durability durability = Durability::Now) = 0;
    // Makes deferred puts and removals durable.
    virtual void syncDeferred() = 0;
    // Deletes what interrupted puts and writers left behind. Only while no one else writes.
    virtual void removeIncomplete() = 0;
    // Bytes the objects occupy on the storage.
    virtual qint64 storedBytes() const = 0;
};

} // namespace ndb
