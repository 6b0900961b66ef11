#pragma once
// A small image pool so that a first run (GUI `--demo`, `ndbackupctl demo`, or no storage
// configured) has something to show: one volume attached to a loop device (in-use) and one
// detached (available). Widget-free; shared by the GUI and the CLI.
#include "engine/engineconfig.h"

#include <QString>
#include <QStringList>

namespace ndb {

struct DemoPoolResult
{
    QString poolPath;
    QStringList created;  // image files created by this call
    QString loopDevice;   // device the in-use volume is attached to; empty when it could not be
    QStringList warnings; // e.g. no permission for loop devices: the volume stays available
};

class DemoPool
{
public:
    // Volume names inside the pool (image files are <name>.img).
    static QString inUseVolumeName() { return QStringLiteral("demo-database"); }
    static QString availableVolumeName() { return QStringLiteral("demo-archive"); }

    // $XDG_DATA_HOME/ndbackup/demo-pool
    static QString defaultPoolPath();

    // Creates the demo pool (idempotent: existing images are kept, the in-use one is attached
    // again after a reboot) and adds it to config.imagePools when missing. Does not save config.
    static DemoPoolResult ensure(EngineConfig &config);
    // The same for an explicit directory (tests).
    static DemoPoolResult create(const QString &poolPath, qint64 inUseSize = 64ll << 20,
                                 qint64 availableSize = 32ll << 20);
    // Detaches every loop device backed by an image of the pool (tests, uninstall).
    static void detachAll(const QString &poolPath);

    // Loop devices backed by `file` (losetup -j), empty when none.
    static QStringList loopDevicesFor(const QString &file);
};

} // namespace ndb
