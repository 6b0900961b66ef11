#include "startupcleanup.h"

#include "backup/backupservice.h"
#include "backup/restoretarget.h"
#include "catalog/backupstore.h"
#include "catalog/catalog.h"
#include "catalog/freezestore.h"
#include "catalog/jobstore.h"
#include "catalog/volumestore.h"
#include "model/status.h"
#include "repository/repository.h"
#include "util/error.h"
#include "volumes/driverset.h"
#include "volumes/fsfreeze.h"
#include "volumes/lvm/devmapper.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QDateTime>
#include <QSqlQuery>

namespace ndb {

namespace {
const QString kResetReason = QStringLiteral("incomplete backup reset on restart");
} // namespace

QCoro::Task<CleanupReport> StartupCleanup::run()
{
    CleanupReport report;
    thawDeadFreezes(report); // first: a workload may be hanging on it
    co_await retryFailedSnapshotRemovals(report);
    co_await resetCreatingBackups(report);
    co_await resetRestores(report);
    co_await endVolumeSinks(report);
    co_await finishDeletes(report);
    co_await removeOrphanTemporaries(report);
    co_await removeDriverLeftovers(report);
    resetVolumes(report);
    removePartialFiles(report);
    failDeadJobs();
    co_return report;
}

QCoro::Task<void> StartupCleanup::resetCreatingBackups(CleanupReport &report)
{
    BackupStore backups(m_catalog);
    SnapshotStore snapshots(m_catalog);
    VolumeStore volumes(m_catalog);
    for (const Backup &b : backups.withStatus(BackupStatus::Creating)) {
        if (workerIsAlive(backups.workerOf(b.id)))
            continue; // a live process is still working on it
        VolumeDriver *driver = nullptr;
        try {
            driver = &m_drivers.forVolume(b.volumeId);
        } catch (const Error &e) {
            report.messages << QStringLiteral("backup %1: %2; its temporaries cannot be checked").arg(b.id, e.message());
        }
        // The temporaries are the engine's own objects: detach and delete them. The source
        // volume itself is never detached — if it was in-use, its real user keeps it; if it was
        // available, the engine read it in place and holds nothing on it.
        if (driver && !b.tempSnapshotId.isEmpty()) {
            const std::optional<Snapshot> snap = snapshots.find(b.tempSnapshotId);
            // A remote snapshot is deleted on its agent by the agent's id (idempotent).
            const TemporaryObject snapshot{TemporaryObject::Kind::Snapshot, snap ? snap->name : tempSnapshotName(b.id), b.id,
                                           snap ? snap->providerId : QString()};
            const QString rowId = snap ? snap->id : QString();
            const QString note; // named locals as co_await arguments: GCC 12 destroys temporaries there twice
            co_await removeRecordedSnapshot(*driver, snapshot, rowId, note, report);
        }
        if (driver && !b.tempVolumeId.isEmpty()) {
            const QString name = DriverSet::volumeName(b.tempVolumeId);
            try {
                const TemporaryObject volume{TemporaryObject::Kind::Volume, name, b.id};
                co_await driver->removeTemporary(volume);
                ++report.temporariesRemoved;
                report.messages << QStringLiteral("removed temporary volume %1").arg(name);
            } catch (const Error &e) {
                report.messages << QStringLiteral("could not remove temporary volume %1: %2").arg(name, e.message());
            }
        }
        // A manifest committed just before the crash is not trusted: the backup never became available.
        const QString dir = QFileInfo(BackupService::containerPath(m_repositoryRoot, b.container)).absoluteFilePath();
        if (Repository::exists(dir)) {
            try {
                auto repo = Repository::open(dir);
                if (repo->hasManifest(b.id))
                    repo->deleteManifest(b.id);
            } catch (const Error &e) {
                report.messages << QStringLiteral("backup %1: %2").arg(b.id, e.message());
            }
        }
        m_catalog.transaction([&] {
            backups.setStatus(b.id, BackupStatus::Error, kResetReason);
            const std::optional<Volume> v = volumes.find(b.volumeId);
            if (v && v->status == VolumeStatus::BackingUp) {
                volumes.restorePreviousStatus(b.volumeId);
                ++report.volumesRestored;
            }
        });
        ++report.backupsReset;
        report.messages << QStringLiteral("backup %1 of %2: %3").arg(b.id, b.volumeName, kResetReason);
    }
}

QCoro::Task<void> StartupCleanup::retryFailedSnapshotRemovals(CleanupReport &report)
{
    // A temporary snapshot whose removal failed (its storage node unreachable at that moment) is
    // kept as 'error_deleting' with its storage id until its storage confirms the deletion.
    SnapshotStore snapshots(m_catalog);
    for (const Snapshot &snap : snapshots.withStatus(SnapshotStatus::ErrorDeleting)) {
        VolumeDriver *driver = nullptr;
        try {
            driver = &m_drivers.forVolume(snap.volumeId);
        } catch (const Error &e) {
            report.messages << QStringLiteral("temporary snapshot %1: %2; its removal is retried when that storage is "
                                              "configured again").arg(snap.name, e.message());
            continue;
        }
        const TemporaryObject snapshot{TemporaryObject::Kind::Snapshot, snap.name, snap.backupId, snap.providerId};
        const QString note = QStringLiteral(" (its earlier removal had failed)");
        co_await removeRecordedSnapshot(*driver, snapshot, snap.id, note, report);
    }
}

QCoro::Task<void> StartupCleanup::removeRecordedSnapshot(VolumeDriver &driver, TemporaryObject snapshot, QString rowId,
                                                         QString note, CleanupReport &report)
{
    SnapshotStore snapshots(m_catalog);
    try {
        co_await driver.removeTemporary(snapshot);
        if (!rowId.isEmpty())
            snapshots.markDeleted(rowId);
        ++report.temporariesRemoved;
        report.messages << QStringLiteral("removed temporary snapshot %1%2").arg(snapshot.name, note);
    } catch (const Error &e) {
        if (!rowId.isEmpty())
            snapshots.setStatus(rowId, SnapshotStatus::ErrorDeleting); // retried by every cleanup
        report.messages << QStringLiteral("could not remove temporary snapshot %1 (retried at the next cleanup): %2")
                               .arg(snapshot.name, e.message());
    }
}

QCoro::Task<void> StartupCleanup::resetRestores(CleanupReport &report)
{
    BackupStore backups(m_catalog);
    for (const Backup &b : backups.withStatus(BackupStatus::Restoring)) {
        if (workerIsAlive(backups.workerOf(b.id)))
            continue;
        backups.setStatus(b.id, BackupStatus::Available);
        ++report.restoresReset;
        report.messages << QStringLiteral("restore of backup %1 was interrupted; the backup is available again").arg(b.id);
    }
    co_return;
}

QCoro::Task<void> StartupCleanup::endVolumeSinks(CleanupReport &report)
{
    // A restore onto a storage node's volume that died while the volume was exported to it: the
    // export and connection are ended now (the agent would at the lease's end); the volume holds
    // a partial restore and becomes 'error' below (resetVolumes).
    JobStore jobs(m_catalog);
    for (const JobStore::VolumeSink &sink : jobs.volumeSinks()) {
        if (workerIsAlive(sink.worker))
            continue;
        const QJsonObject record = QJsonDocument::fromJson(sink.state.toUtf8()).object();
        const QString driverId = record.value(QStringLiteral("driver")).toString();
        const QString volume = record.value(QStringLiteral("volume")).toString();
        VolumeDriver *driver = m_drivers.byId(driverId);
        if (!driver) {
            report.messages << QStringLiteral("restore job %1 left volume %2 of %3 exported; that storage is not configured here, "
                                              "so its lease ends it").arg(sink.jobId).arg(volume, driverId);
            continue;
        }
        try {
            const QJsonObject state = record.value(QStringLiteral("state")).toObject();
            co_await driver->closeVolumeSink(volume, state);
            jobs.setVolumeSink(sink.jobId, QString());
            ++report.temporariesRemoved;
            report.messages << QStringLiteral("ended the export of volume %1 on %2 left by an interrupted restore").arg(volume, driverId);
        } catch (const Error &e) {
            report.messages << QStringLiteral("could not end the export of volume %1 on %2: %3").arg(volume, driverId, e.message());
        }
    }
}

QCoro::Task<void> StartupCleanup::finishDeletes(CleanupReport &report)
{
    BackupStore backups(m_catalog);
    for (const Backup &b : backups.withStatus(BackupStatus::Deleting)) {
        if (workerIsAlive(backups.workerOf(b.id)))
            continue;
        const QString dir = BackupService::containerPath(m_repositoryRoot, b.container);
        try {
            if (Repository::exists(dir)) {
                auto repo = Repository::open(dir);
                if (repo->hasManifest(b.id))
                    repo->deleteManifest(b.id);
            }
            backups.markDeleted(b.id);
            ++report.deletesFinished;
            report.messages << QStringLiteral("finished interrupted delete of backup %1").arg(b.id);
        } catch (const Error &e) {
            report.messages << QStringLiteral("delete of backup %1: %2").arg(b.id, e.message());
        }
    }
    co_return;
}

// On a storage node the agent records the temporaries it makes for consoles (no backup row
// here: the backup is the console's) with a lease; until the lease runs out they are live.
bool StartupCleanup::heldByLease(const QString &temporaryName) const
{
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT COUNT(*) FROM snapshots WHERE name = ? AND deleted_at IS NULL "
                                                "AND lease_expires_at > ?"),
                                 {temporaryName, QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)});
    return q.next() && q.value(0).toInt() > 0;
}

