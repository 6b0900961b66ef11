#pragma once
// The posix backend of Repository: one directory per container (local disk or NFS).
//
//   config                       JSON: format version, id, chunk size, compression, pack size
//   lock                         flock: shared while a Repository object is open (backup,
//                                restore, verify), exclusive for garbage collection
//   packs/<2 hex>/<id>.pack      "NDBPACK1" + stored chunks back to back (packformat.h)
//   packs/<2 hex>/<id>.idx       written when the pack is sealed (temp + fsync + link);
//                                a pack without an index is garbage and never trusted
//   manifests/<backup id>        JSON, committed by temp file + fsync + rename + directory fsync
#include "repository/posix/packformat.h"
#include "repository/posix/packreader.h"
#include "repository/posix/packwriter.h"
#include "repository/repository.h"

#include <QHash>
#include <QSet>

#include <functional>
#include <mutex>
#include <unordered_map>

namespace ndb {

class PosixRepository final : public Repository
{
public:
    static std::unique_ptr<Repository> openDirectory(const QString &directory,
                                                     const RepositoryConfig *createDefaults);
    ~PosixRepository() override;

    QString path() const override { return m_path; }
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
    explicit PosixRepository(const QString &directory);
    void loadConfig();
    void createConfig(const RepositoryConfig &defaults);
    // Loads every sealed pack index not loaded yet (packs written by other processes).
    void refreshIndex() const;
    void loadIndexFile(const QString &packName) const; // caller holds m_mutex
    std::vector<IndexEntry> readIndexFile(const QString &packName) const;

    // Appends a chunk to the open pack (creating one) and hands the pack to the writer to be
    // sealed once it reaches the target size.
    void appendLocked(const Key &key, const char *data, quint32 storedSize, quint32 rawSize,
                      bool replaceLocation);

    QString packPath(const QString &packName, const char *suffix) const;
    // Where chunk `id` is stored; throws chunk::ChunkError ("missing") if nowhere.
    Location locate(const QByteArray &id) const;
    // Calls `use` with the chunk's stored bytes in place (PackReader::visit).
    void visitStored(const Location &location, const QByteArray &id, const std::function<void(const char *)> &use) const;
    QByteArray readStored(const Location &location, const QByteArray &id) const;

    void lockExclusive();
    void lockShared();

    QString m_path;
    RepositoryConfig m_config;
    int m_lockFd = -1;
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
