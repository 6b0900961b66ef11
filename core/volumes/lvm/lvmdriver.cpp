#include "lvmdriver.h"
#include "devmapper.h"
#include "suspendguard.h"

#include "model/status.h"
#include "util/error.h"
#include "util/joblog.h"
#include "util/names.h"
#include "util/units.h"
#include "volumes/fsfreeze.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QElapsedTimer>
#include <QSysInfo>
#include <QTime>

#include <QFile>

#include <chrono>
#include <memory>

#include <fcntl.h>
#include <unistd.h>

namespace ndb {

namespace {

// Tag on every LV the engine creates, so cleanup finds leftovers by tag as well as by name.
const QString kTag = QStringLiteral("ndbackup");

// lvm configuration for systems without a udev daemon (containers, the test guest, rescue
// systems): lvm creates the /dev nodes itself instead of waiting for udev events that would never
// come, and lists devices by scanning /dev. Metadata backups/archives are off because such
// systems typically have /etc read-only. One constant, applied only when udev is absent
// (see udevLess()): on a normal host these settings would race udev and drop lvm's metadata
// archive, which is not harmless.
const QString kUdevLessConfig = QStringLiteral(
    "activation{udev_sync=0 udev_rules=0} backup{backup=0 archive=0} devices{obtain_device_list_from_udev=0}");

const QString kLvFields = QStringLiteral(
    "vg_name,lv_name,lv_uuid,lv_size,lv_attr,lv_tags,origin,pool_lv,segtype,vg_extent_size,vg_free");

qint64 toBytes(const QJsonValue &v)
{
    return v.toString().trimmed().toLongLong();
}


// Flushes a mounted filesystem so that the freeze inside lvcreate's suspend has little to write.
void syncFilesystem(const QString &mountPoint)
{
    const int fd = ::open(QFile::encodeName(mountPoint).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    ::syncfs(fd);
    ::close(fd);
}

// Hard limit on how long the origin may stay suspended (its filesystem frozen) while lvm takes
// a snapshot: a guard process resumes it once the limit is exceeded, or when this process dies
// while it is suspended (see suspendguard.h).
class SuspendWatchdog
{
public:
    SuspendWatchdog(const QString &dmName, std::chrono::milliseconds limit, JobLog *log)
        : m_dmName(dmName), m_limit(limit), m_log(log), m_guard(dmName, limit)
    {
    }
    ~SuspendWatchdog() { stop(); }
    pid_t guardPid() const { return m_guard.guardPid(); }
    // Returns false when the watchdog had to resume the device.
    bool stop()
    {
        if (m_stopped)
            return !m_fired;
        m_stopped = true;
        m_fired = !m_guard.stop();
        if (m_fired && m_log)
            m_log->warning(QStringLiteral("resumed %1: suspended longer than %2 ms")
                               .arg(m_dmName).arg(m_limit.count()));
        return !m_fired;
    }

private:
    QString m_dmName;
    std::chrono::milliseconds m_limit;
    JobLog *m_log;
    SuspendGuard m_guard;
    bool m_stopped = false;
    bool m_fired = false;
};

} // namespace

bool LvInfo::isUserVolume() const
{
    if (name.startsWith(QLatin1Char('[')) || name.startsWith(QLatin1String(kTempPrefix)) || tags.contains(kTag))
        return false;
    const QChar type = attr.isEmpty() ? QLatin1Char('-') : attr[0];
    // '-' plain, 'o'/'O' snapshot origin, 'V' thin volume, raid/mirror/cache'd LVs.
    return QStringLiteral("-oOVrRmMC").contains(type);
}

LvmDriver::LvmDriver(const QString &volumeGroup, const LvmOptions &options, JobLog *log)
    : m_vg(volumeGroup)
    , m_options(options)
    , m_log(log)
{
    validateName(volumeGroup, QStringLiteral("volume group"));
}

QString LvmDriver::id() const
{
    return QStringLiteral("lvm:") + m_vg;
}

DriverCapabilities LvmDriver::capabilities() const
{
    DriverCapabilities caps;
    caps.snapshotLocalRead = true;
    return caps;
}

bool LvmDriver::udevLess()
{
    // systemd-udevd (and eudev) create this socket while running; libudev tests the same path.
    return !QFileInfo::exists(QStringLiteral("/run/udev/control"));
}

CommandResult LvmDriver::runLvm(const QString &command, const QStringList &arguments) const
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("LVM_SUPPRESS_FD_WARNINGS"), QStringLiteral("1"));
    QStringList args{command};
    if (udevLess()) {
        env.insert(QStringLiteral("DM_DISABLE_UDEV"), QStringLiteral("1"));
        args << QStringLiteral("--config") << kUdevLessConfig;
    }
    args << arguments;
    return CommandRunner::run(QStringLiteral("lvm"), args, std::chrono::seconds(120), env, m_log);
}

