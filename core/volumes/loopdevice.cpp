#include "loopdevice.h"
#include "util/error.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QThread>

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

namespace ndb {

namespace {

QString errnoText(int e) { return QString::fromLocal8Bit(strerror(e)); }

QByteArray readSysfs(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll().trimmed();
}

// Closes a descriptor on scope exit unless released.
struct Fd
{
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    ~Fd() { if (fd >= 0) ::close(fd); }
    int release() { int f = fd; fd = -1; return f; }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
};

// The loop ioctls report the backing file's device in the kernel's "huge" encoding.
dev_t decodeKernelDev(quint64 dev)
{
    const unsigned maj = unsigned((dev & 0xfff00) >> 8);
    const unsigned min = unsigned((dev & 0xff) | ((dev >> 12) & 0xfff00));
    return makedev(maj, min);
}

// /dev/loopN for index n; creates the node from /sys/block/loopN/dev when it is missing
// (containers without udev only have the first few).
QString ensureNode(int n)
{
    const QString path = QStringLiteral("/dev/loop%1").arg(n);
    const QByteArray pathBytes = QFile::encodeName(path);
    struct stat st {};
    if (::stat(pathBytes.constData(), &st) == 0 && S_ISBLK(st.st_mode))
        return path;
    const QList<QByteArray> mm = readSysfs(QStringLiteral("/sys/block/loop%1/dev").arg(n)).split(':');
    if (mm.size() != 2)
        throw Error(QStringLiteral("loop device %1 has no entry in /sys/block").arg(path));
    const dev_t rdev = makedev(mm[0].toUInt(), mm[1].toUInt());
    if (::mknod(pathBytes.constData(), S_IFBLK | 0660, rdev) != 0 && errno != EEXIST)
        throw Error(QStringLiteral("cannot create device node %1: %2").arg(path, errnoText(errno)));
    return path;
}

QString attachImpl(const QString &file, LoopDevice::Options options, int *heldFd)
{
    const QByteArray fileBytes = QFile::encodeName(file);
    Fd backing(::open(fileBytes.constData(), (options.readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC));
    if (backing.fd < 0)
        throw Error(QStringLiteral("cannot open %1 for a loop device: %2").arg(file, errnoText(errno)));
    Fd control(::open("/dev/loop-control", O_RDWR | O_CLOEXEC));
    if (control.fd < 0)
        throw Error(QStringLiteral("cannot open /dev/loop-control: %1 (is the loop module loaded, are we root?)")
                        .arg(errnoText(errno)));

    quint32 flags = 0;
    if (options.readOnly)
        flags |= LO_FLAGS_READ_ONLY;
    if (options.autoClear)
        flags |= LO_FLAGS_AUTOCLEAR;
    const QByteArray absolute = QFile::encodeName(QFileInfo(file).absoluteFilePath());

    // Another process may take the free device between GET_FREE and CONFIGURE: retry.
    int lastErrno = 0;
    for (int attempt = 0; attempt < 50; ++attempt) {
        const int n = ::ioctl(control.fd, LOOP_CTL_GET_FREE);
        if (n < 0)
            throw Error(QStringLiteral("no free loop device: %1").arg(errnoText(errno)));
        const QString device = ensureNode(n);
        Fd loop(::open(QFile::encodeName(device).constData(), (options.readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC));
        if (loop.fd < 0) {
            lastErrno = errno;
            continue;
        }
        loop_config config {};
        config.fd = quint32(backing.fd);
        config.info.lo_flags = flags;
        std::strncpy(reinterpret_cast<char *>(config.info.lo_file_name), absolute.constData(), LO_NAME_SIZE - 1);
        int rc = ::ioctl(loop.fd, LOOP_CONFIGURE, &config);
        if (rc != 0 && (errno == EINVAL || errno == ENOTTY)) {
            // Kernels before 5.8: two steps.
            rc = ::ioctl(loop.fd, LOOP_SET_FD, backing.fd);
            if (rc == 0) {
                loop_info64 info {};
                info.lo_flags = flags & ~quint32(LO_FLAGS_READ_ONLY);
                std::memcpy(info.lo_file_name, config.info.lo_file_name, LO_NAME_SIZE);
                if (::ioctl(loop.fd, LOOP_SET_STATUS64, &info) != 0) {
                    const int e = errno;
                    ::ioctl(loop.fd, LOOP_CLR_FD, 0);
                    throw Error(QStringLiteral("cannot configure %1 for %2: %3").arg(device, file, errnoText(e)));
                }
            }
        }
        if (rc == 0) {
            if (heldFd)
                *heldFd = loop.release();
            return device;
        }
        lastErrno = errno;
        if (lastErrno != EBUSY)
            break;
    }
    throw Error(QStringLiteral("cannot bind %1 to a loop device: %2").arg(file, errnoText(lastErrno)));
}

} // namespace

QString LoopDevice::attach(const QString &file, Options options)
{
    return attachImpl(file, options, nullptr);
}

QString LoopDevice::attachHeld(const QString &file, Options options, int &heldFd)
{
    return attachImpl(file, options, &heldFd);
}

void LoopDevice::detach(const QString &device)
{
    Fd loop(::open(QFile::encodeName(device).constData(), O_RDONLY | O_CLOEXEC));
    if (loop.fd < 0) {
        if (errno == ENOENT || errno == ENXIO)
            return;
        throw Error(QStringLiteral("cannot open %1 to detach it: %2").arg(device, errnoText(errno)));
    }
    if (::ioctl(loop.fd, LOOP_CLR_FD, 0) != 0 && errno != ENXIO)
        throw Error(QStringLiteral("cannot detach %1: %2").arg(device, errnoText(errno)));
}

bool LoopDevice::waitUnbound(const QString &device, int timeoutMs)
{
    const QString name = QFileInfo(device).fileName();
    const QString marker = QStringLiteral("/sys/block/%1/loop/backing_file").arg(name);
    QElapsedTimer timer;
    timer.start();
    while (QFileInfo::exists(marker)) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QThread::msleep(10);
    }
    return true;
}

QList<LoopDeviceInfo> LoopDevice::list()
{
    QList<LoopDeviceInfo> result;
    const QDir sysBlock(QStringLiteral("/sys/block"));
    for (const QString &name : sysBlock.entryList({QStringLiteral("loop*")}, QDir::Dirs | QDir::NoDotAndDotDot | QDir::System)) {
        const QString base = sysBlock.filePath(name) + QStringLiteral("/loop/");
        const QByteArray backing = readSysfs(base + QStringLiteral("backing_file"));
        if (backing.isEmpty())
            continue; // not bound
        LoopDeviceInfo info;
        info.device = QStringLiteral("/dev/") + name;
        info.backingFile = QFile::decodeName(backing);
        info.autoClear = readSysfs(base + QStringLiteral("autoclear")) == "1";
        info.readOnly = readSysfs(sysBlock.filePath(name) + QStringLiteral("/ro")) == "1";
        // The backing file's identity, which survives renames, deletion and relative paths.
        bool known = false;
        const int n = name.mid(4).toInt();
        try {
            Fd loop(::open(QFile::encodeName(ensureNode(n)).constData(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
            loop_info64 li {};
            if (loop.fd >= 0 && ::ioctl(loop.fd, LOOP_GET_STATUS64, &li) == 0) {
                info.backingDevice = decodeKernelDev(li.lo_device);
                info.backingInode = ino_t(li.lo_inode);
                known = true;
            }
        } catch (const Error &) {
        }
        if (!known) {
            struct stat st {};
            if (::stat(backing.constData(), &st) == 0) {
                info.backingDevice = st.st_dev;
                info.backingInode = st.st_ino;
            }
        }
        result << info;
    }
    return result;
}

QStringList LoopDevice::devicesFor(dev_t device, ino_t inode, const QString &canonicalPath)
{
    QStringList devices;
    for (const LoopDeviceInfo &info : list()) {
        const bool match = info.backingInode != 0
                               ? (info.backingDevice == device && info.backingInode == inode)
                               : (!canonicalPath.isEmpty() && info.backingFile == canonicalPath);
        if (match)
            devices << info.device;
    }
    return devices;
}

QStringList LoopDevice::devicesFor(const QString &file)
{
    struct stat st {};
    if (::stat(QFile::encodeName(file).constData(), &st) != 0)
        return {};
    return devicesFor(st.st_dev, st.st_ino, QFileInfo(file).canonicalFilePath());
}

} // namespace ndb
