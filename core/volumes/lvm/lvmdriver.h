#pragma once
// VolumeDriver for one LVM volume group: lvm2's JSON report for the inventory, libdevmapper for
// "held open" and snapshot health, lvcreate/lvremove/lvchange for the rest (all through
// CommandRunner). In-use LVs are read through a temporary snapshot (thick copy-on-write or thin),
// taken with the origin's mounted filesystem frozen for that instant only.
#include "util/commandrunner.h"
#include "volumes/volumedriver.h"

#include <QHash>
#include <QProcessEnvironment>
#include <QStringList>

#include <mutex>

namespace ndb {

class JobLog;

struct LvmOptions
{
    int snapshotPercent = 20;     // thick snapshot copy-on-write size, share of the origin
    // lvcreate itself freezes a mounted filesystem for the snapshot instant (device-mapper
    // suspends the origin with lockfs); an own FIFREEZE on top is refused by kernels < 6.8.
    // When set, the driver syncs the filesystem first and enforces freezeLimitMs: a watchdog
    // resumes (thaws) the origin if it stays suspended longer, and the snapshot is discarded.
    bool freezeFilesystems = true;
    int freezeLimitMs = 10000;
    // Programs (no shell) run around the snapshot with arguments <volume id> <device path>;
    // the post hook gets a third argument "ok" or "failed" and runs even when the snapshot failed.
    QString preSnapshotHook;
    QString postSnapshotHook;
    QString thinPool;             // when set, createVolume makes thin LVs in this pool
};

// One row of `lvs` as the driver uses it.
struct LvInfo
{
    QString vg;
    QString name;
    QString uuid;
    qint64 size = 0;
    QString attr;     // lv_attr, e.g. "-wi-ao----", "Vwi-a-tz--"
    QStringList tags;
    QString origin;   // snapshots: origin LV
    QString poolLv;   // thin LVs: their pool
    QString segtype;  // linear, striped, thin, thin-pool, snapshot ...
    qint64 extentSize = 0; // of the VG, bytes
    qint64 vgFree = 0;     // bytes

    bool isThin() const { return segtype == QLatin1String("thin"); }
    bool isActive() const { return attr.size() > 4 && attr[4] == QLatin1Char('a'); }
    // Thin pools, old-style snapshots, pool metadata spares and hidden sub-LVs are not volumes.
    bool isUserVolume() const;
};

class LvmDriver : public VolumeDriver
{
public:
    // Commands, their output and the driver's notes go to `log` (may be null).
    LvmDriver(const QString &volumeGroup, const LvmOptions &options = {}, JobLog *log = nullptr);

    QString id() const override;
    QString kind() const override { return QStringLiteral("lvm"); }
    DriverCapabilities capabilities() const override;
    QString volumeGroup() const { return m_vg; }

    QCoro::Task<QList<Volume>> listVolumes() override;
    QCoro::Task<Volume> volume(QString name) override;

    QCoro::Task<Volume> createVolume(QString name, qint64 size) override;
    QCoro::Task<void> deleteVolume(QString name) override;
    QCoro::Task<Volume> createVolumeFromSource(QString source, QString name) override;

    QCoro::Task<QString> attach(QString name) override;
    QCoro::Task<void> detach(QString name) override;

    QCoro::Task<std::unique_ptr<BlockSource>> openVolumeSource(QString name) override;
    QCoro::Task<std::unique_ptr<BlockSource>> openSnapshotSource(SnapshotHandle snapshot) override;
    QCoro::Task<std::unique_ptr<BlockSink>> openVolumeSink(QString name) override;

    QCoro::Task<SnapshotHandle> createSnapshot(QString volume, QString snapshotName) override;
    QCoro::Task<void> deleteSnapshot(QString snapshotName) override;
    QString snapshotProblem(const QString &snapshotName) override;
    // Copy-on-write usage of a thick snapshot in percent; -1 for thin or unknown.
    double snapshotUsagePercent(const QString &snapshotName);
    // A snapshot is one instant; with a mounted filesystem, lvcreate's suspend freezes it.
    QCoro::Task<QString> plannedCopyConsistency(QString volume) override;
    QString copyConsistency(const QString &copyName) const override;

    QCoro::Task<QList<TemporaryObject>> listTemporaries() override;
    QCoro::Task<void> removeTemporary(TemporaryObject object) override;

    // Parses `lvs --reportformat json --units b --nosuffix -o <the driver's fields>`. Throws on bad JSON.
    static QList<LvInfo> parseLvsReport(const QByteArray &json);

    // Synchronous building blocks, public for tests and tools.
    QList<LvInfo> listLvs() const;          // every LV of the VG that lvs shows
    LvInfo lv(const QString &name) const;   // throws when missing
    bool hasLv(const QString &name) const;
    Volume toVolume(const LvInfo &lv) const;
    QString devicePath(const QString &lvName) const;

    // Runs an lvm2 command (lvs, lvcreate ...) with the environment and --config this host needs.
    CommandResult runLvm(const QString &command, const QStringList &arguments) const;
    // Whether lvm runs with the udev-less configuration here (no udev daemon on this system).
    static bool udevLess();

private:
    void removeLv(const QString &name);
    void runHook(const QString &program, const QStringList &arguments, bool checked);
    SnapshotHandle doCreateSnapshot(const LvInfo &origin, const QString &snapshotName);

    QString m_vg;
    LvmOptions m_options;
    JobLog *m_log;
    mutable std::mutex m_mutex;
    QHash<QString, QString> m_copyConsistency; // snapshots this driver took: name -> Consistency
};

} // namespace ndb