QCoro::Task<void> StartupCleanup::removeOrphanTemporaries(CleanupReport &report)
{
    // Leftovers found on the storage by their name prefix, even without a catalog row
    // (another catalog, a lost database, a crash between two writes).
    BackupStore backups(m_catalog);
    for (VolumeDriver *driver : m_drivers.all()) {
        QList<TemporaryObject> temps;
        try {
            temps = co_await driver->listTemporaries();
        } catch (const Error &e) {
            report.messages << QStringLiteral("%1: cannot list temporaries: %2").arg(driver->id(), e.message());
            continue;
        }
        for (const TemporaryObject &t : temps) {
            const std::optional<Backup> owner = t.backupId.isEmpty() ? std::nullopt : backups.find(t.backupId);
            if (owner && owner->status == BackupStatus::Creating && workerIsAlive(backups.workerOf(owner->id)))
                continue; // in use by a running backup
            if (heldByLease(t.name))
                continue; // a storage-node agent serves it to a console; the agent's reaper owns it
            try {
                co_await driver->removeTemporary(t);
                ++report.temporariesRemoved;
                report.messages << QStringLiteral("removed leftover temporary %1 on %2").arg(t.name, driver->id());
            } catch (const Error &e) {
                report.messages << QStringLiteral("could not remove leftover %1: %2").arg(t.name, e.message());
            }
        }
    }
}

