#pragma once
// The chunk store: Repository over an ObjectBackend and a RepositoryLock, backend-neutral.
//
//   config                       JSON: format version, id, chunk size, compression, pack size
//   packs/<2 hex>/<id>.pack      "NDBPACK1" + stored chunks back to back (packformat.h)
//   packs/<2 hex>/<id>.idx       put when the pack is complete; a pack without an index is
//                                garbage and never trusted
//   manifests/<backup id>        JSON; a backup exists once its manifest is put
//
// The posix backend (posix/posixbackend.h) keeps these keys as files under the container's
// directory, byte for byte the layout of the posix repository before the split.
#include "repository/objectbackend.h"
#include "repository/packformat.h"
#include "repository/packreader.h"
#include "repository/packwriter.h"
#include "repository/repository.h"
#include "repository/repositorylock.h"

#include <QHash>

#include <functional>
#include <mutex>
#include <unordered_map>

namespace ndb {

class ChunkStore final : public Repository
{
public:
    // Opens the container in `backend`; creates its config with `createDefaults` when there is
    // none and `createDefaults` is given. Takes the lock shared.
    static std::unique_ptr<Repository> open(std::unique_ptr<ObjectBackend> backend,
                                            std::unique_ptr<RepositoryLock> lock,
                                            const RepositoryConfig *createDefaults);
    ~ChunkStore() override;

    // The parsers of the config and manifest objects as pure functions on their bytes (what
    // loadConfig() and readManifest() use; the fuzz targets call them directly). `location` and
    // `file` only name the container and object in the errors they throw.
    static RepositoryConfig parseConfig(const QByteArray &data, const QString &location, const QString &file);
    static Manifest parseManifest(const QByteArray &data, const QString &file);

    QString path() const override { return m_backend->location(); }
    const RepositoryConfig &config() const override { return m_config; }

    bool hasChunk(const QByteArray &id) const override;
    qint64 putChunk(const QByteArray &id, QByteArrayView stored, quint32 rawSize) override;
    void flush() override;
    void commitManifest(const Manifest &manifest) override;

    QStringList listBackups() const override;
    bool hasManifest(const QString &backupId) const override;
    Manifest readManifest(const QString &backupId) const override;
    QByteArray readChunk(const QByteArray &id) const override;
    void readChunkInto(const QByteArray &id, char *out, qint64 length) const override;
    void checkChunk(const QByteArray &id, qint64 length) const override;

    void deleteManifest(const QString &backupId) override;
    GcReport collectGarbage() override;
    qint64 diskUsage() const override;
    void setLockTimeout(int msec) override { m_lockTimeoutMsec = msec; }

    using Key = pack::Key;
    using KeyHash = pack::KeyHash;
    struct Location
    {
        quint64 offset = 0;
        quint32 pack = 0;
        quint32 storedSize = 0;
        quint32 rawSize = 0;
    };
    using IndexEntry = pack::IndexEntry;

private:
    ChunkStore(std::unique_ptr<ObjectBackend> backend, std::unique_ptr<RepositoryLock> lock);
    void loadConfig();
    void createConfig(const RepositoryConfig &defaults);
    // Loads every pack index not loaded yet (packs written by other processes).
    void refreshIndex() const;
    void loadIndexFile(const QString &packName) const; // caller holds m_mutex
    std::vector<IndexEntry> readIndexFile(const QString &packName) const;
    void forgetIndex();

    // Appends a chunk to the open pack (creating one) and hands the pack to the writer to be
    // sealed once it reaches the target size.
    void appendLocked(const Key &key, const char *data, quint32 storedSize, quint32 rawSize,
                      bool replaceLocation);

    // Where chunk `id` is stored; throws chunk::ChunkError ("missing") if nowhere.
    Location locate(const QByteArray &id) const;
    // Calls `use` with the chunk's stored bytes in place (PackReader::visit).
    void visitStored(const Location &location, const QByteArray &id, const std::function<void(const char *)> &use) const;
    QByteArray readStored(const Location &location, const QByteArray &id) const;

    // Declared first: the reader and writer below use it until they are gone.
    std::unique_ptr<ObjectBackend> m_backend;
    std::unique_ptr<RepositoryLock> m_lock;
    RepositoryConfig m_config;
    int m_lockTimeoutMsec = 30000;

    mutable std::mutex m_mutex;
    mutable std::unordered_map<Key, Location, KeyHash> m_index;
    mutable QStringList m_packNames;              // pack number -> pack name (hex)
    mutable QHash<QString, quint32> m_packNumbers; // pack name -> number
    mutable PackReader m_reader;
    // The pack chunks are appended to; guarded by m_mutex. Declared before m_writer so that it
    // outlives the writer threads. Mutable (like m_writer): a read of a chunk still in it seals it.
    mutable std::unique_ptr<PackWriter::Pack> m_open;
    mutable PackWriter m_writer;
};

} // namespace ndb
