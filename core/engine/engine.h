#pragma once
// The composition root every front end (GUI, CLI, agent) creates: catalog, drivers, job queue.
// Queries are synchronous against the catalog (cheap); work that touches storage or moves bytes
// is submitted as a job and runs on its own worker thread.
#include "backup/backupplan.h"
#include "backup/cleanupreport.h"
#include "backup/requests.h"
#include "engine/engineconfig.h"
#include "model/backup.h"
#include "model/job.h"
#include "model/volume.h"
#include "report/report.h"

#include <QCoro/QCoroTask>
#include <QDateTime>
#include <QObject>
#include <functional>
#include <memory>

namespace ndb {

class BackupService;
class JobContext;
class JobHandle;
class JobQueue;
class VolumeDriver;

class Engine : public QObject
{
    Q_OBJECT
public:
    explicit Engine(EngineConfig config, QObject *parent = nullptr);
    ~Engine() override;

    // Opens (and migrates) the catalog, creates the drivers and runs the startup cleanup of
    // incomplete operations. Throws ndb::Error. Must be called once before anything else
    // (start() or startAsync()). Blocking: for the CLI and tests.
    CleanupReport start();
    // The same for a window, which never waits for storage: opens the catalog here (throws when
    // it cannot), then runs the cleanup and the first inventory on a worker thread and emits
    // startupFinished, then volumesRefreshed. Jobs may be submitted meanwhile: the cleanup leaves
    // this live process's operations alone.
    // `prepare` (optional) runs first on that worker, before the cleanup: work the window must
    // not wait for either, such as creating the demo pool; its messages (warnings, notes) are
    // added to the CleanupReport of startupFinished.
    void startAsync(std::function<QStringList()> prepare = {});
    const EngineConfig &config() const;
    // The storage nodes to manage (EngineConfig::agents), changed while the engine runs (a
    // settings page added or removed one): jobs and the next inventory use the new list.
    void setAgents(const QStringList &agents);

    QList<VolumeDriver *> drivers() const;
    VolumeDriver *driver(const QString &driverId) const; // nullptr when unknown

    // Asks every driver for its volumes, merges catalog statuses (backing-up ...) and stores the
    // inventory. Blocking; the GUI calls it through refreshVolumesAsync().
    QList<Volume> refreshVolumes();
    void refreshVolumesAsync(); // emits volumesRefreshed or refreshFailed
    // Whether an asynchronous inventory (startAsync, refreshVolumesAsync) has not reported yet.
    bool inventoryPending() const;
    QList<Volume> volumes() const; // last known inventory from the catalog
    Volume findVolume(const QString &idOrName) const; // id, or unique name; throws when unknown

    // Newest first; deleted backups only with `includeDeleted` (history).
    QList<Backup> backups(const QString &volumeId = {}, bool includeDeleted = false) const;
    Backup backup(const QString &id) const; // throws when unknown
    QList<Job> jobs(const HistoryFilter &filter = {}) const;
    QList<JobEvent> jobEvents(qint64 jobId) const;
    // History and inventory for a report (Report::collect over this engine's catalog).
    ReportData report(const QDateTime &from, const QDateTime &to) const;

    // Which data path and consistency a backup of the volume would take now (the same decision
    // the backup makes), asked of the storage on a worker thread; `done` runs on `receiver`'s
    // thread with the plan, or with an error text when the storage could not tell.
    void planBackupAsync(const QString &volumeId, QObject *receiver,
                         std::function<void(const ndb::BackupPlan &plan, const QString &error)> done);
    // The same, blocking (CLI, tests).
    BackupPlan planBackup(const QString &volumeId);

    // Job submission. Validation errors that need no storage access (bad names, unknown volume,
    // force missing) throw ndb::Error immediately and create nothing.
    JobHandle *submitBackup(const BackupRequest &request);
    JobHandle *submitRestore(const RestoreRequest &request);
    JobHandle *submitVerify(const QString &backupId);
    JobHandle *submitDelete(const QString &backupId);
    JobHandle *submitGarbageCollection(const QString &container);
    // Storage changes an administrator asks for, run and logged as jobs like every other call
    // that touches storage. Results: the new volume's id (create), the device path (attach).
    // Call refreshVolumes() (or refreshVolumesAsync()) afterwards to see the change.
    JobHandle *submitCreateVolume(const QString &driverId, const QString &name, qint64 size);
    JobHandle *submitAttachVolume(const QString &idOrName);
    JobHandle *submitDetachVolume(const QString &idOrName);
    JobQueue *jobQueue() const;

    // An administrator's explicit reset of a volume's status (clears a sticky `error`), logged as
    // a job of kind "reset-status". `status` is "available" or "error". Refused (RefusedError)
    // while a backup or restore runs on the volume. Returns the updated volume.
    Volume resetVolumeStatus(const QString &idOrName, const QString &status = QStringLiteral("available"));

    // Runs the same cleanup as start() again (ndbackupctl cleanup).
    CleanupReport cleanup();

Q_SIGNALS:
    void startupFinished(const ndb::CleanupReport &report);
    void volumesRefreshed(const QList<ndb::Volume> &volumes);
    void refreshFailed(const QString &error);
    // During an asynchronous inventory: one driver has answered and its volumes are in the
    // catalog (volumes()), before the slower drivers answer and volumesRefreshed follows.
    void driverInventoried(const QString &driverId);
    void jobSubmitted(ndb::JobHandle *job);
    void jobFinished(ndb::JobHandle *job);

private:
    void open();
    // The inventory (after the startup cleanup when `cleanupFirst`) on a worker thread; emits
    // startupFinished (cleanupFirst) or refreshFailed, then volumesRefreshed.
    void refreshOnWorker(bool cleanupFirst, std::function<QStringList()> prepare = {});
    // A job on one existing backup (verify, delete) that returns the backup's id.
    JobHandle *submitBackupJob(const QString &kind, const Backup &backup,
                               QCoro::Task<> (*operation)(BackupService &, QString));
    // A job of `kind` on volume `name` of the storage `driverId` (create, attach, detach).
    JobHandle *submitVolumeJob(const QString &kind, const QString &driverId, const QString &volumeId, const QString &name,
                               std::function<QCoro::Task<QString>(VolumeDriver &, JobContext &)> work);

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace ndb
