#include "scratchfs.h"

#include "util/commandrunner.h"
#include "util/error.h"
#include "volumes/fsfreeze.h"
#include "volumes/loopdevice.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QThread>

#include <algorithm>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

namespace ndbtest {

namespace {

QString errnoText(int e) { return QString::fromLocal8Bit(strerror(e)); }

// Mount points from /proc/self/mountinfo, octal escapes decoded.
QStringList mountPoints()
{
    QStringList result;
    QFile f(QStringLiteral("/proc/self/mountinfo"));
    if (!f.open(QIODevice::ReadOnly))
        return result;
    for (const QByteArray &line : f.readAll().split('\n')) {
        const QList<QByteArray> fields = line.split(' ');
        if (fields.size() > 4) {
            QByteArray mp = fields[4];
            mp.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
            result << QFile::decodeName(mp);
        }
    }
    return result;
}

bool isUnder(const QString &path, const QString &directory)
{
    const QString dir = QDir::cleanPath(directory);
    return path == dir || path.startsWith(dir + QLatin1Char('/'));
}

} // namespace

bool unmount(const QString &mountPoint)
{
    const QByteArray mp = QFile::encodeName(mountPoint);
    for (int attempt = 0; attempt < 20; ++attempt) {
        if (::umount2(mp.constData(), 0) == 0 || errno == EINVAL || errno == ENOENT)
            return true;
        if (errno != EBUSY)
            break;
        QThread::msleep(100);
    }
    qWarning("unmounting %s lazily: %s", mp.constData(), strerror(errno));
    return ::umount2(mp.constData(), MNT_DETACH) == 0;
}

void cleanupUnder(const QString &directory)
{
    if (directory.isEmpty())
        return;
    const QString canonical = QFileInfo(directory).canonicalFilePath();
    const QString dir = canonical.isEmpty() ? QDir::cleanPath(directory) : canonical;
    // Layers: a mount may sit on a loop device whose file lives in another mount below dir, so
    // alternate "detach unmounted loop devices" and "unmount the deepest mounts" until done.
    for (int pass = 0; pass < 8; ++pass) {
        const bool last = pass == 7;
        bool any = false;
        for (const ndb::LoopDeviceInfo &loop : ndb::LoopDevice::list()) {
            QString backing = loop.backingFile;
            if (backing.endsWith(QLatin1String(" (deleted)")))
                backing.chop(10);
            if (!isUnder(backing, dir))
                continue;
            any = true;
            // A filesystem mounted from it (wherever) goes first; the device follows next pass.
            const QString mounted = ndb::FilesystemFreeze::mountPointOf(loop.device);
            if (!mounted.isEmpty()) {
                if (last)
                    unmount(mounted);
                else
                    ::umount2(QFile::encodeName(mounted).constData(), 0);
                if (!last)
                    continue;
            }
            try {
                ndb::LoopDevice::detach(loop.device);
                ndb::LoopDevice::waitUnbound(loop.device, 2000);
            } catch (const ndb::Error &e) {
                qWarning("%s", e.what());
            }
        }
        QStringList mounts;
        for (const QString &mp : mountPoints())
            if (isUnder(mp, dir))
                mounts << mp;
        std::sort(mounts.begin(), mounts.end(), [](const QString &a, const QString &b) { return a.size() > b.size(); });
        for (const QString &mp : std::as_const(mounts)) {
            any = true;
            if (last)
                unmount(mp);
            else
                ::umount2(QFile::encodeName(mp).constData(), 0);
        }
        if (!any)
            return;
        if (pass > 2)
            QThread::msleep(200); // a process may still be closing its files
    }
}

void detachIfBoundTo(const QString &device, dev_t backingDevice, ino_t backingInode)
{
    for (const ndb::LoopDeviceInfo &loop : ndb::LoopDevice::list()) {
        if (loop.device == device && loop.backingDevice == backingDevice && loop.backingInode == backingInode) {
            try {
                ndb::LoopDevice::detach(device);
                ndb::LoopDevice::waitUnbound(device, 5000);
            } catch (const ndb::Error &e) {
                qWarning("%s", e.what());
            }
        }
    }
}

LoopAttachment::LoopAttachment(const QString &file, bool readOnly)
{
    struct stat st {};
    if (::stat(QFile::encodeName(file).constData(), &st) != 0)
        throw ndb::Error(QStringLiteral("cannot stat %1: %2").arg(file, errnoText(errno)));
    m_backingDevice = st.st_dev;
    m_backingInode = st.st_ino;
    ndb::LoopDevice::Options options;
    options.readOnly = readOnly;
    m_device = ndb::LoopDevice::attach(file, options);
}

LoopAttachment::~LoopAttachment()
{
    detach();
}

void LoopAttachment::detach()
{
    if (!m_device.isEmpty())
        detachIfBoundTo(m_device, m_backingDevice, m_backingInode);
    m_device.clear();
}

void makeFilesystem(const QString &type, const QString &target)
{
    QStringList args;
    if (type == QLatin1String("btrfs"))
        args << QStringLiteral("-f") << QStringLiteral("-q");
    else if (type == QLatin1String("xfs"))
        args << QStringLiteral("-f") << QStringLiteral("-q") << QStringLiteral("-m") << QStringLiteral("reflink=1");
    else if (type.startsWith(QLatin1String("ext")))
        args << QStringLiteral("-F") << QStringLiteral("-q");
    else
        throw ndb::Error(QStringLiteral("unsupported scratch filesystem type '%1'").arg(type));
    ndb::CommandRunner::runChecked(QStringLiteral("mkfs.") + type, args << target);
}

void mountDevice(const QString &device, const QString &mountPoint, const QString &type, bool readOnly)
{
    QDir().mkpath(mountPoint);
    const unsigned long flags = readOnly ? MS_RDONLY : 0;
    // ext4 replays its journal even read-only unless told not to: a read-only mount must not write.
    const QByteArray data = readOnly && type.startsWith(QLatin1String("ext")) ? QByteArray("noload") : QByteArray();
    if (::mount(QFile::encodeName(device).constData(), QFile::encodeName(mountPoint).constData(),
                type.toLatin1().constData(), flags, data.isEmpty() ? nullptr : data.constData()) != 0)
        throw ndb::Error(QStringLiteral("cannot mount %1 (%2) at %3: %4").arg(device, type, mountPoint, errnoText(errno)));
}

ScratchFilesystem::ScratchFilesystem(const QString &dir, const QString &type, int sizeMiB, const QString &label)
    : m_type(type)
{
    const QString name = label.isEmpty() ? type : label;
    m_backingFile = QDir(dir).filePath(name + QStringLiteral(".fs"));
    m_mountPoint = QDir(dir).filePath(name);
    try {
        QFile file(m_backingFile);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || !file.resize(qint64(sizeMiB) << 20))
            throw ndb::Error(QStringLiteral("cannot create %1: %2").arg(m_backingFile, file.errorString()));
        file.close();
        makeFilesystem(type, m_backingFile);
        ndb::LoopDevice::Options options;
        options.autoClear = true;
        m_device = ndb::LoopDevice::attachHeld(m_backingFile, options, m_loopFd);
        mountDevice(m_device, m_mountPoint, type);
        m_mounted = true;
    } catch (...) {
        tearDown();
        throw;
    }
}