QString LvmDriver::devicePath(const QString &lvName) const
{
    return QStringLiteral("/dev/%1/%2").arg(m_vg, lvName);
}

QList<LvInfo> LvmDriver::listLvs() const
{
    const CommandResult r = runLvm(QStringLiteral("lvs"),
                                   {QStringLiteral("--reportformat"), QStringLiteral("json"),
                                    QStringLiteral("--units"), QStringLiteral("b"), QStringLiteral("--nosuffix"),
                                    QStringLiteral("-o"), kLvFields, m_vg});
    if (!r.ok())
        throw Error(QStringLiteral("cannot list the logical volumes of volume group %1: %2").arg(m_vg, r.errorText()));
    try {
        return parseLvsReport(r.stdOut);
    } catch (const Error &e) {
        throw Error(QStringLiteral("volume group %1: %2").arg(m_vg, e.message()));
    }
}

QList<LvInfo> LvmDriver::parseLvsReport(const QByteArray &json)
{
    QJsonParseError perr {};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &perr);
    if (doc.isNull())
        throw Error(QStringLiteral("cannot parse the lvs report: %1").arg(perr.errorString()));
    QList<LvInfo> out;
    for (const QJsonValue &report : doc.object().value(QStringLiteral("report")).toArray()) {
        for (const QJsonValue &row : report.toObject().value(QStringLiteral("lv")).toArray()) {
            const QJsonObject o = row.toObject();
            LvInfo lv;
            lv.vg = o.value(QStringLiteral("vg_name")).toString();
            lv.name = o.value(QStringLiteral("lv_name")).toString();
            lv.uuid = o.value(QStringLiteral("lv_uuid")).toString();
            lv.size = toBytes(o.value(QStringLiteral("lv_size")));
            lv.attr = o.value(QStringLiteral("lv_attr")).toString();
            lv.tags = o.value(QStringLiteral("lv_tags")).toString().split(QLatin1Char(','), Qt::SkipEmptyParts);
            lv.origin = o.value(QStringLiteral("origin")).toString();
            lv.poolLv = o.value(QStringLiteral("pool_lv")).toString();
            lv.segtype = o.value(QStringLiteral("segtype")).toString();
            lv.extentSize = toBytes(o.value(QStringLiteral("vg_extent_size")));
            lv.vgFree = toBytes(o.value(QStringLiteral("vg_free")));
            out.append(lv);
        }
    }
    return out;
}

LvInfo LvmDriver::lv(const QString &name) const
{
    for (const LvInfo &l : listLvs())
        if (l.name == name)
            return l;
    throw Error(QStringLiteral("logical volume %1/%2 does not exist").arg(m_vg, name));
}

bool LvmDriver::hasLv(const QString &name) const
{
    for (const LvInfo &l : listLvs())
        if (l.name == name)
            return true;
    return false;
}

Volume LvmDriver::toVolume(const LvInfo &lv) const
{
    Volume v;
    v.driverId = id();
    v.id = id() + QLatin1Char('/') + lv.name;
    v.name = lv.name;
    v.host = QSysInfo::machineHostName();
    v.size = lv.size;
    v.uuid = lv.uuid;
    v.path = devicePath(lv.name);
    v.status = VolumeStatus::Available;
    // Held open = in use: mounted, attached to a VM, opened by a process. Our own reading of a
    // temporary snapshot opens the snapshot's device, never the origin's, so it does not count.
    if (lv.isActive()) {
        const dm::DeviceInfo info = dm::deviceInfo(dm::deviceName(m_vg, lv.name));
        if (info.exists && info.openCount > 0) {
            v.status = VolumeStatus::InUse;
            const QString mountPoint = FilesystemFreeze::mountPointOf(v.path);
            v.attachedTo = mountPoint.isEmpty()
                               ? QStringLiteral("open (%1 holder%2)").arg(info.openCount).arg(info.openCount > 1 ? "s" : "")
                               : QStringLiteral("mounted on %1").arg(mountPoint);
        }
    }
    return v;
}