void StartupCleanup::thawDeadFreezes(CleanupReport &report)
{
    // A freeze whose process died (killed together with its guard, or before the guard could
    // thaw) is undone here. A freeze that a live process holds on the same target is never
    // touched: thawing it would break that process's point-in-time copy.
    FreezeStore store(m_catalog);
    const QList<FreezeRecord> records = store.all();
    QSet<QString> heldByLive;
    for (const FreezeRecord &r : records)
        if (workerIsAlive(r.worker))
            heldByLive.insert(r.kind + QLatin1Char('\n') + r.target);
    for (const FreezeRecord &r : records) {
        if (workerIsAlive(r.worker))
            continue;
        const QString what = r.device.isEmpty() ? r.target : QStringLiteral("%1 (%2)").arg(r.target, r.device);
        if (heldByLive.contains(r.kind + QLatin1Char('\n') + r.target)) {
            report.messages << QStringLiteral("%1 was frozen by a process that ended, but a running process froze it "
                                              "again; that process thaws it").arg(what);
            store.remove(r.id);
            continue;
        }
        if (r.kind == QLatin1String(FreezeRecord::kFilesystem)) {
            QString error;
            if (FilesystemFreeze::thawMountPoint(r.target, &error)) {
                ++report.freezesThawed;
                report.messages << QStringLiteral("thawed the filesystem at %1, left frozen by a process that ended").arg(what);
            } else if (!error.isEmpty() && QFileInfo::exists(r.target)) {
                report.messages << QStringLiteral("could not thaw the filesystem at %1: %2; run 'fsfreeze -u %3'")
                                       .arg(what, error, r.target);
                continue; // keep the record: the next cleanup tries again
            }
        } else if (r.kind == QLatin1String(FreezeRecord::kDmSuspend)) {
            try {
                if (dm::available() && dm::deviceInfo(r.target).suspended) {
                    dm::resumeDevice(r.target);
                    ++report.freezesThawed;
                    report.messages << QStringLiteral("resumed device-mapper device %1, left suspended by a process that ended").arg(what);
                }
            } catch (const Error &e) {
                report.messages << QStringLiteral("could not resume device-mapper device %1: %2; run 'dmsetup resume %3'")
                                       .arg(what, e.message(), r.target);
                continue;
            }
        }
        store.remove(r.id);
    }
}

