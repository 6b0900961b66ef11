#pragma once
// The orchestration of DESIGN.md's data paths as coroutines. It owns the status rules and the
// cleanup of temporaries; it never touches bytes itself (the transfer pipeline does).
// One BackupService lives in one job thread, with that thread's catalog connection and drivers.
#include "backup/requests.h"
#include "backup/steps.h"
#include "model/backup.h"
#include "backup/serviceoptions.h"
#include "repository/repository.h"

#include <QCoro/QCoroTask>
#include <functional>
#include <memory>
#include <optional>

namespace ndb {

class Catalog;
class DriverSet;
class JobContext;
class BackupStore;
class SnapshotStore;
class VolumeStore;
class VolumeDriver;
class BlockSource;
struct TemporaryObject;
struct Volume;

class BackupService
{
public:
    BackupService(BackupServiceOptions options, Catalog &catalog, DriverSet &drivers, JobContext &job);
    ~BackupService();

    // Checks the request against the status rules and creates the backup, returning its id.
    // `backupId` is chosen by the caller so that the job row can name it before it exists.
    QCoro::Task<QString> createBackup(BackupRequest request, QString backupId);
    QCoro::Task<void> restoreBackup(RestoreRequest request);
    // A damaged backup is marked `error` (restore then refuses it) and a CorruptDataError thrown.
    QCoro::Task<VerifyReport> verifyBackup(QString backupId);
    QCoro::Task<void> deleteBackup(QString backupId);
    QCoro::Task<GcReport> collectGarbage(QString container);

    // Directory of a container below the repository root; validates the name.
    static QString containerPath(const QString &repositoryRoot, const QString &container);

private:
    struct BackupRun;
    // Phase "prepare", the backup's row (NotFoundError when there is none), the job's subject.
    std::optional<Backup> beginBackupJob(const QString &backupId);
    // The steps of the backup's data path (DESIGN.md "Data paths"), ending with the transfer.
    QList<Step> backupRecipe(BackupRun &run);
    Step snapshotStep(BackupRun &run);
    Step exportStep(BackupRun &run);
    Step connectStep(BackupRun &run);
    Step cloneStep(BackupRun &run);
    Step attachStep(BackupRun &run);
    Step readStep(BackupRun &run, std::function<QCoro::Task<std::unique_ptr<BlockSource>>()> open);
    Step transferStep(BackupRun &run);
    // Records what the data path really gave; refuses (throws) a copy that is not point-in-time
    // when such copies are refused.
    void setConsistency(BackupRun &run, const QString &consistency);
    // Phase "cleanup", the driver's removal, a note in the job log.
    QCoro::Task<void> removeTemporary(VolumeDriver &driver, TemporaryObject object);
    void transfer(BackupRun &run);
    QCoro::Task<Volume> currentVolume(VolumeDriver &driver, const QString &volumeId);

    const BackupServiceOptions m_options;
    Catalog &m_catalog;
    DriverSet &m_drivers;
    JobContext &m_job;
    std::unique_ptr<VolumeStore> m_volumes;
    std::unique_ptr<BackupStore> m_backups;
    std::unique_ptr<SnapshotStore> m_snapshots;
};

} // namespace ndb