QCoro::Task<QList<Volume>> LvmDriver::listVolumes()
{
    QList<Volume> out;
    for (const LvInfo &l : listLvs())
        if (l.isUserVolume())
            out.append(toVolume(l));
    co_return out;
}

QCoro::Task<Volume> LvmDriver::volume(QString name)
{
    validateName(name, QStringLiteral("volume"));
    const LvInfo l = lv(name);
    if (!l.isUserVolume())
        throw Error(QStringLiteral("%1/%2 is not a volume (a %3 LV)").arg(m_vg, name, l.segtype));
    co_return toVolume(l);
}

QCoro::Task<Volume> LvmDriver::createVolume(QString name, qint64 size)
{
    validateName(name, QStringLiteral("volume"));
    if (size <= 0)
        throw Error(QStringLiteral("volume size must be positive"));
    if (hasLv(name))
        throw Error(QStringLiteral("logical volume %1/%2 already exists").arg(m_vg, name));
    QStringList args{QStringLiteral("--yes"), QStringLiteral("-n"), name};
    // lvm rounds sizes up to whole extents; a restore target is never smaller than asked for.
    if (m_options.thinPool.isEmpty())
        args << QStringLiteral("-L") << QStringLiteral("%1b").arg(size) << m_vg;
    else
        args << QStringLiteral("-V") << QStringLiteral("%1b").arg(size)
             << QStringLiteral("--thinpool") << m_options.thinPool << m_vg;
    if (name.startsWith(QLatin1String(kTempPrefix)))
        args << QStringLiteral("--addtag") << kTag;
    const CommandResult r = runLvm(QStringLiteral("lvcreate"), args);
    if (!r.ok())
        throw Error(QStringLiteral("cannot create logical volume %1/%2: %3").arg(m_vg, name, r.errorText()));
    co_return toVolume(lv(name));
}

QCoro::Task<void> LvmDriver::deleteVolume(QString name)
{
    validateName(name, QStringLiteral("volume"));
    const LvInfo l = lv(name);
    if (!l.isUserVolume() && !name.startsWith(QLatin1String(kTempPrefix)))
        throw Error(QStringLiteral("%1/%2 is not a volume (a %3 LV); refusing to delete it").arg(m_vg, name, l.segtype));
    const Volume v = toVolume(l);
    if (v.status == VolumeStatus::InUse)
        throw Error(QStringLiteral("volume %1/%2 is in use (%3); refusing to delete it").arg(m_vg, name, v.attachedTo));
    removeLv(name);
    co_return;
}

QCoro::Task<Volume> LvmDriver::createVolumeFromSource(QString source, QString name)
{
    // LVM reads in-use volumes through snapshots (snapshotLocalRead); the temporary-volume data
    // path is never taken for it.
    throw Error(QStringLiteral("the LVM driver does not create volumes from a source; in-use LVs are "
                               "backed up through a temporary snapshot"));
    co_return Volume {};
}

QCoro::Task<QString> LvmDriver::attach(QString name)
{
    validateName(name, QStringLiteral("volume"));
    const LvInfo l = lv(name);
    if (!l.isActive()) {
        // -K: temporaries (thin snapshots) carry the activation-skip flag.
        const CommandResult r = runLvm(QStringLiteral("lvchange"),
                                       {QStringLiteral("-ay"), QStringLiteral("-K"), m_vg + QLatin1Char('/') + name});
        if (!r.ok())
            throw Error(QStringLiteral("cannot activate %1/%2: %3").arg(m_vg, name, r.errorText()));
    }
    const QString path = devicePath(name);
    if (!QFileInfo::exists(path))
        throw Error(QStringLiteral("%1 does not exist after activating the logical volume").arg(path));
    co_return path;
}

// Logical volumes are read as block devices: no allocation map (thin pools would know one).
QCoro::Task<std::unique_ptr<BlockSource>> LvmDriver::openVolumeSource(QString name)
{
    validateName(name, QStringLiteral("volume"));
    co_return openFileSource(devicePath(name));
}

QCoro::Task<std::unique_ptr<BlockSource>> LvmDriver::openSnapshotSource(SnapshotHandle snapshot)
{
    validateName(snapshot.name, QStringLiteral("snapshot"));
    co_return openFileSource(devicePath(snapshot.name));
}

QCoro::Task<std::unique_ptr<BlockSink>> LvmDriver::openVolumeSink(QString name)
{
    validateName(name, QStringLiteral("volume"));
    co_return openFileSink(devicePath(name));
}

