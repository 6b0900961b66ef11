#pragma once
// Loop devices through the kernel's ioctls (no losetup): attach a file, detach, and find which
// loop devices are bound to a file. Used by the image driver and by tests.
#include <QList>
#include <QString>
#include <QStringList>

#include <sys/types.h>

namespace ndb {

struct LoopDeviceInfo
{
    QString device;      // "/dev/loop3"
    QString backingFile; // as the kernel reports it; may end in " (deleted)" or be relative
    dev_t backingDevice = 0;
    ino_t backingInode = 0;
    bool readOnly = false;
    bool autoClear = false;
};

class LoopDevice
{
public:
    struct Options
    {
        bool readOnly = false;
        // LO_FLAGS_AUTOCLEAR: the kernel releases the device when its last opener closes it.
        // Only useful together with keepOpen (otherwise it is released on return).
        bool autoClear = false;
    };

    // Binds `file` to a free loop device (creating /dev/loopN with mknod if the node is
    // missing) and returns its path. Throws ndb::Error.
    static QString attach(const QString &file, Options options);
    static QString attach(const QString &file) { return attach(file, Options{}); }
    // Like attach() but returns an open descriptor of the loop device in `heldFd`, so that an
    // autoClear attachment lives exactly as long as that descriptor (or a later opener).
    static QString attachHeld(const QString &file, Options options, int &heldFd);

    // LOOP_CLR_FD. When the device is still open elsewhere the kernel defers the release to the
    // last close (autoclear). An unbound device is not an error. Throws ndb::Error.
    static void detach(const QString &device);
    // Waits until `device` is unbound (deferred releases); false on time-out.
    static bool waitUnbound(const QString &device, int timeoutMs);

    // Every bound loop device (from /sys/block/loop*/loop).
    static QList<LoopDeviceInfo> list();
    // Loop devices bound to `file`, compared by device+inode (falls back to the path).
    static QStringList devicesFor(const QString &file);
    static QStringList devicesFor(dev_t device, ino_t inode, const QString &canonicalPath);
};

} // namespace ndb
