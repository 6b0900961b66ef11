#include "imagedriver.h"
#include "model/status.h"
#include "util/joblog.h"
#include "util/error.h"
#include "util/names.h"
#include "volumes/fsfreeze.h"
#include "volumes/loopdevice.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QTime>
#include <QFile>
#include <QFileInfo>
#include <QMap>
#include <QSet>
#include <QSysInfo>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <vector>

namespace ndb {

namespace {

const QString kImageSuffix = QStringLiteral(".img");
const QString kProbePrefix = QStringLiteral(".ndbackup-reflink-probe-"); // <pid>[-<tid>].{a,b}

QString errnoText(int e) { return QString::fromLocal8Bit(strerror(e)); }

struct Fd
{
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    ~Fd() { if (fd >= 0) ::close(fd); }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
};

using FileKey = QPair<quint64, quint64>; // st_dev, st_ino

FileKey keyOf(const struct stat &st) { return {quint64(st.st_dev), quint64(st.st_ino)}; }

bool statPath(const QString &path, struct stat &st)
{
    return ::stat(QFile::encodeName(path).constData(), &st) == 0;
}

// Access flags and inode number of an open descriptor from /proc/<pid>/fdinfo/<fd>
// ("flags:\t0100002" in octal; "ino:" since Linux 5.14, 0 when absent). False when unreadable.
bool fdInfo(const QString &pid, const QString &fd, int &flags, quint64 &inode)
{
    QFile f(QStringLiteral("/proc/%1/fdinfo/%2").arg(pid, fd));
    if (!f.open(QIODevice::ReadOnly))
        return false;
    flags = -1;
    inode = 0;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith("flags:"))
            flags = int(line.mid(6).trimmed().toUInt(nullptr, 8));
        else if (line.startsWith("ino:"))
            inode = line.mid(4).trimmed().toULongLong();
    }
    return flags >= 0;
}

QString processName(const QString &pid)
{
    QFile f(QStringLiteral("/proc/%1/comm").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromLocal8Bit(f.readAll().trimmed());
}

// Copies the data regions of `src` into `dst` (already truncated to the size), skipping holes.
// Stops with an error once `deadline` (if valid) has expired.
void sparseCopy(int src, int dst, qint64 size, const QElapsedTimer *clock, qint64 limitMs, const QString &what)
{
    constexpr qint64 kStep = 8 << 20; // check the clock at least every 8 MiB
    qint64 copied = 0;
    auto checkClock = [&] {
        if (clock && clock->elapsed() >= limitMs)
            throw Error(QStringLiteral("%1: the copy did not finish within the freeze limit of %2 ms "
                                       "(%3 of %4 bytes copied); the filesystem was thawed and the "
                                       "incomplete clone discarded")
                            .arg(what).arg(limitMs).arg(copied).arg(size));
    };
    std::vector<char> buffer;
    off_t pos = 0;
    while (pos < size) {
        off_t dataStart = ::lseek(src, pos, SEEK_DATA);
        if (dataStart < 0) {
            if (errno == ENXIO)
                break; // only a hole remains
            dataStart = pos; // SEEK_DATA unsupported: treat everything as data
        }
        off_t dataEnd = ::lseek(src, dataStart, SEEK_HOLE);
        if (dataEnd < 0)
            dataEnd = size;
        dataEnd = std::min<off_t>(dataEnd, size);
        off_t at = dataStart;
        while (at < dataEnd) {
            checkClock();
            const size_t want = size_t(std::min<qint64>(kStep, dataEnd - at));
            loff_t inOff = at, outOff = at;
            ssize_t n = ::copy_file_range(src, &inOff, dst, &outOff, want, 0);
            if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL)) {
                buffer.resize(size_t(kStep));
                n = ::pread(src, buffer.data(), want, at);
                // A short write is not an error by itself: write the rest, and the next call
                // reports the real cause (ENOSPC, EIO) in errno instead of a stale one.
                for (ssize_t written = 0; n > 0 && written < n;) {
                    const ssize_t m = ::pwrite(dst, buffer.data() + written, size_t(n - written), at + written);
                    if (m < 0 && errno == EINTR)
                        continue;
                    if (m <= 0) {
                        if (m == 0)
                            errno = ENOSPC;
                        n = -1;
                    } else {
                        written += m;
                    }
                }
            }
            if (n < 0) {
                const int err = errno;
                throw Error(QStringLiteral("%1: copy failed at offset %2: %3").arg(what).arg(at).arg(errnoText(err)), errnoKind(err));
            }
            if (n == 0)
                break; // source shrank underneath us
            at += n;
            copied += n;
        }
        pos = dataEnd;
    }
    checkClock();
}

} // namespace

