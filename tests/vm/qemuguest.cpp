#include "qemuguest.h"

#include "util/commandrunner.h"
#include "util/error.h"

#include <QCollator>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QProcess>
#include <QSet>

#include <algorithm>
#include <functional>

using ndb::Error;

namespace ndbtest {

namespace {

// Minimal writer of the "newc" cpio format the kernel unpacks as initramfs.
class CpioWriter
{
public:
    void addDirectory(const QString &name) { add(name, 040755, {}); }
    void addFile(const QString &name, const QByteArray &data, bool executable)
    {
        add(name, executable ? 0100755 : 0100644, data);
    }
    void addSymlink(const QString &name, const QString &target) { add(name, 0120777, target.toUtf8()); }
    QByteArray finish()
    {
        add(QStringLiteral("TRAILER!!!"), 0, {});
        return m_out;
    }

private:
    void add(const QString &name, quint32 mode, const QByteArray &data)
    {
        const QByteArray n = name.toUtf8();
        const quint32 fields[13] = {++m_ino, mode, 0, 0, (mode & 040000) ? 2u : 1u, 0, quint32(data.size()),
                                    0, 0, 0, 0, quint32(n.size() + 1), 0};
        m_out += "070701";
        for (quint32 f : fields)
            m_out += QByteArray::number(f, 16).rightJustified(8, '0');
        m_out += n;
        m_out += '\0';
        pad();
        m_out += data;
        pad();
    }
    void pad()
    {
        while (m_out.size() % 4)
            m_out += '\0';
    }
    QByteArray m_out;
    quint32 m_ino = 0;
};

QByteArray readAll(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("cannot read %1: %2").arg(path, f.errorString()));
    return f.readAll();
}

// A module file as insmod can load it: .ko as is, .ko.xz / .ko.zst decompressed.
QByteArray moduleBytes(const QString &path)
{
    if (path.endsWith(QLatin1String(".ko")))
        return readAll(path);
    const QString tool = path.endsWith(QLatin1String(".xz")) ? QStringLiteral("xz") : QStringLiteral("zstd");
    return ndb::CommandRunner::runChecked(tool, {QStringLiteral("-dc"), path}).stdOut;
}

const char kInit[] = R"(#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules/order); do insmod /modules/$m || echo "ndb-init: insmod $m failed"; done
mkdir -p /newroot /hosttmp
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose host /newroot || echo "ndb-init: mounting the host root failed"
# The guest gets its own /tmp; directories of the host's /tmp that the test needs (a build tree
# may live there) stay visible at their own paths through bind mounts.
mount --bind /newroot/tmp /hosttmp
mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp
while read -r rel; do
    [ -n "$rel" ] || continue
    mkdir -p "/newroot/tmp/$rel" && mount --bind "/hosttmp/$rel" "/newroot/tmp/$rel" || echo "ndb-init: cannot show /tmp/$rel"
done < /keep-tmp
umount -l /hosttmp
# qemu's user-mode network, when the test gave the guest a NIC (QemuGuest::setPortForwards).
ip link set lo up
if [ -d /sys/class/net/eth0 ]; then
    ip addr add 10.0.2.15/24 dev eth0 && ip link set eth0 up || echo "ndb-init: cannot configure eth0"
fi
mount -t tmpfs -o mode=755 tmpfs /newroot/run
mkdir -p /newroot/tmp/ndb-results /newroot/run/lock
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results /newroot/tmp/ndb-results || echo "ndb-init: mounting the results share failed"
mount --move /dev /newroot/dev
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
echo "ndb-init: switching root"
exec switch_root /newroot /bin/sh /tmp/ndb-results/boot.sh
)";

} // namespace

