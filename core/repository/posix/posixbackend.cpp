#include "repository/posix/posixbackend.h"

#include "repository/posix/fileio.h"
#include "util/error.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QThread>

#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ndb {

using namespace fileio;

namespace {

class PosixReader final : public ObjectReader
{
public:
    PosixReader(QString path, int buffered, int direct, qint64 size)
        : m_path(std::move(path)), m_buffered(buffered), m_direct(direct), m_size(size)
    {
    }
    ~PosixReader() override
    {
        if (m_direct >= 0)
            ::close(m_direct);
        ::close(m_buffered);
    }
    qint64 size() const override { return m_size; }
    bool prefersAlignedReads() const override { return m_direct >= 0; }

    qint64 read(char *buffer, qint64 length, qint64 offset, bool aligned) const override
    {
        const bool direct = aligned && m_direct >= 0;
        const int fd = direct ? m_direct : m_buffered;
        qint64 done = 0;
        while (done < length) {
            const ssize_t n = ::pread(fd, buffer + done, size_t(length - done), offset + done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                const int err = errno;
                throw Error(QStringLiteral("Cannot read pack %1 at offset %2: %3").arg(m_path).arg(offset + done).arg(errnoText(err)),
                            errnoKind(err));
            }
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

private:
    const QString m_path;
    const int m_buffered;
    const int m_direct;
    const qint64 m_size;
};

class PosixWriter final : public ObjectWriter
{
public:
    PosixWriter(QString path, int fd) : m_path(std::move(path)), m_fd(fd) {}
    ~PosixWriter() override { ::close(m_fd); }

    void writeAt(const char *data, qint64 length, qint64 offset) override
    {
        pwriteFully(m_fd, data, length, offset, m_path);
    }

    void finish() override
    {
        if (::fdatasync(m_fd) != 0) {
            const int err = errno;
            throw Error(QStringLiteral("Cannot flush pack %1: %2").arg(m_path, errnoText(err)) + writableHint(err), errnoKind(err));
        }
        // On disk now; keep it out of the page cache so a backup does not evict the host's.
        posix_fadvise(m_fd, 0, 0, POSIX_FADV_DONTNEED);
        // Its directory entry becomes durable with the index put next to it (Deferred).
    }

private:
    const QString m_path;
    const int m_fd;
};

} // namespace

PosixBackend::PosixBackend(const QString &directory) : m_root(directory) {}

QString PosixBackend::path(const QString &key) const
{
    return m_root + QLatin1Char('/') + key;
}

void PosixBackend::makeParent(const QString &file) const
{
    makeDirectory(QFileInfo(file).absolutePath());
}

bool PosixBackend::put(const QString &key, const QByteArray &data, Durability durability)
{
    const QString file = path(key);
    makeParent(file);
    if (!writeFileAtomically(file, data, false, durability == Durability::Now))
        return false;
    if (durability == Durability::Deferred) {
        std::lock_guard lock(m_mutex);
        m_unsyncedDirs.insert(QFileInfo(file).absolutePath());
    }
    return true;
}

std::unique_ptr<ObjectWriter> PosixBackend::create(const QString &key)
{
    const QString file = path(key);
    makeParent(file);
    const int fd = ::open(native(file).constData(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        const int err = errno;
        throw Error(QStringLiteral("Cannot create pack %1: %2").arg(file, errnoText(err)) + writableHint(err), errnoKind(err));
    }
    return std::make_unique<PosixWriter>(file, fd);
}

std::optional<QByteArray> PosixBackend::get(const QString &key) const
{
    const QString file = path(key);
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) {
        if (!f.exists())
            return std::nullopt;
        throw Error(QStringLiteral("Cannot read %1: %2").arg(file, f.errorString()));
    }
    return f.readAll();
}

std::unique_ptr<ObjectReader> PosixBackend::openReader(const QString &key) const
{
    const QString file = path(key);
    const QByteArray name = native(file);
    const int buffered = ::open(name.constData(), O_RDONLY | O_CLOEXEC);
    if (buffered < 0)
        throw Error(QStringLiteral("Cannot open pack %1: %2").arg(file, errnoText(errno)));
    const int direct = ::open(name.constData(), O_RDONLY | O_CLOEXEC | O_DIRECT); // may be refused: fine
    return std::make_unique<PosixReader>(file, buffered, direct, qint64(::lseek(buffered, 0, SEEK_END)));
}

std::optional<qint64> PosixBackend::head(const QString &key) const
{
    struct stat st{};
    if (::stat(native(path(key)).constData(), &st) != 0)
        return std::nullopt;
    return qint64(st.st_size);
}

QStringList PosixBackend::list(const QString &prefix) const
{
    // A key's directories are the prefix's up to its last '/'; the rest filters names.
    const QString dir = prefix.left(prefix.lastIndexOf(QLatin1Char('/')) + 1);
    QStringList keys;
    const QString base = m_root + QLatin1Char('/');
    QDirIterator it(base + dir, QDir::Files, QDirIterator::Subdirectories); // no hidden: ".tmp-*"
    while (it.hasNext()) {
        const QString key = it.next().mid(base.size());
        if (key.startsWith(prefix))
            keys.append(key);
    }
    return keys;
}

void PosixBackend::remove(const QString &key, Durability durability)
{
    const QString file = path(key);
    if (::unlink(native(file).constData()) != 0 && errno != ENOENT) {
        const int err = errno;
        throw Error(QStringLiteral("Cannot delete %1: %2").arg(file, errnoText(err)) + writableHint(err));
    }
    const QString dir = QFileInfo(file).absolutePath();
    if (durability == Durability::Now) {
        fsyncDirectory(dir);
        return;
    }
    std::lock_guard lock(m_mutex);
    m_emptiedDirs.insert(dir);
}

void PosixBackend::syncDeferred()
{
    QSet<QString> dirs, emptied;
    {
        std::lock_guard lock(m_mutex);
        dirs = std::exchange(m_unsyncedDirs, {});
        emptied = std::exchange(m_emptiedDirs, {});
    }
    for (const QString &dir : std::as_const(dirs))
        fsyncDirectory(dir);
    // Removals: an emptied pack directory goes too (a key's directories are not objects). Only
    // garbage collection removes pack objects, alone on the container, so no writer is
    // creating a pack in it meanwhile. Top-level directories stay.
    QSet<QString> parents;
    for (const QString &dir : std::as_const(emptied)) {
        fsyncDirectory(dir);
        const QString parent = QFileInfo(dir).absolutePath();
        if (parent != m_root && QDir().rmdir(dir)) // only succeeds when empty
            parents.insert(parent);
    }
    for (const QString &dir : std::as_const(parents))
        fsyncDirectory(dir);
}

void PosixBackend::removeIncomplete()
{
    for (const char *dir : {"manifests", "packs"}) {
        QDirIterator it(path(QLatin1String(dir)), {QStringLiteral(".tmp-*")}, QDir::Files | QDir::Hidden,
                        QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString file = it.next();
            if (::unlink(native(file).constData()) != 0 && errno != ENOENT) {
                const int err = errno;
                throw Error(QStringLiteral("Cannot delete %1: %2").arg(file, errnoText(err)) + writableHint(err));
            }
        }
    }
}

qint64 PosixBackend::storedBytes() const
{
    qint64 total = 0;
    QDirIterator it(m_root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QByteArray file = native(it.next());
        struct stat st{};
        if (::lstat(file.constData(), &st) == 0)
            total += qint64(st.st_blocks) * 512;
    }
    return total;
}

PosixLock::PosixLock(const QString &directory) : m_directory(directory) {}

PosixLock::~PosixLock()
{
    if (m_fd >= 0)
        ::close(m_fd); // releases the flock
}

void PosixLock::lockShared()
{
    if (m_fd < 0) { // opened here, not before: only a container gets a lock file
        const QString file = m_directory + QStringLiteral("/lock");
        m_fd = ::open(native(file).constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (m_fd < 0 && (errno == EROFS || errno == EACCES || errno == EPERM))
            m_fd = ::open(native(file).constData(), O_RDONLY | O_CLOEXEC); // flock works on it too
        if (m_fd < 0) {
            const int err = errno;
            throw Error(QStringLiteral("Cannot open the lock file %1 of the container: %2").arg(file, errnoText(err))
                        + writableHint(err));
        }
    }
    while (::flock(m_fd, LOCK_SH) != 0) {
        if (errno != EINTR)
            throw Error(QStringLiteral("Cannot lock container %1: %2").arg(m_directory, errnoText(errno)));
    }
}

void PosixLock::lockExclusive(int timeoutMsec)
{
    // Converting a shared flock drops it first when the conversion fails, so re-take it.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMsec);
    for (;;) {
        if (::flock(m_fd, LOCK_EX | LOCK_NB) == 0)
            return;
        if (errno != EWOULDBLOCK && errno != EINTR)
            throw Error(QStringLiteral("Cannot lock container %1: %2").arg(m_directory, errnoText(errno)));
        lockShared();
        if (std::chrono::steady_clock::now() >= deadline)
            throw Error(QStringLiteral("Container %1 is in use by a running backup, restore or verification; "
                                       "garbage collection did not run. Try again when it has finished.")
                            .arg(m_directory));
        QThread::msleep(100);
    }
}

} // namespace ndb
