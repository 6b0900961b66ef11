#include "repository/posix/fileio.h"

#include "util/error.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QUuid>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace ndb::fileio {

QString errnoText(int err)
{
    return QString::fromLocal8Bit(strerror(err));
}

QString writableHint(int err)
{
    if (err == ENOSPC || err == EDQUOT)
        return QStringLiteral(". The container's filesystem has no space left: free space there (delete backups "
                              "you no longer need and run gc) or choose another container");
    if (err != EROFS && err != EACCES && err != EPERM)
        return {};
    return QStringLiteral(". The container is not writable here: mount its filesystem read-write and give this "
                          "user write permission on it, or choose another container");
}

QByteArray native(const QString &path)
{
    return QFile::encodeName(path);
}

void writeFully(int fd, const char *data, qint64 length, const QString &path)
{
    qint64 done = 0;
    while (done < length) {
        const ssize_t n = ::write(fd, data + done, size_t(length - done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            const int err = errno;
            throw Error(QStringLiteral("Cannot write %1: %2").arg(path, errnoText(err)) + writableHint(err), errnoKind(err));
        }
        done += n;
    }
}

void pwriteFully(int fd, const char *data, qint64 length, qint64 offset, const QString &path)
{
    qint64 done = 0;
    while (done < length) {
        const ssize_t n = ::pwrite(fd, data + done, size_t(length - done), offset + done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            const int err = errno;
            throw Error(QStringLiteral("Cannot write %1: %2").arg(path, errnoText(err)) + writableHint(err), errnoKind(err));
        }
        done += n;
    }
}

void fsyncDirectory(const QString &dir)
{
    const int fd = ::open(native(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        throw Error(QStringLiteral("Cannot open directory %1: %2").arg(dir, errnoText(errno)));
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0 && err != EINVAL) // some filesystems cannot fsync directories
        throw Error(QStringLiteral("Cannot flush directory %1: %2").arg(dir, errnoText(err)), errnoKind(err));
}

bool writeFileAtomically(const QString &finalPath, const QByteArray &data, bool mayReplace, bool syncDirectory)
{
    const QFileInfo info(finalPath);
    const QString dir = info.absolutePath();
    const QString temp = dir + QStringLiteral("/.tmp-") + info.fileName() + QLatin1Char('-')
        + QUuid::createUuid().toString(QUuid::Id128);
    const int fd = ::open(native(temp).constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        const int err = errno;
        throw Error(QStringLiteral("Cannot create %1: %2").arg(temp, errnoText(err)) + writableHint(err), errnoKind(err));
    }
    try {
        writeFully(fd, data.constData(), data.size(), temp);
        if (::fsync(fd) != 0) {
            const int err = errno;
            throw Error(QStringLiteral("Cannot flush %1: %2").arg(temp, errnoText(err)) + writableHint(err), errnoKind(err));
        }
    } catch (...) {
        ::close(fd);
        ::unlink(native(temp).constData());
        throw;
    }
    ::close(fd);
    int rc;
    if (mayReplace) {
        rc = ::rename(native(temp).constData(), native(finalPath).constData());
    } else {
        rc = ::link(native(temp).constData(), native(finalPath).constData());
        ::unlink(native(temp).constData());
    }
    if (rc != 0) {
        const int err = errno;
        ::unlink(native(temp).constData());
        if (err == EEXIST && !mayReplace)
            return false;
        throw Error(QStringLiteral("Cannot commit %1: %2").arg(finalPath, errnoText(err)) + writableHint(err), errnoKind(err));
    }
    if (syncDirectory)
        fsyncDirectory(dir);
    return true;
}

void makeDirectory(const QString &path)
{
    if (!QDir().mkpath(path)) {
        const int err = errno;
        throw Error(QStringLiteral("Cannot create directory %1: %2").arg(path, errnoText(err)) + writableHint(err), errnoKind(err));
    }
}

} // namespace ndb::fileio