GuestKernel QemuGuest::findKernel()
{
    QStringList versions;
    for (const QString &entry : QDir(QStringLiteral("/boot")).entryList({QStringLiteral("vmlinuz-*")}, QDir::Files)) {
        const QString v = entry.mid(int(qstrlen("vmlinuz-")));
        if (QFileInfo::exists(QStringLiteral("/lib/modules/%1/modules.dep").arg(v)))
            versions << v;
    }
    if (versions.isEmpty())
        throw Error(QStringLiteral("no /boot/vmlinuz-* with matching /lib/modules/<version>; install linux-image-amd64"));
    QCollator collator;
    collator.setNumericMode(true);
    std::sort(versions.begin(), versions.end(), collator);
    GuestKernel k;
    k.version = versions.last();
    k.image = QStringLiteral("/boot/vmlinuz-") + k.version;
    k.modulesDir = QStringLiteral("/lib/modules/") + k.version;
    if (!QFileInfo(k.image).isReadable())
        throw Error(QStringLiteral("%1 is not readable").arg(k.image));
    return k;
}

QStringList QemuGuest::moduleLoadOrder(const GuestKernel &kernel, const QStringList &modules)
{
    // modules.dep: "kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko ..."; dependencies listed so that
    // loading them from last to first works (as modprobe does).
    QHash<QString, QString> pathOf;         // module name -> relative path
    QHash<QString, QStringList> depsOf;     // relative path -> dependency paths
    for (const QByteArray &line : readAll(kernel.modulesDir + QStringLiteral("/modules.dep")).split('\n')) {
        const int colon = line.indexOf(':');
        if (colon < 0)
            continue;
        const QString path = QString::fromUtf8(line.left(colon));
        QString name = QFileInfo(path).fileName();
        name = name.left(name.indexOf(QLatin1String(".ko"))).replace(QLatin1Char('-'), QLatin1Char('_'));
        pathOf.insert(name, path);
        depsOf.insert(path, QString::fromUtf8(line.mid(colon + 1)).split(QLatin1Char(' '), Qt::SkipEmptyParts));
    }
    QStringList order;
    QSet<QString> seen;
    std::function<void(const QString &)> visit = [&](const QString &path) {
        if (seen.contains(path))
            return;
        seen.insert(path);
        const QStringList deps = depsOf.value(path);
        for (auto it = deps.crbegin(); it != deps.crend(); ++it)
            visit(*it);
        order << path;
    };
    for (const QString &m : modules) {
        const QString key = QString(m).replace(QLatin1Char('-'), QLatin1Char('_'));
        if (!pathOf.contains(key))
            continue; // built into this kernel
        visit(pathOf.value(key));
    }
    return order;
}

void QemuGuest::buildInitramfs(const GuestKernel &kernel, const QString &path, const QString &workDir,
                               const QStringList &hostDirs)
{
    const QString busybox = QStringLiteral("/bin/busybox");
    if (!QFileInfo(busybox).isExecutable())
        throw Error(QStringLiteral("%1 not found; install busybox-static").arg(busybox));
    CpioWriter cpio;
    // Host directories under /tmp, relative to it, outermost only (a nested one is seen through it).
    QStringList keep;
    for (const QString &dir : hostDirs) {
        const QString canonical = QFileInfo(dir).canonicalFilePath();
        if (canonical.startsWith(QLatin1String("/tmp/")))
            keep << canonical.mid(5);
    }
    std::sort(keep.begin(), keep.end());
    QStringList outermost;
    for (const QString &rel : keep)
        if (outermost.isEmpty() || !(rel == outermost.last() || rel.startsWith(outermost.last() + QLatin1Char('/'))))
            outermost << rel;
    cpio.addFile(QStringLiteral("keep-tmp"), outermost.join(QLatin1Char('\n')).toUtf8() + '\n', false);
    for (const char *d : {"bin", "dev", "proc", "sys", "newroot", "modules"})
        cpio.addDirectory(QString::fromLatin1(d));
    cpio.addFile(QStringLiteral("bin/busybox"), readAll(busybox), true);
    cpio.addSymlink(QStringLiteral("bin/sh"), QStringLiteral("busybox"));
    cpio.addFile(QStringLiteral("init"), QByteArray(kInit), true);
    QStringList names;
    const QStringList order = moduleLoadOrder(kernel, {QStringLiteral("virtio_pci"), QStringLiteral("9pnet_virtio"),
                                                       QStringLiteral("9p"), QStringLiteral("virtio_net")});
    for (const QString &rel : order) {
        QString file = QFileInfo(rel).fileName();
        file = file.left(file.indexOf(QLatin1String(".ko"))) + QStringLiteral(".ko");
        cpio.addFile(QStringLiteral("modules/") + file, moduleBytes(kernel.modulesDir + QLatin1Char('/') + rel), false);
        names << file;
    }
    cpio.addFile(QStringLiteral("modules/order"), names.join(QLatin1Char('\n')).toUtf8() + '\n', false);
    QFile out(path);
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate) || out.write(cpio.finish()) < 0)
        throw Error(QStringLiteral("cannot write %1: %2").arg(path, out.errorString()));
    Q_UNUSED(workDir);
}

