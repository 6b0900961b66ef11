#pragma once
// The posix backend of Repository: one directory per container (local disk or NFS).
//
//   config                       JSON: format version, id, chunk size, compression, pack size
//   lock                         flock: shared while a Repository object is open (backup,
//                                restore, verify), exclusive for garbage collection
//   packs/<2 hex>/<id>.pack      "NDBPACK1" + stored chunks back to back
//   packs/<2 hex>/<id>.idx       written when the pack is sealed (temp + fsync + rename);
//                                a pack without an index is garbage and never trusted
//   manifests/<backup id>        JSON, committed by temp file + fsync + rename + directory fsync
#include "repository/posix/packreader.h"
#include "repository/repository.h"

#include <QHash>
#include <QSet>

#include <array>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

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
    qint64 putChunk(const QByteArray &id, const QByteArray &compressed, quint32 rawSize) override;
    void flush() override;
    void commitManifest(const Manifest &manifest) override;

    QStringList listBackups() const override;
    bool hasManifest(const QString &backupId) const override;
    Manifest readManifest(const QString &backupId) const override;
    QByteArray readChunk(const QByteArray &id) const override;

    void deleteManifest(const QString &backupId) override;
    GcReport collectGarbage() override;
    qint64 diskUsage() const override;
    void setLockTimeout(int msec) override { m_lockTimeoutMsec = msec; }

    struct Key
    {
        std::array<unsigned char, 32> bytes;
        bool operator==(const Key &other) const { return bytes == other.bytes; }
    };
    struct KeyHash
    {
        size_t operator()(const Key &key) const;
    };
    struct Location
    {
        quint64 offset = 0;
        quint32 pack = 0;
        quint32 storedSize = 0;
        quint32 rawSize = 0;
    };
    struct IndexEntry
    {
        Key id;
        quint64 offset;
        quint32 storedSize;
        quint32 rawSize;
    };

private:
    explicit PosixRepository(const QString &directory);
    struct OpenPack
    {
        quint32 pack = 0;
        int fd = -1;
        qint64 size = 0;
        std::vector<IndexEntry> entries;
    };

    void loadConfig();
    void createConfig(const RepositoryConfig &defaults);
    // Loads every sealed pack index not loaded yet (packs written by other processes).
    void refreshIndex() const;
    void loadIndexFile(const QString &packName) const; // caller holds m_mutex
    std::vector<IndexEntry> readIndexFile(const QString &packName) const;

    // Appends a chunk to the open pack (creating one); returns the pack to seal if it is full.
    std::unique_ptr<OpenPack> appendLocked(const Key &key, const char *data, quint32 storedSize,
                                           quint32 rawSize, bool replaceLocation);
    void seal(std::unique_ptr<OpenPack> pack);
    void enqueueSeal(std::unique_ptr<OpenPack> pack);
    void sealerLoop();

    QString packPath(const QString &packName, const char *suffix) const;
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
    std::unique_ptr<OpenPack> m_open;
    int m_sealing = 0;
    QString m_sealError;
    std::condition_variable m_sealed;
    std::deque<std::unique_ptr<OpenPack>> m_sealQueue;
    std::condition_variable m_sealWork;
    std::thread m_sealer;
    bool m_stopSealer = false;
    QSet<QString> m_unsyncedDirs; // pack directories with index entries not yet fsynced
    static constexpr int kMaxPendingSeals = 4;
};

} // namespace ndb