QCoro::Task<void> LvmDriver::detach(QString name)
{
    validateName(name, QStringLiteral("volume"));
    // Only our own temporaries are deactivated: a user's LV stays exactly as its user left it.
    if (!name.startsWith(QLatin1String(kTempPrefix)) || !hasLv(name))
        co_return;
    const CommandResult r = runLvm(QStringLiteral("lvchange"), {QStringLiteral("-an"), m_vg + QLatin1Char('/') + name});
    if (!r.ok())
        throw Error(QStringLiteral("cannot deactivate %1/%2: %3").arg(m_vg, name, r.errorText()));
    co_return;
}

void LvmDriver::runHook(const QString &program, const QStringList &arguments, bool checked)
{
    if (program.isEmpty())
        return;
    const CommandResult r = CommandRunner::run(program, arguments, std::chrono::seconds(60),
                                               QProcessEnvironment::systemEnvironment(), m_log);
    if (!r.ok() && checked)
        throw Error(QStringLiteral("snapshot hook %1").arg(r.errorText()));
}

SnapshotHandle LvmDriver::doCreateSnapshot(const LvInfo &origin, const QString &snapshotName)
{
    const QString originPath = devicePath(origin.name);
    const QString originRef = m_vg + QLatin1Char('/') + origin.name;
    QStringList args{QStringLiteral("--yes"), QStringLiteral("--snapshot"), QStringLiteral("-n"), snapshotName,
                     QStringLiteral("--addtag"), kTag};
    if (!origin.isThin()) {
        // Copy-on-write area: a share of the origin, whole extents, never more than the VG has.
        const qint64 extent = origin.extentSize > 0 ? origin.extentSize : 4 * 1024 * 1024;
        const qint64 wanted = origin.size * qBound(1, m_options.snapshotPercent, 100) / 100;
        qint64 extents = (wanted + extent - 1) / extent;
        if (extents < 1)
            extents = 1;
        const qint64 freeExtents = origin.vgFree / extent;
        if (freeExtents < 1)
            throw Error(QStringLiteral("volume group %1 has %2 free; a snapshot of %3 needs %4 "
                                       "(%5% of its size) for its copy-on-write area")
                            .arg(m_vg, formatSize(origin.vgFree), origin.name, formatSize(extents * extent))
                            .arg(m_options.snapshotPercent));
        if (extents > freeExtents)
            extents = freeExtents; // the rest of the VG; overflow is detected while reading
        args << QStringLiteral("-L") << QStringLiteral("%1b").arg(extents * extent);
    }
    args << originRef;

    // Filesystem consistency. lvcreate suspends the origin with "lockfs": device-mapper freezes
    // the mounted filesystem (freeze_super, what FIFREEZE does) for the instant of the snapshot
    // and thaws it on resume. Holding our own FIFREEZE across lvcreate is refused by kernels
    // before 6.8 (the nested freeze fails with EBUSY, lvm leaves the origin suspended and the
    // thaw then blocks; seen in the vm guest), so for LVM the freeze is device-mapper's. What we
    // add: a syncfs first so the frozen instant is short, and a hard limit: a watchdog resumes
    // (and so thaws) the origin if it stays suspended longer than freezeLimitMs, whatever lvm does.
    // The watchdog is a guard process that also resumes the origin when this process dies while lvm
    // has it suspended; if both die, the suspend recorded in the journal first is resumed by the
    // next start or cleanup.
    std::unique_ptr<SuspendWatchdog> watchdog;
    FreezeJournal *journal = FilesystemFreeze::threadJournal();
    qint64 recordId = 0;
    // lvcreate's suspend is the freeze: it freezes a mounted filesystem whatever our setting says.
    const QString mountPoint = FilesystemFreeze::mountPointOf(originPath);
    if (m_options.freezeFilesystems) {
        if (!mountPoint.isEmpty())
            syncFilesystem(mountPoint);
        if (journal) {
            FreezeRecord record;
            record.kind = QString::fromLatin1(FreezeRecord::kDmSuspend);
            record.target = dm::deviceName(m_vg, origin.name);
            record.device = originPath;
            recordId = journal->add(record);
        }
        try {
            watchdog = std::make_unique<SuspendWatchdog>(dm::deviceName(m_vg, origin.name),
                                                         std::chrono::milliseconds(m_options.freezeLimitMs), m_log);
        } catch (const Error &) {
            if (recordId)
                journal->remove(recordId);
            throw;
        }
        if (recordId) {
            try {
                journal->setGuard(recordId, watchdog->guardPid());
            } catch (const Error &) {
                // Only informative; the record itself is what cleanup needs.
            }
        }
    }
    if (m_log && mountPoint.isEmpty())
        m_log->info(QStringLiteral("no filesystem freeze: no mounted filesystem on the volume (%1)").arg(originPath));
    else if (m_log)
        m_log->info(QStringLiteral("froze %1 (%2 on %3) at %4: the device-mapper suspend of lvcreate")
                        .arg(mountPoint, FilesystemFreeze::filesystemTypeOf(originPath), originPath,
                             QTime::currentTime().toString(QStringLiteral("HH:mm:ss"))));
    QElapsedTimer suspended;
    suspended.start();
    const CommandResult r = runLvm(QStringLiteral("lvcreate"), args);
    if (m_log && !mountPoint.isEmpty())
        m_log->info(QStringLiteral("thawed %1 after %2 ms (lvcreate resumed the origin)").arg(mountPoint).arg(suspended.elapsed()));
    const bool withinLimit = watchdog ? watchdog->stop() : true;
    watchdog.reset();
    if (recordId) {
        try {
            journal->remove(recordId);
        } catch (const Error &) {
            // A stale record is harmless: cleanup resumes only suspended devices of dead owners.
        }
    }
    if (!withinLimit) {
        if (hasLv(snapshotName))
            removeLv(snapshotName);
        throw Error(QStringLiteral("%1 stayed suspended (its filesystem frozen) longer than the limit of %2 ms "
                                   "while the snapshot was taken; it was resumed and the snapshot discarded")
                        .arg(originRef).arg(m_options.freezeLimitMs));
    }
    if (!r.ok()) {
        if (hasLv(snapshotName))
            removeLv(snapshotName);
        throw Error(QStringLiteral("cannot create snapshot %1 of %2: %3").arg(snapshotName, originRef, r.errorText()));
    }
    if (origin.isThin()) {
        // Thin snapshots carry the activation-skip flag; activate it for reading.
        const CommandResult a = runLvm(QStringLiteral("lvchange"),
                                       {QStringLiteral("-ay"), QStringLiteral("-K"), m_vg + QLatin1Char('/') + snapshotName});
        if (!a.ok()) {
            removeLv(snapshotName);
            throw Error(QStringLiteral("cannot activate thin snapshot %1: %2").arg(snapshotName, a.errorText()));
        }
    }
    {
        std::lock_guard lock(m_mutex);
        m_copyConsistency.insert(snapshotName, mountPoint.isEmpty() ? Consistency::Snapshot : Consistency::FrozenSnapshot);
    }
    const LvInfo snap = lv(snapshotName);
    SnapshotHandle h;
    h.name = snapshotName;
    h.path = devicePath(snapshotName);
    h.providerId = snap.uuid;
    h.providerLocation = m_vg + QLatin1Char('/') + snapshotName;
    return h;
}