ScratchFilesystem::~ScratchFilesystem()
{
    tearDown();
}

void ScratchFilesystem::tearDown()
{
    if (m_mounted) {
        cleanupUnder(m_mountPoint); // nested mounts and loop devices on files inside
        unmount(m_mountPoint);
        m_mounted = false;
    }
    if (m_loopFd >= 0) {
        // Autoclear: closing the last descriptor releases the device; clear it explicitly too.
        struct stat st {};
        const bool known = ::stat(QFile::encodeName(m_backingFile).constData(), &st) == 0;
        ::close(m_loopFd);
        m_loopFd = -1;
        if (known)
            detachIfBoundTo(m_device, st.st_dev, st.st_ino);
    }
    QDir().rmdir(m_mountPoint);
    QFile::remove(m_backingFile);
}

MemoryFilesystem::MemoryFilesystem(const QString &mountPoint, const QString &type, const QString &options)
{
    if (!QDir().mkpath(mountPoint))
        throw ndb::Error(QStringLiteral("Cannot create %1").arg(mountPoint));
    QStringList args{QStringLiteral("-t"), type};
    if (!options.isEmpty())
        args << QStringLiteral("-o") << options;
    args << QStringLiteral("ndbtest") << mountPoint;
    const ndb::CommandResult mounted = ndb::CommandRunner::run(QStringLiteral("mount"), args);
    if (!mounted.ok())
        throw ndb::Error(QStringLiteral("Mounting a %1 at %2 is required (root): %3")
                             .arg(type, mountPoint, mounted.errorText()));
    m_mountPoint = mountPoint;
}

MemoryFilesystem::~MemoryFilesystem()
{
    ndb::CommandRunner::run(QStringLiteral("umount"), {m_mountPoint});
}

} // namespace ndbtest
