#pragma once
// Boots a throw-away qemu guest (TCG) on the host's own Debian kernel with the host root shared
// read-only over 9p, runs one script inside and hands back a writable results directory.
// The kernel and its modules are found at run time; the initramfs (busybox-static + the 9p
// modules) is built fresh in a temporary directory.
#include <QList>
#include <QString>
#include <QStringList>

namespace ndbtest {

struct GuestKernel
{
    QString version;    // e.g. "6.1.0-56-amd64"
    QString image;      // /boot/vmlinuz-<version>
    QString modulesDir; // /lib/modules/<version>
};

// A TCP port of the guest reachable from the host at 127.0.0.1:hostPort (user-mode network).
struct PortForward
{
    quint16 hostPort = 0;
    quint16 guestPort = 0;
};

class QemuGuest
{
public:
    // With forwards, the guest gets a virtio NIC on qemu's user-mode network with restrict=on (it
    // reaches nothing outside) and these forwards, bound to 127.0.0.1 only; the guest's init
    // configures it as 10.0.2.15/24. Without, the guest has no network. Call before run().
    void setPortForwards(const QList<PortForward> &forwards) { m_forwards = forwards; }
    static QString guestAddress() { return QStringLiteral("10.0.2.15"); }

    // Newest /boot/vmlinuz-* that has /lib/modules/<version>. Throws ndb::Error when none.
    static GuestKernel findKernel();
    // Module files (in load order, dependencies first) for `modules`, from modules.dep.
    static QStringList moduleLoadOrder(const GuestKernel &kernel, const QStringList &modules);
    // Writes a newc initramfs to `path` whose /init mounts the host root and the results share
    // and switch_roots into `/bin/sh <results>/boot.sh`. `hostDirs` below the host's /tmp stay
    // visible in the guest (which has its own /tmp). Throws ndb::Error.
    static void buildInitramfs(const GuestKernel &kernel, const QString &path, const QString &workDir,
                               const QStringList &hostDirs = {});

    // Runs the guest: `bootScript` (shell text) is written to resultsDir/boot.sh and executed
    // as the guest's init after switch_root; inside the guest resultsDir is at guestResultsDir().
    // Returns true when qemu ended by itself within `timeoutSeconds`; the serial console is in
    // consoleLog().
    bool run(const QString &workDir, const QString &resultsDir, const QString &bootScript,
             int timeoutSeconds, int memoryMb = 2048, const QStringList &hostDirs = {});
    QString consoleLog() const { return m_console; }
    static QString guestResultsDir() { return QStringLiteral("/tmp/ndb-results"); }

private:
    QString m_console;
    QList<PortForward> m_forwards;
};

} // namespace ndbtest