// Who holds which image open: loop devices and processes with write access.
struct ImageDriver::Holders
{
    QMap<FileKey, QStringList> loops;     // "/dev/loop3"
    QMap<FileKey, QStringList> processes; // "pid 1234 (qemu)"
};

ImageDriver::ImageDriver(const QString &poolDirectory, bool freezeFilesystems, int freezeLimitMs, JobLog *log)
    : m_pool(QDir::cleanPath(QDir(poolDirectory).absolutePath()))
    , m_freeze(freezeFilesystems)
    , m_freezeLimitMs(freezeLimitMs)
    , m_log(log)
{
    reflinkSupported(); // probe once now when the pool exists; otherwise at first use
}

ImageDriver::~ImageDriver()
{
    // Temporaries attached with autoclear are released by the kernel when these close.
    for (int fd : std::as_const(m_heldLoops))
        ::close(fd);
}

QString ImageDriver::id() const { return QStringLiteral("image:") + m_pool; }
QString ImageDriver::kind() const { return QStringLiteral("image"); }

DriverCapabilities ImageDriver::capabilities() const
{
    DriverCapabilities caps;
    caps.snapshotLocalRead = reflinkSupported();
    return caps;
}

QString ImageDriver::imagePath(const QString &name) const
{
    return m_pool + QLatin1Char('/') + name + kImageSuffix;
}