QCoro::Task<void> StartupCleanup::removeDriverLeftovers(CleanupReport &report)
{
    for (VolumeDriver *driver : m_drivers.all()) {
        try {
            const QStringList removed = co_await driver->removeLeftovers();
            for (const QString &path : removed)
                report.messages << QStringLiteral("removed leftover %1 on %2").arg(path, driver->id());
        } catch (const Error &e) {
            report.messages << QStringLiteral("%1: cannot remove leftovers: %2").arg(driver->id(), e.message());
        }
    }
}

void StartupCleanup::resetVolumes(CleanupReport &report)
{
    // Volumes left 'backing-up' / 'restoring-backup' by a dead process without a matching row.
    // Only the engine's own operations: they record their worker. A status without one is what
    // the storage itself reported (a storage node's agent restoring onto its volume), not ours.
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT id, status, status_worker FROM volumes WHERE status IN (?, ?) "
                                                "AND status_worker IS NOT NULL AND status_worker <> ''"),
                                 {VolumeStatus::BackingUp, VolumeStatus::RestoringBackup});
    QList<QPair<QString, QString>> stale;
    while (q.next())
        if (!workerIsAlive(q.value(2).toString()))
            stale << qMakePair(q.value(0).toString(), q.value(1).toString());
    VolumeStore volumes(m_catalog);
    for (const auto &[id, status] : stale) {
        if (status == VolumeStatus::RestoringBackup) {
            volumes.setStatus(id, VolumeStatus::Error); // holds a partial restore
            report.messages << QStringLiteral("volume %1 was being restored when the process died; marked 'error'").arg(id);
        } else {
            volumes.restorePreviousStatus(id);
            report.messages << QStringLiteral("volume %1 status restored").arg(id);
        }
        ++report.volumesRestored;
    }
}

void StartupCleanup::removePartialFiles(CleanupReport &report)
{
    // The `<target>.ndbackup-partial` of a killed restore into a file (up to the volume's size).
    JobStore jobs(m_catalog);
    for (const JobStore::PartialFile &p : jobs.partialFiles()) {
        if (workerIsAlive(p.worker))
            continue; // that restore is still writing it
        // Only ever a file of our own naming, whatever the row says.
        if (p.path.endsWith(QLatin1String(kPartialSuffix)) && QFileInfo(p.path).isFile()) {
            if (!QFile::remove(p.path)) {
                report.messages << QStringLiteral("could not remove the partial restore %1").arg(p.path);
                continue;
            }
            ++report.temporariesRemoved;
            report.messages << QStringLiteral("removed the partial file %1 of an interrupted restore").arg(p.path);
        }
        jobs.setPartialFile(p.jobId, QString());
    }
}

void StartupCleanup::failDeadJobs()
{
    JobStore jobs(m_catalog);
    for (const Job &j : jobs.running()) {
        if (workerIsAlive(jobs.workerOf(j.id)))
            continue;
        jobs.addEvent(j.id, j.phase, QStringLiteral("error"), QStringLiteral("the process running this job ended unexpectedly"), j.bytesDone);
        jobs.finish(j.id, JobStatus::Failed, QStringLiteral("process ended unexpectedly; reset on restart"));
    }
}

} // namespace ndb