bool QemuGuest::run(const QString &workDir, const QString &resultsDir, const QString &bootScript,
                    int timeoutSeconds, int memoryMb, const QStringList &hostDirs)
{
    const GuestKernel kernel = findKernel();
    const QString initrd = workDir + QStringLiteral("/initramfs.cpio");
    buildInitramfs(kernel, initrd, workDir, hostDirs);
    {
        QFile boot(resultsDir + QStringLiteral("/boot.sh"));
        if (!boot.open(QIODevice::WriteOnly | QIODevice::Truncate) || boot.write(bootScript.toUtf8()) < 0)
            throw Error(QStringLiteral("cannot write %1").arg(boot.fileName()));
    }
    const QString consolePath = workDir + QStringLiteral("/console.log");
    QStringList args{
        QStringLiteral("-accel"), QStringLiteral("tcg"), QStringLiteral("-cpu"), QStringLiteral("max"),
        QStringLiteral("-m"), QString::number(memoryMb), QStringLiteral("-smp"), QStringLiteral("1"),
        QStringLiteral("-nodefaults"), QStringLiteral("-no-reboot"), QStringLiteral("-display"), QStringLiteral("none"),
        QStringLiteral("-serial"), QStringLiteral("file:") + consolePath,
        QStringLiteral("-kernel"), kernel.image, QStringLiteral("-initrd"), initrd,
        QStringLiteral("-append"), QStringLiteral("console=ttyS0 panic=-1 loglevel=4"),
        QStringLiteral("-virtfs"),
        QStringLiteral("local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap"),
        QStringLiteral("-virtfs"),
        QStringLiteral("local,path=%1,mount_tag=results,security_model=none").arg(resultsDir)};
    if (!m_forwards.isEmpty()) {
        // restrict=on: the guest reaches nothing; only these forwards from 127.0.0.1 reach it.
        QString netdev = QStringLiteral("user,id=net0,restrict=on");
        for (const PortForward &f : m_forwards)
            netdev += QStringLiteral(",hostfwd=tcp:127.0.0.1:%1-:%2").arg(f.hostPort).arg(f.guestPort);
        args << QStringLiteral("-netdev") << netdev << QStringLiteral("-device") << QStringLiteral("virtio-net-pci,netdev=net0");
    }
    const ndb::CommandResult r = ndb::CommandRunner::run(QStringLiteral("qemu-system-x86_64"), args,
                                                         std::chrono::seconds(timeoutSeconds));
    QFile console(consolePath);
    if (console.open(QIODevice::ReadOnly))
        m_console = QString::fromUtf8(console.readAll());
    if (!r.ok())
        m_console += QStringLiteral("\n[host] ") + r.errorText() + QLatin1Char('\n');
    return !r.timedOut && !r.failedToStart;
}

} // namespace ndbtest
