// FileBlockSource / FileBlockSink: regular files and block devices.
#include "volumes/blockdevice.h"

#include "util/error.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ndb {

namespace {

constexpr qint64 kAlign = 4096;

// EIO and a full disk are the storage's failure (ErrorKind::Storage), not ours.
Error sysError(const QString &what, const QString &path, int err)
{
    return Error(QStringLiteral("%1 %2: %3").arg(what, path, QString::fromLocal8Bit(strerror(err))), errnoKind(err));
}

qint64 deviceOrFileSize(int fd, const QString &path)
{
    struct stat st{};
    if (fstat(fd, &st) != 0)
        throw sysError(QStringLiteral("Cannot stat"), path, errno);
    if (S_ISBLK(st.st_mode)) {
        quint64 bytes = 0;
        if (ioctl(fd, BLKGETSIZE64, &bytes) != 0)
            throw sysError(QStringLiteral("Cannot get the size of block device"), path, errno);
        return qint64(bytes);
    }
    if (!S_ISREG(st.st_mode))
        throw Error(QStringLiteral("%1 is neither a regular file nor a block device").arg(path));
    return st.st_size;
}

bool isBlockDevice(int fd)
{
    struct stat st{};
    return fstat(fd, &st) == 0 && S_ISBLK(st.st_mode);
}

// Positioned read of exactly `length` bytes unless EOF; retries short reads and EINTR.
qint64 preadFully(int fd, char *buffer, qint64 length, qint64 offset, const QString &path)
{
    qint64 done = 0;
    while (done < length) {
        const ssize_t n = ::pread(fd, buffer + done, size_t(length - done), offset + done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw sysError(QStringLiteral("Read error at offset %1 of").arg(offset + done), path, errno);
        }
        if (n == 0)
            break;
        done += n;
    }
    return done;
}

class FileBlockSource final : public BlockSource
{
public:
    explicit FileBlockSource(const QString &path) : m_path(path)
    {
        const QByteArray native = path.toLocal8Bit();
        m_bufferedFd = ::open(native.constData(), O_RDONLY | O_CLOEXEC);
        if (m_bufferedFd < 0)
            throw sysError(QStringLiteral("Cannot open"), path, errno);
        m_size = deviceOrFileSize(m_bufferedFd, path);
        // O_DIRECT keeps the host's page cache intact; tmpfs and some others refuse it.
        m_directFd = ::open(native.constData(), O_RDONLY | O_CLOEXEC | O_DIRECT);
        posix_fadvise(m_bufferedFd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    ~FileBlockSource() override
    {
        if (m_directFd >= 0)
            ::close(m_directFd);
        ::close(m_bufferedFd);
    }

    qint64 size() const override { return m_size; }
    QString description() const override
    {
        return m_directFd >= 0 ? m_path + QStringLiteral(" (direct I/O)") : m_path;
    }

    // A sparse image file knows its holes; a block device does not tell (nullopt).
    std::optional<QList<Extent>> allocatedExtents() const override
    {
        if (isBlockDevice(m_bufferedFd))
            return std::nullopt;
        QList<Extent> extents;
        qint64 offset = 0;
        while (offset < m_size) {
            const off_t data = ::lseek(m_bufferedFd, offset, SEEK_DATA);
            if (data < 0) {
                if (errno == ENXIO)
                    break; // only a hole is left
                return std::nullopt; // the filesystem cannot tell: read everything
            }
            off_t hole = ::lseek(m_bufferedFd, data, SEEK_HOLE);
            if (hole < 0)
                return std::nullopt;
            hole = qMin<off_t>(hole, m_size);
            if (hole > data)
                extents.append(Extent{qint64(data), qint64(hole - data)});
            offset = hole;
        }
        return extents;
    }

    qint64 readAt(char *buffer, qint64 length, qint64 offset) override
    {
        if (offset >= m_size || length <= 0)
            return 0;
        length = qMin(length, m_size - offset);
        const bool aligned = (quintptr(buffer) % kAlign) == 0 && offset % kAlign == 0;
        if (m_directFd >= 0 && aligned) {
            const qint64 directPart = length - length % kAlign;
            qint64 done = 0;
            if (directPart > 0) {
                done = preadFully(m_directFd, buffer, directPart, offset, m_path);
                if (done < directPart)
                    return done;
            }
            if (done < length) // unaligned tail: read it buffered and drop it again
                done += bufferedRead(buffer + done, length - done, offset + done);
            return done;
        }
        return bufferedRead(buffer, length, offset);
    }

private:
    qint64 bufferedRead(char *buffer, qint64 length, qint64 offset)
    {
        const qint64 n = preadFully(m_bufferedFd, buffer, length, offset, m_path);
        // Drop what we read so that a backup does not evict the workload's cache.
        posix_fadvise(m_bufferedFd, offset, n, POSIX_FADV_DONTNEED);
        return n;
    }

    QString m_path;
    int m_bufferedFd = -1;
    int m_directFd = -1;
    qint64 m_size = 0;
};

class FileBlockSink final : public BlockSink
{
public:
    FileBlockSink(const QString &path, qint64 createSize) : m_path(path)
    {
        const QByteArray native = path.toLocal8Bit();
        int flags = O_WRONLY | O_CLOEXEC;
        if (createSize > 0)
            flags |= O_CREAT | O_TRUNC;
        m_fd = ::open(native.constData(), flags, 0600);
        if (m_fd < 0)
            throw sysError(QStringLiteral("Cannot open for writing"), path, errno);
        m_blockDevice = isBlockDevice(m_fd);
        if (createSize > 0 && !m_blockDevice) {
            if (::ftruncate(m_fd, createSize) != 0) {
                const int err = errno;
                ::close(m_fd);
                throw sysError(QStringLiteral("Cannot size"), path, err);
            }
            m_freshSparse = true; // a truncated new file reads as zeroes already
        }
        try {
            m_size = deviceOrFileSize(m_fd, path);
        } catch (...) {
            ::close(m_fd);
            throw;
        }
        // Aligned writes bypass the page cache: no copy into it (half a restore's system CPU)
        // and the host's cache is left to the workload. Refused on tmpfs and some others: fine.
        // Reopened through our own descriptor, so it is the same inode even if the path changed.
        m_directFd = ::open(QByteArray("/proc/self/fd/" + QByteArray::number(m_fd)).constData(),
                            O_WRONLY | O_CLOEXEC | O_DIRECT);
    }
    ~FileBlockSink() override
    {
        if (m_directFd >= 0)
            ::close(m_directFd);
        ::close(m_fd);
    }

    qint64 size() const override { return m_size; }
    QString description() const override { return m_path; }

    void writeAt(const char *buffer, qint64 length, qint64 offset) override
    {
        checkRange(length, offset);
        qint64 done = 0;
        if (m_directUsable && m_directFd >= 0 && quintptr(buffer) % kAlign == 0 && offset % kAlign == 0)
            done = directWrite(buffer, length - length % kAlign, offset);
        if (done < length)
            bufferedWrite(buffer + done, length - done, offset + done);
    }

    void writeZeroes(qint64 length, qint64 offset) override
    {
        checkRange(length, offset);
        if (length <= 0 || m_freshSparse)
            return; // a freshly truncated file is a hole already
        if (m_blockDevice) {
            quint64 range[2] = {quint64(offset), quint64(length)};
            if (offset % 512 == 0 && length % 512 == 0 && ioctl(m_fd, BLKZEROOUT, range) == 0)
                return;
        } else if (fallocate(m_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) == 0) {
            return;
        }
        static const QByteArray zeroes(1 << 20, '\0');
        for (qint64 done = 0; done < length;) {
            const qint64 n = qMin<qint64>(zeroes.size(), length - done);
            writeAt(zeroes.constData(), n, offset + done);
            done += n;
        }
    }

    void finish() override
    {
        // One fdatasync covers both descriptors: it flushes the file's data and the metadata of
        // the blocks the direct writes allocated.
        if (::fdatasync(m_fd) != 0)
            throw sysError(QStringLiteral("Cannot flush"), m_path, errno);
        // The restored data is on disk now; do not leave it crowding out the host's cache.
        posix_fadvise(m_fd, 0, 0, POSIX_FADV_DONTNEED);
    }

private:
    void checkRange(qint64 length, qint64 offset) const
    {
        if (offset < 0 || length < 0 || offset + length > m_size)
            throw Error(QStringLiteral("Write of %1 bytes at offset %2 is beyond the end of %3 (%4 bytes)")
                            .arg(length).arg(offset).arg(m_path).arg(m_size));
    }

    // Writes what it can of `length` aligned bytes directly and returns how much; the caller
    // writes the rest buffered, which also names any real error. EINVAL before any byte means the
    // filesystem or device wants another alignment: only buffered writes are used from then on.
    qint64 directWrite(const char *buffer, qint64 length, qint64 offset)
    {
        qint64 done = 0;
        while (done < length) {
            const ssize_t n = ::pwrite(m_directFd, buffer + done, size_t(length - done), offset + done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EINVAL && done == 0)
                m_directUsable = false;
            if (n <= 0)
                break;
            done += n;
            if (n % kAlign)
                break; // a short write left the rest unaligned
        }
        return done;
    }

    void bufferedWrite(const char *buffer, qint64 length, qint64 offset)
    {
        qint64 done = 0;
        while (done < length) {
            const ssize_t n = ::pwrite(m_fd, buffer + done, size_t(length - done), offset + done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                throw sysError(QStringLiteral("Write error at offset %1 of").arg(offset + done), m_path, errno);
            done += n;
        }
        // Start writeback as we go and drop what is already clean, instead of piling the whole
        // volume up as dirty cache for one long flush at the end.
        const qint64 before = m_unflushed.fetch_add(length);
        if (before / kWritebackStep != (before + length) / kWritebackStep)
            posix_fadvise(m_fd, 0, 0, POSIX_FADV_DONTNEED);
    }

    QString m_path;
    int m_fd = -1;
    int m_directFd = -1;
    std::atomic<bool> m_directUsable{true};
    qint64 m_size = 0;
    bool m_blockDevice = false;
    bool m_freshSparse = false;
    std::atomic<qint64> m_unflushed{0};
    static constexpr qint64 kWritebackStep = 64ll * 1024 * 1024;
};

} // namespace

std::unique_ptr<BlockSource> openFileSource(const QString &path)
{
    return std::make_unique<FileBlockSource>(path);
}

std::unique_ptr<BlockSink> openFileSink(const QString &path, qint64 createSize)
{
    return std::make_unique<FileBlockSink>(path, createSize);
}

} // namespace ndb
