#include "fsfreeze.h"
#include "util/error.h"

#include <QFile>
#include <QFileInfo>
#include <QTextStream>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

namespace ndb {

QString FilesystemFreeze::mountPointOf(const QString &devicePath)
{
    struct stat st {};
    if (::stat(QFile::encodeName(devicePath).constData(), &st) != 0 || !S_ISBLK(st.st_mode))
        return {};
    const QString wanted = QStringLiteral("%1:%2").arg(major(st.st_rdev)).arg(minor(st.st_rdev));
    QFile f(QStringLiteral("/proc/self/mountinfo"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    // Fields: id parent major:minor root mountpoint ... ; octal escapes for spaces.
    for (const QByteArray &line : f.readAll().split('\n')) {
        const QList<QByteArray> fields = line.split(' ');
        if (fields.size() > 4 && QString::fromLatin1(fields[2]) == wanted && fields[3] == "/") {
            QByteArray mp = fields[4];
            mp.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
            return QFile::decodeName(mp);
        }
    }
    return {};
}

FilesystemFreeze::FilesystemFreeze(const QString &mountPoint, std::chrono::milliseconds limit)
    : m_mountPoint(mountPoint)
{
    m_fd = ::open(QFile::encodeName(mountPoint).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (m_fd < 0)
        throw Error(QStringLiteral("cannot open %1 to freeze it: %2").arg(mountPoint, QString::fromLocal8Bit(strerror(errno))));
    if (::ioctl(m_fd, FIFREEZE, 0) != 0) {
        const int e = errno;
        ::close(m_fd);
        throw Error(QStringLiteral("cannot freeze filesystem at %1: %2").arg(mountPoint, QString::fromLocal8Bit(strerror(e))));
    }
    m_frozen = true;
    m_watchdog = std::thread([this, limit] {
        std::unique_lock lock(m_mutex);
        if (!m_wake.wait_for(lock, limit, [this] { return !m_frozen; })) {
            thawLocked();
            m_thawedByWatchdog = true;
        }
    });
}

FilesystemFreeze::~FilesystemFreeze()
{
    thaw();
    if (m_watchdog.joinable())
        m_watchdog.join();
    if (m_fd >= 0)
        ::close(m_fd);
}

bool FilesystemFreeze::thaw()
{
    std::lock_guard lock(m_mutex);
    const bool byWatchdog = m_thawedByWatchdog;
    thawLocked();
    m_wake.notify_all();
    return !byWatchdog;
}

bool FilesystemFreeze::thawLocked()
{
    if (!m_frozen)
        return false;
    m_frozen = false;
    return ::ioctl(m_fd, FITHAW, 0) == 0;
}

} // namespace ndb
