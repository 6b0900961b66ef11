#pragma once
// Real filesystems for tests: a sparse file in the test's QTemporaryDir, mkfs, a loop device and
// a mount. Everything is undone by the destructors, also when the test failed.
#include <QString>

#include <sys/types.h>

// Runs `statement`; an exception becomes a test failure instead of aborting the test binary.
#define NDB_TRY(statement)                                                                   \
    do {                                                                                     \
        try {                                                                                \
            statement;                                                                       \
        } catch (const std::exception &e_) {                                                 \
            QFAIL(qPrintable(QStringLiteral("%1: %2").arg(QLatin1String(#statement),         \
                                                          QString::fromUtf8(e_.what()))));   \
        }                                                                                    \
    } while (false)

namespace ndbtest {

// Unmounts every mount below `directory` (deepest first, lazily as a last resort) and detaches
// every loop device whose backing file is below it. For cleanup only.
void cleanupUnder(const QString &directory);

// RAII guard running cleanupUnder() at scope exit: declare it right after the QTemporaryDir.
class ScratchCleanup
{
public:
    explicit ScratchCleanup(QString directory) : m_directory(std::move(directory)) {}
    ~ScratchCleanup() { cleanupUnder(m_directory); }
    ScratchCleanup(const ScratchCleanup &) = delete;
    ScratchCleanup &operator=(const ScratchCleanup &) = delete;

private:
    QString m_directory;
};

// A loop device bound to a file for the lifetime of the object. The destructor detaches it only
// while it is still bound to that same file (the number may have been reused meanwhile).
class LoopAttachment
{
public:
    explicit LoopAttachment(const QString &file, bool readOnly = false); // throws ndb::Error
    ~LoopAttachment();
    LoopAttachment(const LoopAttachment &) = delete;
    LoopAttachment &operator=(const LoopAttachment &) = delete;

    QString device() const { return m_device; }
    void detach();

private:
    QString m_device;
    dev_t m_backingDevice = 0;
    ino_t m_backingInode = 0;
};

// Detaches `device` if it is still bound to the file identified by device+inode.
void detachIfBoundTo(const QString &device, dev_t backingDevice, ino_t backingInode);

// A tmpfs or ramfs mounted at `mountPoint` (created) for the lifetime of the object, e.g. with
// options "size=8m" for a disk that fills up. Throws ndb::Error when it cannot mount (needs root).
class MemoryFilesystem
{
public:
    MemoryFilesystem(const QString &mountPoint, const QString &type, const QString &options = {});
    ~MemoryFilesystem();
    MemoryFilesystem(const MemoryFilesystem &) = delete;
    MemoryFilesystem &operator=(const MemoryFilesystem &) = delete;

    QString mountPoint() const { return m_mountPoint; }

private:
    QString m_mountPoint;
};

// <dir>/<label>.fs (sparse, `sizeMiB`), mkfs.<type> (btrfs needs >= 120 MiB, xfs >= 300 MiB),
// bound to a loop device and mounted at <dir>/<label>.
class ScratchFilesystem
{
public:
    ScratchFilesystem(const QString &dir, const QString &type, int sizeMiB, const QString &label = {}); // throws ndb::Error
    ~ScratchFilesystem();
    ScratchFilesystem(const ScratchFilesystem &) = delete;
    ScratchFilesystem &operator=(const ScratchFilesystem &) = delete;

    QString type() const { return m_type; }
    QString mountPoint() const { return m_mountPoint; }
    QString device() const { return m_device; }
    QString backingFile() const { return m_backingFile; }

private:
    void tearDown();

    QString m_type;
    QString m_backingFile;
    QString m_mountPoint;
    QString m_device;
    int m_loopFd = -1; // held: the loop device is autoclear and goes away with the last close
    bool m_mounted = false;
};

// Creates a filesystem of `type` on `device` or file through CommandRunner (mkfs.<type>).
void makeFilesystem(const QString &type, const QString &target);
// mount(2) of `device` at `mountPoint` (created if missing). Throws ndb::Error.
void mountDevice(const QString &device, const QString &mountPoint, const QString &type, bool readOnly = false);
// umount(2), retried while busy, then lazily. Returns false only if even the lazy unmount failed.
bool unmount(const QString &mountPoint);

} // namespace ndbtest
