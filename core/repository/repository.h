#pragma once
// A container: a content-addressed chunk store (DESIGN.md "Repository format"), implemented by
// ChunkStore (chunkstore.h) over an object backend (objectbackend.h; today a posix directory).
// Chunks are packed into pack objects of tens of MiB with an index; one manifest per backup,
// put durably. A backup is visible only once its manifest exists.
#include <QByteArray>
#include <QByteArrayView>
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QVector>

#include <memory>

namespace ndb {

struct RepositoryConfig
{
    int formatVersion = 1;
    QString id;                     // UUID of the container
    quint32 chunkSize = 128 * 1024; // bytes; fixed for the container's life (choice: tests/bench/README.md)
    int compressionLevel = 1;       // zstd
    qint64 packTargetSize = 32ll * 1024 * 1024;
};

// The ordered list of chunks that make up one backup.
struct Manifest
{
    QString backupId;
    QString volumeId;
    QString volumeName;
    QString parentId;
    qint64 size = 0;
    quint32 chunkSize = 0;
    QVector<QByteArray> chunks; // 32-byte SHA-256 ids; an empty entry is an all-zero chunk
    qint64 storedBytes = 0;     // bytes this backup added to the container
    QDateTime startedAt;
    QDateTime finishedAt;
    QString consistency = QStringLiteral("unknown"); // Consistency; manifests written before it read "unknown"
    QJsonObject extra;          // data path, driver, host ...
};

struct ChunkProblem
{
    qint64 index = -1; // position in the manifest
    QByteArray id;
    QString reason;    // "missing", "hash mismatch", "decompression failed" ...
};

struct VerifyReport
{
    qint64 chunksChecked = 0;
    qint64 bytesChecked = 0;
    QList<ChunkProblem> problems;
    bool ok() const { return problems.isEmpty(); }
};

struct SkippedManifest
{
    QString backupId;
    QString reason;
};

struct GcReport
{
    qint64 chunksRemoved = 0;
    qint64 bytesFreed = 0; // on disk
    int packsRewritten = 0;
    int packsDeleted = 0;
    // Manifests gc could not read. Their chunks cannot be told from garbage, so while there is
    // one, gc removes no pack (only interrupted writes) and says so here instead of failing.
    QList<SkippedManifest> skippedManifests;
};

class Repository
{
public:
    // Opens the container at `directory`, creating it with `defaults` when it does not exist.
    // Throws CorruptDataError when it exists but is damaged (its config lost or garbage).
    static std::unique_ptr<Repository> openOrCreate(const QString &directory,
                                                    const RepositoryConfig &defaults = {});
    // Opens an existing container; throws NotFoundError when there is none, CorruptDataError
    // when it is damaged.
    static std::unique_ptr<Repository> open(const QString &directory);
    // Whether anything of a container is at `directory`, a damaged one included.
    static bool exists(const QString &directory);

    virtual ~Repository() = default;
    virtual QString path() const = 0;
    virtual const RepositoryConfig &config() const = 0;

    // --- writing (thread-safe) ---
    virtual bool hasChunk(const QByteArray &id) const = 0;
    // Stores an already-compressed chunk unless present; returns bytes added (0 on dedup).
    virtual qint64 putChunk(const QByteArray &id, QByteArrayView stored, quint32 rawSize) = 0;
    // Seals open packs and writes their indexes durably. Must precede commitManifest().
    virtual void flush() = 0;
    virtual void commitManifest(const Manifest &manifest) = 0;

    // --- reading ---
    virtual QStringList listBackups() const = 0; // backup ids with a committed manifest
    virtual bool hasManifest(const QString &backupId) const = 0;
    virtual Manifest readManifest(const QString &backupId) const = 0;
    // Returns the decompressed chunk after checking its hash; throws ndb::Error naming the chunk.
    virtual QByteArray readChunk(const QByteArray &id) const = 0;
    // The same, decoded into `out`, which holds `length` bytes: the chunk's size, or it throws
    // chunk::ChunkError ("wrong size"). Saves restore a copy per chunk.
    virtual void readChunkInto(const QByteArray &id, char *out, qint64 length) const = 0;
    // Reads and checks chunk `id` like readChunk (and its size against `length`) without handing
    // it out: what verify needs, with no copy where the chunk is stored uncompressed.
    virtual void checkChunk(const QByteArray &id, qint64 length) const = 0;

    // --- maintenance ---
    virtual void deleteManifest(const QString &backupId) = 0;
    // Deletes unreferenced packs and rewrites mostly dead ones (see GcReport::skippedManifests
    // for damaged manifests). Needs the container alone: it
    // waits (setLockTimeout) until every other Repository object on it, in this process or
    // another, is closed. Do not run it on an object another thread is backing up through.
    virtual GcReport collectGarbage() = 0;
    virtual qint64 diskUsage() const = 0;
    // How long collectGarbage() waits for other users of the container (backups, restores,
    // verifications hold it shared while their Repository object lives) before it gives up.
    virtual void setLockTimeout(int msec) { Q_UNUSED(msec); }
};

// Hex form of a chunk id, for messages.
QString chunkIdHex(const QByteArray &id);

} // namespace ndb
