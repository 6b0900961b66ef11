#pragma once
// Image pool driver: a pool is a directory, each volume a raw image file <name>.img in it.
// Snapshots and clones are reflinks (FICLONE) where the pool's filesystem supports them (btrfs,
// xfs with reflink=1); elsewhere a clone is a sparse copy made while the source's mounted
// filesystem is frozen. Volumes are attached through loop devices.
#include "volumes/volumedriver.h"

#include <QHash>
#include <QString>

#include <mutex>
#include <optional>

namespace ndb {

class JobLog;

class ImageDriver : public VolumeDriver
{
public:
    // Notes and warnings (e.g. "not a point-in-time copy") go to `log` (may be null).
    explicit ImageDriver(const QString &poolDirectory, bool freezeFilesystems = true, int freezeLimitMs = 10000,
                         JobLog *log = nullptr);
    ~ImageDriver() override;

    QString id() const override;
    QString kind() const override;
    DriverCapabilities capabilities() const override;

    QCoro::Task<QList<Volume>> listVolumes() override;
    QCoro::Task<Volume> volume(QString name) override;

    QCoro::Task<Volume> createVolume(QString name, qint64 size) override;
    QCoro::Task<void> deleteVolume(QString name) override;
    // Reflink where supported (one instant). Otherwise a sparse copy (SEEK_DATA/SEEK_HOLE,
    // copy_file_range) while every filesystem mounted from the source's loop devices is frozen;
    // a copy that cannot finish within freezeLimitMs fails and is removed. An in-use source
    // without a filesystem we can freeze (raw writer, a VM holding the file) is still copied,
    // but that copy is not point-in-time: a warning goes to the driver's job log.
    QCoro::Task<Volume> createVolumeFromSource(QString source, QString name) override;

    // Persistent loop device for user volumes (administrators serve volumes this way). For the
    // engine's temporaries (ndbackup-vol-*, ndbackup-snap-*) the loop device is autoclear and
    // held open by this driver, so a killed process cannot leave it bound.
    QCoro::Task<QString> attach(QString name) override;
    // Refuses when the loop device carries a mounted filesystem: never detach from a real user.
    QCoro::Task<void> detach(QString name) override;

    QCoro::Task<std::unique_ptr<BlockSource>> openVolumeSource(QString name) override;
    QCoro::Task<std::unique_ptr<BlockSource>> openSnapshotSource(SnapshotHandle snapshot) override;
    QCoro::Task<std::unique_ptr<BlockSink>> openVolumeSink(QString name) override;

    QCoro::Task<SnapshotHandle> createSnapshot(QString volume, QString snapshotName) override;
    QCoro::Task<void> deleteSnapshot(QString snapshotName) override;
    // A reflink snapshot goes bad only by losing its file (removed behind our back).
    QString snapshotProblem(const QString &snapshotName) override;

    QCoro::Task<QString> plannedCopyConsistency(QString volume) override;
    QString copyConsistency(const QString &copyName) const override;

    QCoro::Task<QList<TemporaryObject>> listTemporaries() override;
    QCoro::Task<void> removeTemporary(TemporaryObject object) override;
    // Reflink probe files (.ndbackup-reflink-probe-<pid>...) of processes that are gone.
    QCoro::Task<QStringList> removeLeftovers() override;

    // Synchronous forms (the coroutines above complete synchronously except long copies).
    QString poolPath() const { return m_pool; }
    QString imagePath(const QString &name) const; // <pool>/<name>.img, name not validated
    bool reflinkSupported() const;
    Volume volumeSync(const QString &name) const;
    // The inventory leaves out the engine's temporaries (see listTemporaries()).
    QList<Volume> listVolumesSync(bool includeTemporaries = false) const;

private:
    struct Holders;
    Holders scanHolders() const;
    Volume describe(const QString &name, const Holders &holders) const;
    void requireExisting(const QString &name) const;
    // What a copy of `sourceName` made now does: the filesystems to freeze and the consistency
    // that gives (one decision for the plan and the copy itself).
    struct CopyPlan;
    CopyPlan planCopy(const QString &sourceName) const;
    // Copy `source` into a new image `target` at one instant (reflink or frozen copy).
    void cloneImage(const QString &sourceName, const QString &targetName);
    void releaseLoops(const QString &name, bool refuseMounted);

    QString m_pool;
    bool m_freeze;
    int m_freezeLimitMs;
    JobLog *m_log;
    mutable std::optional<bool> m_reflink;
    mutable std::mutex m_mutex;
    QHash<QString, int> m_heldLoops; // temporaries attached with autoclear: name -> open fd
    QHash<QString, QString> m_copyConsistency; // copies this driver made: name -> Consistency
};

} // namespace ndb