bool ImageDriver::reflinkSupported() const
{
    std::lock_guard lock(m_mutex);
    if (m_reflink)
        return *m_reflink;
    if (!QFileInfo(m_pool).isDir())
        return false; // not cached: the pool may appear later
    // FICLONE between two small probe files tells whether the filesystem shares extents.
    // Named by pid (and thread: every job thread has its own driver), so that cleanup can
    // remove what a killed process left (removeLeftovers()).
    const QString base = QStringLiteral("%1/%2%3-%4").arg(m_pool, kProbePrefix).arg(::getpid()).arg(::gettid());
    const QByteArray a = QFile::encodeName(base + QStringLiteral(".a"));
    const QByteArray b = QFile::encodeName(base + QStringLiteral(".b"));
    bool supported = false;
    {
        Fd src(::open(a.constData(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        Fd dst(::open(b.constData(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        if (src.fd >= 0 && dst.fd >= 0) {
            char block[4096];
            std::memset(block, 0x5a, sizeof block);
            if (::pwrite(src.fd, block, sizeof block, 0) == ssize_t(sizeof block) && ::fsync(src.fd) == 0)
                supported = ::ioctl(dst.fd, FICLONE, src.fd) == 0;
        }
    }
    ::unlink(a.constData());
    ::unlink(b.constData());
    m_reflink = supported;
    return supported;
}

ImageDriver::Holders ImageDriver::scanHolders() const
{
    Holders holders;
    // Identities of the pool's images, so that only their holders are collected.
    QSet<FileKey> images;
    QSet<quint64> imageInodes;
    const QDir pool(m_pool);
    for (const QString &file : pool.entryList({QStringLiteral("*.img")}, QDir::Files | QDir::Hidden)) {
        struct stat st {};
        if (statPath(pool.filePath(file), st)) {
            images.insert(keyOf(st));
            imageInodes.insert(quint64(st.st_ino));
        }
    }
    if (images.isEmpty())
        return holders;

    for (const LoopDeviceInfo &loop : LoopDevice::list()) {
        FileKey key{quint64(loop.backingDevice), quint64(loop.backingInode)};
        if (loop.backingInode == 0) {
            struct stat st {};
            if (!statPath(loop.backingFile, st))
                continue;
            key = keyOf(st);
        }
        if (images.contains(key))
            holders.loops[key] << loop.device;
    }

    // Processes with an image open for writing (a VM, a database on the raw file ...).
    // Read-only opens, our own backup reads included, do not make a volume in-use.
    const QDir proc(QStringLiteral("/proc"));
    for (const QString &pid : proc.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        if (pid.isEmpty() || !pid.front().isDigit())
            continue;
        const QDir fdDir(QStringLiteral("/proc/%1/fd").arg(pid));
        const QStringList fds = fdDir.entryList(QDir::AllEntries | QDir::System | QDir::NoDotAndDotDot);
        for (const QString &fd : fds) {
            // fdinfo first: read-only descriptors and foreign inodes are skipped without a
            // stat() of the target, which could block on a hung network or FUSE filesystem.
            int flags = 0;
            quint64 inode = 0;
            if (!fdInfo(pid, fd, flags, inode) || (flags & O_ACCMODE) == O_RDONLY)
                continue;
            if (inode != 0 && !imageInodes.contains(inode))
                continue;
            struct stat st {};
            if (!statPath(fdDir.filePath(fd), st) || !S_ISREG(st.st_mode))
                continue;
            const FileKey key = keyOf(st);
            if (!images.contains(key))
                continue;
            const QString holder = QStringLiteral("pid %1 (%2)").arg(pid, processName(pid));
            if (!holders.processes[key].contains(holder))
                holders.processes[key] << holder;
        }
    }
    return holders;
}

Volume ImageDriver::describe(const QString &name, const Holders &holders) const
{
    const QString path = imagePath(name);
    struct stat st {};
    if (!statPath(path, st))
        throw Error(QStringLiteral("volume '%1' does not exist in image pool %2").arg(name, m_pool));
    Volume v;
    v.driverId = id();
    v.name = name;
    v.id = v.driverId + QLatin1Char('/') + name;
    v.host = QSysInfo::machineHostName();
    v.size = qint64(st.st_size);
    v.path = path;
    const QStringList users = holders.loops.value(keyOf(st)) + holders.processes.value(keyOf(st));
    v.status = users.isEmpty() ? VolumeStatus::Available : VolumeStatus::InUse;
    v.attachedTo = users.join(QStringLiteral(", "));
    return v;
}

void ImageDriver::requireExisting(const QString &name) const
{
    if (!QFileInfo(imagePath(name)).isFile())
        throw Error(QStringLiteral("volume '%1' does not exist in image pool %2").arg(name, m_pool));
}

Volume ImageDriver::volumeSync(const QString &name) const
{
    validateName(name, QStringLiteral("volume"));
    requireExisting(name);
    return describe(name, scanHolders());
}

QList<Volume> ImageDriver::listVolumesSync(bool includeTemporaries) const
{
    if (!QFileInfo(m_pool).isDir())
        throw Error(QStringLiteral("image pool %1 is not a directory").arg(m_pool));
    const Holders holders = scanHolders();
    QList<Volume> volumes;
    const QDir pool(m_pool);
    for (const QString &file : pool.entryList({QStringLiteral("*.img")}, QDir::Files, QDir::Name)) {
        const QString name = file.chopped(kImageSuffix.size());
        try {
            validateName(name, QStringLiteral("volume"));
        } catch (const Error &) {
            continue; // not a name we could ever address safely
        }
        // The engine's temporaries are listed by listTemporaries(), not as inventory.
        if (!includeTemporaries && name.startsWith(QLatin1String(kTempPrefix)))
            continue;
        try {
            volumes << describe(name, holders);
        } catch (const Error &) {
            // removed between the listing and the stat
        }
    }
    return volumes;
}

QCoro::Task<QList<Volume>> ImageDriver::listVolumes()
{
    co_return listVolumesSync();
}

QCoro::Task<Volume> ImageDriver::volume(QString name)
{
    co_return volumeSync(name);
}

QCoro::Task<Volume> ImageDriver::createVolume(QString name, qint64 size)
{
    validateUserName(name, QStringLiteral("volume"));
    if (size <= 0 || size % 512 != 0)
        throw Error(QStringLiteral("volume size must be a positive multiple of 512 bytes (got %1)").arg(size));
    if (!QFileInfo(m_pool).isDir())
        throw Error(QStringLiteral("image pool %1 is not a directory").arg(m_pool));
    const QString path = imagePath(name);
    {
        Fd fd(::open(QFile::encodeName(path).constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (fd.fd < 0)
            throw Error(errno == EEXIST ? QStringLiteral("volume '%1' already exists in image pool %2").arg(name, m_pool)
                                        : QStringLiteral("cannot create %1: %2").arg(path, errnoText(errno)));
        if (::ftruncate(fd.fd, size) != 0) { // sparse: no blocks allocated
            const int e = errno;
            ::unlink(QFile::encodeName(path).constData());
            throw Error(QStringLiteral("cannot size %1 to %2 bytes: %3").arg(path).arg(size).arg(errnoText(e)));
        }
    }
    co_return volumeSync(name);
}

QCoro::Task<void> ImageDriver::deleteVolume(QString name)
{
    validateName(name, QStringLiteral("volume"));
    const Volume v = volumeSync(name);
    if (v.status != VolumeStatus::Available)
        throw Error(QStringLiteral("volume '%1' is in-use (%2) and cannot be deleted").arg(name, v.attachedTo));
    if (::unlink(QFile::encodeName(v.path).constData()) != 0 && errno != ENOENT)
        throw Error(QStringLiteral("cannot delete %1: %2").arg(v.path, errnoText(errno)));
    co_return;
}

struct ImageDriver::CopyPlan
{
    QList<QPair<QString, QString>> mountPoints; // mount point, loop device: frozen for the copy
    QString consistency;
    QString noFreezeReason; // why nothing is frozen (for the job log)
};

ImageDriver::CopyPlan ImageDriver::planCopy(const QString &sourceName) const
{
    CopyPlan plan;
    const QString srcPath = imagePath(sourceName);
    // Filesystems mounted from the source (through its loop devices) are frozen for the instant.
    QList<QPair<QString, QString>> mounted;
    const QStringList loops = LoopDevice::devicesFor(srcPath);
    for (const QString &loop : loops) {
        const QString mp = FilesystemFreeze::mountPointOf(loop);
        if (!mp.isEmpty())
            mounted << qMakePair(mp, loop);
    }
    struct stat st {};
    const bool held = statPath(srcPath, st) && scanHolders().processes.contains(keyOf(st));
    const bool inUse = !loops.isEmpty() || held;
    const bool reflink = reflinkSupported();
    if (m_freeze)
        plan.mountPoints = mounted;
    if (!plan.mountPoints.isEmpty())
        plan.consistency = reflink ? Consistency::FrozenSnapshot : Consistency::FrozenCopy;
    else if (reflink)
        plan.consistency = inUse ? Consistency::Snapshot : Consistency::Detached;
    else
        plan.consistency = inUse ? Consistency::NotPointInTime : Consistency::Detached;
    if (plan.mountPoints.isEmpty())
        plan.noFreezeReason = !inUse ? QStringLiteral("the volume is not in use")
                              : !mounted.isEmpty() ? QStringLiteral("freezing filesystems is turned off (freeze_filesystems)")
                                                   : QStringLiteral("no mounted filesystem on the volume");
    return plan;
}

QCoro::Task<QString> ImageDriver::plannedCopyConsistency(QString volume)
{
    validateName(volume, QStringLiteral("volume"));
    requireExisting(volume);
    co_return planCopy(volume).consistency;
}

QString ImageDriver::copyConsistency(const QString &copyName) const
{
    std::lock_guard lock(m_mutex);
    return m_copyConsistency.value(copyName, Consistency::Unknown);
}

void ImageDriver::cloneImage(const QString &sourceName, const QString &targetName)
{
    const QString what = QStringLiteral("clone of volume '%1' to '%2'").arg(sourceName, targetName);
    const QString srcPath = imagePath(sourceName);
    const QString dstPath = imagePath(targetName);
    const QByteArray dstBytes = QFile::encodeName(dstPath);

    Fd src(::open(QFile::encodeName(srcPath).constData(), O_RDONLY | O_CLOEXEC));
    if (src.fd < 0)
        throw Error(QStringLiteral("%1: cannot open the source: %2").arg(what, errnoText(errno)));
    struct stat st {};
    ::fstat(src.fd, &st);
    Fd dst(::open(dstBytes.constData(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (dst.fd < 0)
        throw Error(errno == EEXIST ? QStringLiteral("%1: '%2' already exists").arg(what, targetName)
                                    : QStringLiteral("%1: cannot create %2: %3").arg(what, dstPath, errnoText(errno)));
    // From here on the target exists; any failure removes it.
    try {
        const CopyPlan plan = planCopy(sourceName);
        std::vector<std::unique_ptr<FilesystemFreeze>> freezes;
        QElapsedTimer frozenFor;
        for (const auto &[mp, loop] : std::as_const(plan.mountPoints)) {
            freezes.push_back(std::make_unique<FilesystemFreeze>(mp, std::chrono::milliseconds(m_freezeLimitMs), loop));
            frozenFor.start();
            if (m_log)
                m_log->info(QStringLiteral("froze %1 (%2 on %3) at %4")
                                .arg(mp, FilesystemFreeze::filesystemTypeOf(loop), loop,
                                     QTime::currentTime().toString(QStringLiteral("HH:mm:ss"))));
        }
        if (m_log && freezes.empty())
            m_log->info(QStringLiteral("no filesystem freeze: %1").arg(plan.noFreezeReason));
        if (plan.consistency == Consistency::Snapshot && m_log) {
            // Without a filesystem we can quiesce, a reflink is still one instant (crash
            // consistent); a plain copy is not: blocks written during the copy may or may not
            // be in it. Make that visible in the job's log.
            m_log->info(QStringLiteral("%1 is crash-consistent only: the source is in use without a "
                                       "mounted filesystem that could be frozen").arg(what));
        } else if (plan.consistency == Consistency::NotPointInTime && m_log) {
            m_log->warning(QStringLiteral("%1 is a plain copy of an in-use volume without a "
                                          "filesystem that could be frozen; it is not a point-in-time copy").arg(what));
        }

        QElapsedTimer clock;
        clock.start();
        if (reflinkSupported()) {
            if (::ioctl(dst.fd, FICLONE, src.fd) != 0)
                throw Error(QStringLiteral("%1: reflink (FICLONE) failed: %2").arg(what, errnoText(errno)));
        } else {
            if (::ftruncate(dst.fd, st.st_size) != 0)
                throw Error(QStringLiteral("%1: cannot size the target: %2").arg(what, errnoText(errno)));
            sparseCopy(src.fd, dst.fd, qint64(st.st_size), freezes.empty() ? nullptr : &clock,
                       m_freezeLimitMs, what);
        }
        for (auto &freeze : freezes) {
            if (!freeze->thaw())
                throw Error(QStringLiteral("%1: the filesystem at %2 was thawed by the %3 ms freeze limit before "
                                           "the copy was complete; the clone was discarded")
                                .arg(what, freeze->mountPoint()).arg(m_freezeLimitMs));
            if (m_log)
                m_log->info(QStringLiteral("thawed %1 after %2 ms").arg(freeze->mountPoint()).arg(frozenFor.elapsed()));
        }
        freezes.clear();
        if (::fsync(dst.fd) != 0)
            throw Error(QStringLiteral("%1: cannot flush the target: %2").arg(what, errnoText(errno)));
        std::lock_guard lock(m_mutex);
        m_copyConsistency.insert(targetName, plan.consistency);
    } catch (...) {
        ::unlink(dstBytes.constData());
        throw;
    }
}

QCoro::Task<Volume> ImageDriver::createVolumeFromSource(QString source, QString name)
{
    validateName(source, QStringLiteral("source volume"));
    validateName(name, QStringLiteral("volume"));
    requireExisting(source);
    cloneImage(source, name);
    co_return volumeSync(name);
}

QCoro::Task<QString> ImageDriver::attach(QString name)
{
    validateName(name, QStringLiteral("volume"));
    requireExisting(name);
    const QString path = imagePath(name);
    const QStringList bound = LoopDevice::devicesFor(path);
    for (const LoopDeviceInfo &info : LoopDevice::list()) {
        if (!info.readOnly && bound.contains(info.device))
            co_return info.device; // already attached read-write: attaching is idempotent
    }
    TemporaryObject temp;
    if (parseTemporaryName(name, temp)) {
        // Our own temporary: autoclear, held open here, so a crash cannot leave it bound.
        int fd = -1;
        const QString device = LoopDevice::attachHeld(path, {false, true}, fd);
        std::lock_guard lock(m_mutex);
        if (m_heldLoops.contains(name))
            ::close(m_heldLoops.take(name));
        m_heldLoops.insert(name, fd);
        co_return device;
    }
    co_return LoopDevice::attach(path);
}

void ImageDriver::releaseLoops(const QString &name, bool refuseMounted)
{
    const QString path = imagePath(name);
    const QStringList loops = LoopDevice::devicesFor(path);
    if (refuseMounted) {
        for (const QString &loop : loops) {
            const QString mp = FilesystemFreeze::mountPointOf(loop);
            if (!mp.isEmpty())
                throw Error(QStringLiteral("volume '%1' is attached as %2 with a filesystem mounted at %3; "
                                           "not detaching it from its user").arg(name, loop, mp));
            const QDir holders(QStringLiteral("/sys/block/%1/holders").arg(QFileInfo(loop).fileName()));
            if (!holders.entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System).isEmpty())
                throw Error(QStringLiteral("volume '%1' is attached as %2, which is used by another device; "
                                           "not detaching it").arg(name, loop));
        }
    }
    {
        std::lock_guard lock(m_mutex);
        if (m_heldLoops.contains(name))
            ::close(m_heldLoops.take(name)); // autoclear releases it on this close
    }
    for (const QString &loop : loops) {
        LoopDevice::detach(loop);
        if (!LoopDevice::waitUnbound(loop, 2000) && m_log)
            m_log->info(QStringLiteral("%1 (volume '%2') is still open elsewhere; the kernel releases it "
                                       "at its last close").arg(loop, name));
    }
}

QCoro::Task<void> ImageDriver::detach(QString name)
{
    validateName(name, QStringLiteral("volume"));
    releaseLoops(name, true);
    co_return;
}

// Image files are sparse: their sources report the holes, which are then never read.
QCoro::Task<std::unique_ptr<BlockSource>> ImageDriver::openVolumeSource(QString name)
{
    validateName(name, QStringLiteral("volume"));
    requireExisting(name);
    co_return openFileSource(imagePath(name));
}

QCoro::Task<std::unique_ptr<BlockSource>> ImageDriver::openSnapshotSource(SnapshotHandle snapshot)
{
    validateName(snapshot.name, QStringLiteral("snapshot"));
    co_return openFileSource(imagePath(snapshot.name));
}

QCoro::Task<std::unique_ptr<BlockSink>> ImageDriver::openVolumeSink(QString name)
{
    validateName(name, QStringLiteral("volume"));
    requireExisting(name);
    co_return openFileSink(imagePath(name));
}

QCoro::Task<SnapshotHandle> ImageDriver::createSnapshot(QString volume, QString snapshotName)
{
    validateName(volume, QStringLiteral("volume"));
    validateName(snapshotName, QStringLiteral("snapshot"));
    requireExisting(volume);
    if (!reflinkSupported())
        throw Error(QStringLiteral("image pool %1 is on a filesystem without reflink support; it cannot take "
                                   "snapshots (a temporary volume is used instead)").arg(m_pool));
    cloneImage(volume, snapshotName);
    SnapshotHandle handle;
    handle.name = snapshotName;
    handle.path = imagePath(snapshotName);
    struct stat st {};
    if (statPath(handle.path, st))
        handle.providerId = QString::number(quint64(st.st_ino));
    handle.providerLocation = m_pool;
    co_return handle;
}

QString ImageDriver::snapshotProblem(const QString &snapshotName)
{
    const QString path = imagePath(snapshotName);
    if (!QFileInfo(path).isFile())
        return QStringLiteral("snapshot %1 of image pool %2 is gone (its file %3 was removed)").arg(snapshotName, m_pool, path);
    return {};
}

QCoro::Task<void> ImageDriver::deleteSnapshot(QString snapshotName)
{
    validateName(snapshotName, QStringLiteral("snapshot"));
    releaseLoops(snapshotName, true);
    const QString path = imagePath(snapshotName);
    if (::unlink(QFile::encodeName(path).constData()) != 0 && errno != ENOENT)
        throw Error(QStringLiteral("cannot delete snapshot %1: %2").arg(path, errnoText(errno)));
    co_return;
}

QCoro::Task<QList<TemporaryObject>> ImageDriver::listTemporaries()
{
    QList<TemporaryObject> result;
    const QDir pool(m_pool);
    for (const QString &file : pool.entryList({QLatin1String(kTempPrefix) + QStringLiteral("*.img")}, QDir::Files, QDir::Name)) {
        TemporaryObject object;
        if (parseTemporaryName(file.chopped(kImageSuffix.size()), object))
            result << object;
    }
    co_return result;
}

QCoro::Task<QStringList> ImageDriver::removeLeftovers()
{
    // Reflink probe files of processes that died between creating and unlinking them.
    QStringList removed;
    const QDir pool(m_pool);
    for (const QString &file : pool.entryList({kProbePrefix + QLatin1Char('*')}, QDir::Files | QDir::Hidden | QDir::System)) {
        const QString rest = file.mid(kProbePrefix.size());
        qsizetype digits = 0;
        while (digits < rest.size() && rest[digits].isDigit())
            ++digits;
        bool ok = false;
        const qint64 pid = rest.left(digits).toLongLong(&ok);
        if (!ok || pid <= 0)
            continue; // not a name we wrote
        const bool dead = ::kill(pid_t(pid), 0) != 0 && errno == ESRCH;
        if (!dead)
            continue; // its process still runs (perhaps probing right now)
        if (::unlink(QFile::encodeName(pool.filePath(file)).constData()) == 0)
            removed << pool.filePath(file);
        else if (errno != ENOENT)
            throw Error(QStringLiteral("cannot remove %1: %2").arg(pool.filePath(file), errnoText(errno)));
    }
    co_return removed;
}

QCoro::Task<void> ImageDriver::removeTemporary(TemporaryObject object)
{
    validateName(object.name, QStringLiteral("temporary object"));
    TemporaryObject parsed;
    if (!parseTemporaryName(object.name, parsed))
        throw Error(QStringLiteral("'%1' is not a temporary object name; refusing to remove it").arg(object.name));
    // Whatever state it is in: a busy loop device is released by the kernel at its last close.
    releaseLoops(object.name, false);
    const QString path = imagePath(object.name);
    if (::unlink(QFile::encodeName(path).constData()) != 0 && errno != ENOENT)
        throw Error(QStringLiteral("cannot delete temporary %1: %2").arg(path, errnoText(errno)));
    co_return;
}

} // namespace ndb