QCoro::Task<QString> LvmDriver::plannedCopyConsistency(QString volume)
{
    validateName(volume, QStringLiteral("volume"));
    co_return FilesystemFreeze::mountPointOf(devicePath(volume)).isEmpty() ? Consistency::Snapshot : Consistency::FrozenSnapshot;
}

QString LvmDriver::copyConsistency(const QString &copyName) const
{
    std::lock_guard lock(m_mutex);
    return m_copyConsistency.value(copyName, Consistency::Unknown);
}

QCoro::Task<SnapshotHandle> LvmDriver::createSnapshot(QString volumeName, QString snapshotName)
{
    validateName(volumeName, QStringLiteral("volume"));
    validateName(snapshotName, QStringLiteral("snapshot"));
    if (!snapshotName.startsWith(QLatin1String(kTempPrefix)))
        throw Error(QStringLiteral("snapshot name %1 must start with %2").arg(snapshotName, QLatin1String(kTempPrefix)));
    const LvInfo origin = lv(volumeName);
    if (!origin.isUserVolume())
        throw Error(QStringLiteral("%1/%2 is not a volume (a %3 LV)").arg(m_vg, volumeName, origin.segtype));
    if (!origin.isActive())
        throw Error(QStringLiteral("%1/%2 is not active; an inactive LV is read directly, not through a snapshot")
                        .arg(m_vg, volumeName));

    const QStringList hookArgs{id() + QLatin1Char('/') + volumeName, devicePath(volumeName)};
    SnapshotHandle handle;
    try {
        runHook(m_options.preSnapshotHook, hookArgs, true);
        handle = doCreateSnapshot(origin, snapshotName);
    } catch (...) {
        runHook(m_options.postSnapshotHook, hookArgs + QStringList{QStringLiteral("failed")}, false);
        throw;
    }
    runHook(m_options.postSnapshotHook, hookArgs + QStringList{QStringLiteral("ok")}, false);
    co_return handle;
}

