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

namespace {
// Mount point and filesystem type of the filesystem whose source is block device `devicePath`.
QPair<QString, QString> mountOf(const QString &devicePath)
{
    struct stat st {};
    if (::stat(QFile::encodeName(devicePath).constData(), &st) != 0 || !S_ISBLK(st.st_mode))
        return {};
    const QString wanted = QStringLiteral("%1:%2").arg(major(st.st_rdev)).arg(minor(st.st_rdev));
    QFile f(QStringLiteral("/proc/self/mountinfo"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    // Fields: id parent major:minor root mountpoint ... - fstype source ...; octal escapes for spaces.
    for (const QByteArray &line : f.readAll().split('\n')) {
        const QList<QByteArray> fields = line.split(' ');
        if (fields.size() > 4 && QString::fromLatin1(fields[2]) == wanted && fields[3] == "/") {
            QByteArray mp = fields[4];
            mp.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
            const qsizetype dash = fields.indexOf("-");
            const QString type = dash > 0 && dash + 1 < fields.size() ? QString::fromLatin1(fields[dash + 1]) : QString();
            return {QFile::decodeName(mp), type};
        }
    }
    return {};
}
} // namespace

QString FilesystemFreeze::mountPointOf(const QString &devicePath)
{
    return mountOf(devicePath).first;
}

QString FilesystemFreeze::filesystemTypeOf(const QString &devicePath)
{
    return mountOf(devicePath).second;
}

namespace {

thread_local FreezeJournal *t_journal = nullptr;

QString errnoText(int e) { return QString::fromLocal8Bit(strerror(e)); }

// The guard's side (see GuardActions: raw system calls only): FIFREEZE when started, FITHAW at the
// limit or when released, whichever comes first.
struct FreezeGuard
{
    int mountFd = -1;
    long long limitMs = 0;
    bool thawedByLimit = false;

    static int take(void *context)
    {
        auto *g = static_cast<FreezeGuard *>(context);
        return ::ioctl(g->mountFd, FIFREEZE, 0) == 0 ? 0 : errno;
    }
    static long long tick(void *context, long long elapsedMs)
    {
        auto *g = static_cast<FreezeGuard *>(context);
        if (elapsedMs < g->limitMs)
            return g->limitMs - elapsedMs;
        ::ioctl(g->mountFd, FITHAW, 0);
        g->thawedByLimit = true; // the guard stays until the owner asks, so that it learns this
        return -1;
    }
    static bool release(void *context, bool)
    {
        auto *g = static_cast<FreezeGuard *>(context);
        if (!g->thawedByLimit)
            ::ioctl(g->mountFd, FITHAW, 0);
        return g->thawedByLimit;
    }
};

} // namespace

FreezeJournal *FilesystemFreeze::threadJournal() { return t_journal; }
void FilesystemFreeze::setThreadJournal(FreezeJournal *journal) { t_journal = journal; }

bool FilesystemFreeze::thawMountPoint(const QString &mountPoint, QString *error)
{
    const int fd = ::open(QFile::encodeName(mountPoint).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (error)
            *error = QStringLiteral("cannot open %1 to thaw it: %2").arg(mountPoint, errnoText(errno));
        return false;
    }
    const bool thawed = ::ioctl(fd, FITHAW, 0) == 0;
    const int e = errno;
    ::close(fd);
    if (!thawed && error && e != EINVAL) // EINVAL: it was not frozen
        *error = QStringLiteral("cannot thaw %1: %2").arg(mountPoint, errnoText(e));
    return thawed;
}

FilesystemFreeze::FilesystemFreeze(const QString &mountPoint, std::chrono::milliseconds limit, const QString &device)
    : m_mountPoint(mountPoint)
    , m_journal(t_journal)
{
    const int mountFd = ::open(QFile::encodeName(mountPoint).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (mountFd < 0)
        throw Error(QStringLiteral("cannot open %1 to freeze it: %2").arg(mountPoint, errnoText(errno)));
    // Recorded before FIFREEZE: whatever instant this process dies at, cleanup knows what to thaw.
    if (m_journal) {
        try {
            FreezeRecord record;
            record.kind = QString::fromLatin1(FreezeRecord::kFilesystem);
            record.target = mountPoint;
            record.device = device;
            m_recordId = m_journal->add(record);
        } catch (...) {
            ::close(mountFd);
            throw;
        }
    }
    FreezeGuard guard;
    guard.mountFd = mountFd;
    guard.limitMs = limit.count();
    GuardActions actions;
    actions.name = "ndb-freeze";
    actions.context = &guard;
    actions.keepFd = mountFd;
    actions.take = &FreezeGuard::take;
    actions.tick = &FreezeGuard::tick;
    actions.release = &FreezeGuard::release;
    QString failure;
    const bool started = m_guard.start(actions, &failure);
    ::close(mountFd);
    if (!started) {
        m_thawed = true;
        thawMountPoint(mountPoint); // in case the guard froze it and died before saying so
        if (m_journal && m_recordId)
            m_journal->remove(m_recordId);
        throw Error(QStringLiteral("cannot freeze filesystem at %1: %2").arg(mountPoint, failure));
    }
    if (m_journal && m_recordId) {
        try {
            m_journal->setGuard(m_recordId, m_guard.pid());
        } catch (const Error &) {
            // Only informative; the record itself is what cleanup needs.
        }
    }
}

FilesystemFreeze::~FilesystemFreeze()
{
    try {
        thaw();
    } catch (...) {
    }
}

bool FilesystemFreeze::thaw()
{
    if (m_thawed)
        return !m_thawedByLimit;
    m_thawed = true;
    const GuardProcess::Outcome outcome = m_guard.stop();
    if (outcome == GuardProcess::Outcome::Gone)
        thawMountPoint(m_mountPoint); // the guard is gone without answering: thaw here
    m_thawedByLimit = outcome == GuardProcess::Outcome::ReleasedByLimit;
    if (m_journal && m_recordId) {
        try {
            m_journal->remove(m_recordId);
        } catch (const Error &) {
            // A stale record is harmless: cleanup thaws only for dead owners, EINVAL when not frozen.
        }
    }
    return !m_thawedByLimit;
}

} // namespace ndb
