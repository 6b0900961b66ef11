#pragma once
// The posix object backend: one directory per container (local disk or NFS); an object is a
// file at its key's path. Puts are temp file + fsync + link (never replacing: a key is written
// once) + directory fsync; a pack is written in place and is garbage until its index exists,
// so its writer needs no temp name. Reads of packs are pread on cached descriptors, O_DIRECT
// where the filesystem allows it. Files named ".tmp-*" are interrupted puts.
#include "repository/objectbackend.h"
#include "repository/repositorylock.h"

#include <QSet>

#include <mutex>

namespace ndb {

class PosixBackend final : public ObjectBackend
{
public:
    explicit PosixBackend(const QString &directory); // absolute
    QString location() const override { return m_root; }
    QString describe(const QString &key) const override { return path(key); }

    bool put(const QString &key, const QByteArray &data, Durability durability) override;
    std::unique_ptr<ObjectWriter> create(const QString &key) override;
    std::optional<QByteArray> get(const QString &key) const override;
    std::unique_ptr<ObjectReader> openReader(const QString &key) const override;
    std::optional<qint64> head(const QString &key) const override;
    QStringList list(const QString &prefix) const override;
    void remove(const QString &key, Durability durability) override;
    void syncDeferred() override;
    void removeIncomplete() override;
    qint64 storedBytes() const override;

private:
    QString path(const QString &key) const;
    void makeParent(const QString &file) const;

    const QString m_root;
    std::mutex m_mutex;
    QSet<QString> m_unsyncedDirs; // put with Durability::Deferred; guarded by m_mutex
    QSet<QString> m_emptiedDirs;  // removed from with Durability::Deferred; guarded by m_mutex
};

// flock on <container>/lock. The file is opened read-only where it cannot be opened for writing
// (a read-only container can still be restored and verified).
class PosixLock final : public RepositoryLock
{
public:
    explicit PosixLock(const QString &directory);
    ~PosixLock() override;
    void lockShared() override;
    void lockExclusive(int timeoutMsec) override;

private:
    QString m_directory;
    int m_fd = -1;
};

} // namespace ndb