void LvmDriver::removeLv(const QString &name)
{
    const CommandResult r = runLvm(QStringLiteral("lvremove"), {QStringLiteral("-f"), m_vg + QLatin1Char('/') + name});
    if (!r.ok() && hasLv(name))
        throw Error(QStringLiteral("cannot remove logical volume %1/%2: %3").arg(m_vg, name, r.errorText()));
}

QCoro::Task<void> LvmDriver::deleteSnapshot(QString snapshotName)
{
    validateName(snapshotName, QStringLiteral("snapshot"));
    if (!snapshotName.startsWith(QLatin1String(kTempPrefix)))
        throw Error(QStringLiteral("refusing to delete %1/%2: not a temporary snapshot").arg(m_vg, snapshotName));
    if (hasLv(snapshotName))
        removeLv(snapshotName);
    co_return;
}

QString LvmDriver::snapshotProblem(const QString &snapshotName)
{
    QList<dm::Target> targets;
    try {
        targets = dm::deviceStatus(dm::deviceName(m_vg, snapshotName));
    } catch (const Error &e) {
        return e.message();
    }
    const QString ref = m_vg + QLatin1Char('/') + snapshotName;
    if (targets.isEmpty())
        return QStringLiteral("snapshot %1 is no longer active").arg(ref);
    for (const dm::Target &t : targets) {
        if (t.type == QLatin1String("snapshot")) {
            const dm::SnapshotStatus s = dm::parseSnapshotStatus(t.params);
            switch (s.state) {
            case dm::SnapshotStatus::State::Valid:
                break;
            case dm::SnapshotStatus::State::Overflow:
                return QStringLiteral("snapshot %1 overflowed (copy-on-write area full)").arg(ref);
            case dm::SnapshotStatus::State::Invalid:
                return QStringLiteral("snapshot %1 invalidated (copy-on-write area full)").arg(ref);
            case dm::SnapshotStatus::State::MergeFailed:
                return QStringLiteral("snapshot %1: merge failed").arg(ref);
            case dm::SnapshotStatus::State::Unknown:
                return QStringLiteral("snapshot %1 reports an unknown state '%2'").arg(ref, t.params);
            }
        } else if (t.type == QLatin1String("thin")) {
            if (t.params.trimmed() == QLatin1String("Fail"))
                return QStringLiteral("thin snapshot %1 failed (its thin pool is in error)").arg(ref);
        }
    }
    return {};
}

double LvmDriver::snapshotUsagePercent(const QString &snapshotName)
{
    for (const dm::Target &t : dm::deviceStatus(dm::deviceName(m_vg, snapshotName)))
        if (t.type == QLatin1String("snapshot")) {
            const dm::SnapshotStatus s = dm::parseSnapshotStatus(t.params);
            return s.state == dm::SnapshotStatus::State::Valid ? s.usedPercent() : 100.0;
        }
    return -1;
}

QCoro::Task<QList<TemporaryObject>> LvmDriver::listTemporaries()
{
    QList<TemporaryObject> out;
    for (const LvInfo &l : listLvs()) {
        if (!l.name.startsWith(QLatin1String(kTempPrefix)) && !l.tags.contains(kTag))
            continue;
        TemporaryObject t;
        if (!parseTemporaryName(l.name, t)) {
            // Tagged by us but renamed or named otherwise: still ours to remove.
            t.kind = l.origin.isEmpty() && !l.attr.startsWith(QLatin1Char('s')) ? TemporaryObject::Kind::Volume
                                                                                   : TemporaryObject::Kind::Snapshot;
            t.name = l.name;
        }
        out.append(t);
    }
    co_return out;
}

QCoro::Task<void> LvmDriver::removeTemporary(TemporaryObject object)
{
    validateName(object.name, QStringLiteral("temporary object"));
    const QList<LvInfo> lvs = listLvs();
    for (const LvInfo &l : lvs) {
        if (l.name != object.name)
            continue;
        if (!l.name.startsWith(QLatin1String(kTempPrefix)) && !l.tags.contains(kTag))
            throw Error(QStringLiteral("refusing to remove %1/%2: not a temporary object").arg(m_vg, l.name));
        removeLv(l.name);
    }
    co_return;
}

} // namespace ndb
