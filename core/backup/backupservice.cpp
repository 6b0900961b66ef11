#include "backupservice.h"

#include "backup/backupplan.h"
#include "backup/restoretarget.h"
#include "backup/statusrules.h"
#include "backup/steps.h"
#include "backup/transfer.h"
#include "catalog/backupstore.h"
#include "catalog/catalog.h"
#include "catalog/jobstore.h"
#include "catalog/volumestore.h"
#include "jobs/jobcontext.h"
#include "model/backup.h"
#include "model/status.h"
#include "util/error.h"
#include "util/names.h"
#include "util/units.h"
#include "volumes/blockdevice.h"
#include "volumes/driverset.h"
#include "volumes/volumedriver.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QScopeGuard>
#include <QSysInfo>
#include <QUuid>

namespace ndb {

namespace {
QString newId() { return QUuid::createUuid().toString(QUuid::WithoutBraces); }

bool isCancelled(const std::exception_ptr &e) { return exceptionKind(e) == ErrorKind::Cancelled; }
bool isCorruption(const std::exception_ptr &e) { return exceptionKind(e) == ErrorKind::CorruptData; }

// jobs.volume_sink: which driver and volume the state belongs to, for the startup cleanup.
QString volumeSinkRecord(const QString &driverId, const QString &volume, const QJsonObject &state)
{
    const QJsonObject record{{QStringLiteral("driver"), driverId}, {QStringLiteral("volume"), volume}, {QStringLiteral("state"), state}};
    return QString::fromUtf8(QJsonDocument(record).toJson(QJsonDocument::Compact));
}

} // namespace

// What the steps of one backup's data path share.
struct BackupService::BackupRun
{
    QString backupId;
    BackupRequest request;
    Volume volume;
    VolumeDriver *driver = nullptr;
    Repository *repository = nullptr;
    QString dataPath;
    bool refuseInconsistent = false;
    QString consistency = Consistency::Unknown; // what the data path really gave
    QString snapshotRowId;  // snapshots.id
    QString snapshotName;   // on the storage; set before it is created (the health checks use it)
    SnapshotHandle snapshot;
    QString tempVolume;     // temporary volume; set before it is created
    QString attachment;     // what attach() returned
    QString exportId;       // data path 4: create_export_snapshot's export
    ConnectionInfo connection; // and initialize_connection_snapshot's properties
    std::unique_ptr<BlockSource> source;
    Manifest manifest;
};

BackupService::BackupService(BackupServiceOptions options, Catalog &catalog, DriverSet &drivers, JobContext &job)
    : m_options(std::move(options)), m_catalog(catalog), m_drivers(drivers), m_job(job),
      m_volumes(std::make_unique<VolumeStore>(catalog)),
      m_backups(std::make_unique<BackupStore>(catalog)),
      m_snapshots(std::make_unique<SnapshotStore>(catalog))
{
}

BackupService::~BackupService() = default;

QString BackupService::containerPath(const QString &repositoryRoot, const QString &container)
{
    validateName(container, QStringLiteral("container"));
    return QDir(repositoryRoot).filePath(container);
}

QCoro::Task<Volume> BackupService::currentVolume(VolumeDriver &driver, const QString &volumeId)
{
    // Ask the storage, not the cached inventory: the status decides the data path.
    // Arguments of a co_await are named locals: GCC 12 destroys some temporaries there twice.
    const QString name = DriverSet::volumeName(volumeId);
    Volume fresh = co_await driver.volume(name);
    Volume merged = m_volumes->upsertFromInventory(fresh);
    fresh.status = merged.status; // keeps a sticky error or another live operation's status
    co_return fresh;
}

QCoro::Task<QString> BackupService::createBackup(BackupRequest request, QString backupId)
{
    m_job.setPhase(Phase::Prepare);
    if (request.container.isEmpty())
        request.container = m_options.defaultContainer;
    const QString containerDir = containerPath(m_options.repositoryRoot, request.container);
    validateText(request.name, QStringLiteral("backup name"), 255);
    validateText(request.description, QStringLiteral("description"), 4096);

    BackupRun run;
    run.backupId = backupId;
    run.request = request;
    run.driver = &m_drivers.forVolume(request.volumeId);
    run.volume = co_await currentVolume(*run.driver, request.volumeId);
    const Volume &volume = run.volume;
    m_job.setSubject(backupId, volume.id);

    // Status rules, checked before anything is created or changed.
    checkBackupAllowed(volume, request.force);
    const BackupPlan plan = co_await planBackup(*run.driver, volume);
    run.refuseInconsistent = m_options.refuseInconsistentCopies || request.requirePointInTime;
    if (run.refuseInconsistent && !plan.pointInTime())
        throw RefusedError(plan.refusal(volume.name));
    std::unique_ptr<Repository> repository = Repository::openOrCreate(containerDir);
    run.repository = repository.get();
    beginBackupOperation(*m_volumes, volume);

    Backup backup;
    backup.id = backupId;
    backup.volumeId = volume.id;
    backup.volumeName = volume.name;
    backup.name = request.name;
    backup.description = request.description;
    backup.container = request.container;
    backup.status = BackupStatus::Creating;
    backup.size = volume.size;
    std::exception_ptr failure;
    try {
        m_backups->insert(backup);
    } catch (...) {
        failure = std::current_exception();
    }
    if (failure) {
        m_volumes->restorePreviousStatus(volume.id);
        std::rethrow_exception(failure);
    }
    m_backups->markStarted(backupId);
    m_job.info(QStringLiteral("backing up %1 (%2, %3) into container '%4'")
                   .arg(volume.name, formatSize(volume.size), volume.status, request.container));

    run.dataPath = plan.dataPath;
    m_backups->setDataPath(backupId, run.dataPath);
    if (run.dataPath == DataPath::Volume)
        setConsistency(run, Consistency::Detached);

    // Temporaries go in every outcome; a cleanup problem after a good read is only a warning
    // (the leftover keeps its ndbackup- name and the next cleanup removes it).
    StepRunner steps(m_job.cancelFlag(), [this](const QString &warning) { m_job.warning(warning); });
    try {
        co_await steps.run(backupRecipe(run));
    } catch (...) {
        failure = std::current_exception();
    }
    co_await steps.undo();

    Manifest &manifest = run.manifest;
    if (!failure) {
        try {
            m_job.throwIfCancelled();
            manifest.finishedAt = QDateTime::currentDateTimeUtc();
            repository->commitManifest(manifest);
            m_catalog.transaction([&] {
                m_backups->markAvailable(backupId, manifest.size, manifest.storedBytes);
                m_volumes->restorePreviousStatus(volume.id);
            });
        } catch (...) {
            failure = std::current_exception();
            if (repository->hasManifest(backupId))
                repository->deleteManifest(backupId);
        }
    }
    if (failure) {
        const QString reason = describeException(failure);
        m_catalog.transaction([&] {
            m_backups->markFailed(backupId, isCancelled(failure) ? QStringLiteral("cancelled") : reason, isCancelled(failure));
            m_volumes->restorePreviousStatus(volume.id);
        });
        std::rethrow_exception(failure);
    }
    if (run.consistency == Consistency::NotPointInTime)
        m_job.setWarningOutcome(QStringLiteral("backup %1 of %2 is not a point-in-time copy: the volume was copied while "
                                               "it may have been written").arg(backupId, volume.name));
    m_job.setPhase(Phase::Done, QStringLiteral("backup %1 available").arg(backupId));
    co_return backupId;
}

// DESIGN.md's data paths, each one short recipe.
QList<Step> BackupService::backupRecipe(BackupRun &run)
{
    VolumeDriver &driver = *run.driver;
    if (run.dataPath == DataPath::Volume) // 1: read the detached volume itself
        return {readStep(run, [&] { return driver.openVolumeSource(run.volume.name); }), transferStep(run)};
    if (run.dataPath == DataPath::Snapshot) // 2: read a temporary snapshot
        return {snapshotStep(run), readStep(run, [&] { return driver.openSnapshotSource(run.snapshot); }),
                transferStep(run)};
    if (run.dataPath == DataPath::Export) // 4 (5 through an agent): export the temporary snapshot, connect, read
        return {snapshotStep(run), exportStep(run), connectStep(run),
                readStep(run, [&] { return driver.openConnectionSource(run.connection); }), transferStep(run)};
    // 3: the storage cannot snapshot; clone into a temporary volume and attach it.
    return {cloneStep(run), attachStep(run),
            readStep(run, [&] { return driver.openAttachedSource(run.tempVolume, run.attachment); }), transferStep(run)};
}

Step BackupService::snapshotStep(BackupRun &run)
{
    Step step;
    step.name = QStringLiteral("snapshot");
    // The id is in the catalog before the snapshot exists on the storage.
    step.record = [this, &run] {
        m_job.setPhase(Phase::Snapshot, QStringLiteral("taking temporary snapshot"));
        run.snapshotRowId = newId();
        run.snapshotName = tempSnapshotName(run.backupId);
        m_catalog.transaction([&] {
            Snapshot s;
            s.id = run.snapshotRowId;
            s.volumeId = run.volume.id;
            s.backupId = run.backupId;
            s.name = run.snapshotName;
            s.status = QStringLiteral("creating");
            m_snapshots->insert(s);
            m_backups->setTempSnapshot(run.backupId, run.snapshotRowId);
        });
    };
    step.act = [this, &run]() -> QCoro::Task<void> {
        const QString volumeName = run.volume.name;
        const QString snapshotName = run.snapshotName;
        // A storage that names the snapshot before it exists (an agent's operation) has that
        // name recorded at once: a cancel or a crash during a slow copy is undone by it.
        run.driver->setProviderIdRecorder([this, &run](const QString &, const QString &providerId) {
            m_snapshots->setProvider(run.snapshotRowId, providerId, run.driver->id(), {});
        });
        const auto forget = qScopeGuard([&run] { run.driver->setProviderIdRecorder({}); });
        run.snapshot = co_await run.driver->createSnapshot(volumeName, snapshotName);
        m_snapshots->setStatus(run.snapshotRowId, QStringLiteral("available"));
        m_snapshots->setProvider(run.snapshotRowId, run.snapshot.providerId, run.snapshot.providerLocation, {});
        m_job.info(QStringLiteral("temporary snapshot %1 taken").arg(run.snapshotName));
        setConsistency(run, run.driver->copyConsistency(run.snapshotName));
    };
    step.undo = [this, &run]() -> QCoro::Task<void> {
        m_snapshots->setStatus(run.snapshotRowId, SnapshotStatus::Deleting);
        // Arguments of a co_await are named locals: GCC 12 destroys some temporaries there twice.
        const TemporaryObject snapshot{TemporaryObject::Kind::Snapshot, run.snapshotName, {}, run.snapshot.providerId};
        try {
            co_await removeTemporary(*run.driver, snapshot);
        } catch (...) {
            // Kept with its id: the next cleanup (or start) retries the removal.
            m_snapshots->setStatus(run.snapshotRowId, SnapshotStatus::ErrorDeleting);
            throw;
        }
        m_snapshots->markDeleted(run.snapshotRowId);
    };
    step.undoWhat = QStringLiteral("removing temporary snapshot %1").arg(tempSnapshotName(run.backupId));
    return step;
}

void BackupService::setConsistency(BackupRun &run, const QString &consistency)
{
    run.consistency = consistency;
    m_backups->setConsistency(run.backupId, consistency);
    // Only now is it known whether the freeze could be held; the temporary goes with the undo.
    if (run.refuseInconsistent && consistency == Consistency::NotPointInTime)
        throw RefusedError(QStringLiteral("The copy of volume %1 turned out not to be point-in-time (no filesystem could be "
                                          "frozen while it was copied) and such copies are refused "
                                          "(refuse_inconsistent_copies / --require-point-in-time); it was discarded.")
                               .arg(run.volume.name));
}

Step BackupService::exportStep(BackupRun &run)
{
    Step step;
    step.name = QStringLiteral("export");
    // The agent names the export; until it answers the row says one was asked for, and the
    // snapshot's recorded id is enough to tear it down (deleting a snapshot removes its export).
    step.record = [this, &run] {
        m_job.setPhase(Phase::Attach, QStringLiteral("exporting temporary snapshot %1").arg(run.snapshotName));
        m_snapshots->setExport(run.snapshotRowId, QStringLiteral("requested"));
    };
    step.act = [this, &run]() -> QCoro::Task<void> {
        const SnapshotHandle snapshot = run.snapshot;
        run.exportId = co_await run.driver->createExportSnapshot(snapshot);
        m_snapshots->setExport(run.snapshotRowId, run.exportId);
        m_job.info(QStringLiteral("temporary snapshot %1 exported as %2").arg(run.snapshotName, run.exportId));
    };
    step.undo = [this, &run]() -> QCoro::Task<void> {
        m_job.setPhase(Phase::Cleanup, QStringLiteral("removing export of %1").arg(run.snapshotName));
        const SnapshotHandle snapshot = run.snapshot;
        co_await run.driver->removeExportSnapshot(snapshot);
        m_job.info(QStringLiteral("export of %1 removed").arg(run.snapshotName));
    };
    step.undoWhat = QStringLiteral("removing the export of %1").arg(tempSnapshotName(run.backupId));
    return step;
}

Step BackupService::connectStep(BackupRun &run)
{
    Step step;
    step.name = QStringLiteral("connection");
    step.record = [this, &run] {
        m_job.setPhase(Phase::Attach, QStringLiteral("connecting to the export of %1").arg(run.snapshotName));
        m_snapshots->setConnection(run.snapshotRowId, QStringLiteral("requested"), {});
    };
    step.act = [this, &run]() -> QCoro::Task<void> {
        const SnapshotHandle snapshot = run.snapshot;
        const QString exportId = run.exportId;
        run.connection = co_await run.driver->initializeConnectionSnapshot(snapshot, exportId);
        const QJsonObject properties{{QStringLiteral("driver_volume_type"), run.connection.driverVolumeType},
                                     {QStringLiteral("data"), run.connection.data}};
        // provider_auth holds where the credentials are, never the credentials.
        m_snapshots->setConnection(run.snapshotRowId, QString::fromUtf8(QJsonDocument(properties).toJson(QJsonDocument::Compact)),
                                   run.connection.authReference);
        m_job.info(QStringLiteral("connection to %1:%2 (export %3) initialized")
                       .arg(run.connection.data.value(QStringLiteral("host")).toString())
                       .arg(run.connection.data.value(QStringLiteral("port")).toInt())
                       .arg(run.connection.data.value(QStringLiteral("export_name")).toString()));
    };
    step.undo = [this, &run]() -> QCoro::Task<void> {
        m_job.setPhase(Phase::Detach, QStringLiteral("terminating the connection to %1").arg(run.snapshotName));
        const SnapshotHandle snapshot = run.snapshot;
        const ConnectionInfo connection = run.connection;
        co_await run.driver->terminateConnectionSnapshot(snapshot, connection);
        m_job.info(QStringLiteral("connection to the export of %1 terminated").arg(run.snapshotName));
    };
    step.undoWhat = QStringLiteral("terminating the connection of %1").arg(tempSnapshotName(run.backupId));
    return step;
}

Step BackupService::cloneStep(BackupRun &run)
{
    Step step;
    step.name = QStringLiteral("temporary volume");
    step.record = [this, &run] {
        m_job.setPhase(Phase::Snapshot, QStringLiteral("creating temporary volume from the source"));
        run.tempVolume = tempVolumeName(run.backupId);
        m_backups->setTempVolume(run.backupId, DriverSet::volumeId(run.driver->id(), run.tempVolume));
    };
    step.act = [this, &run]() -> QCoro::Task<void> {
        const QString source = run.volume.name;
        const QString name = run.tempVolume;
        co_await run.driver->createVolumeFromSource(source, name);
        m_job.info(QStringLiteral("temporary volume %1 created").arg(name));
        setConsistency(run, run.driver->copyConsistency(name));
    };
    step.undo = [this, &run]() -> QCoro::Task<void> {
        const TemporaryObject volume{TemporaryObject::Kind::Volume, run.tempVolume, {}};
        co_await removeTemporary(*run.driver, volume);
    };
    step.undoWhat = QStringLiteral("removing temporary volume %1").arg(tempVolumeName(run.backupId));
    return step;
}

QCoro::Task<void> BackupService::removeTemporary(VolumeDriver &driver, TemporaryObject object)
{
    m_job.setPhase(Phase::Cleanup, QStringLiteral("removing temporaries"));
    co_await driver.removeTemporary(object);
    m_job.info(QStringLiteral("temporary %1 %2 removed")
                   .arg(object.kind == TemporaryObject::Kind::Snapshot ? QStringLiteral("snapshot") : QStringLiteral("volume"),
                        object.name));
}

Step BackupService::attachStep(BackupRun &run)
{
    Step step;
    step.name = QStringLiteral("attach");
    // Recorded before the call: a half-done attach is undone too.
    step.record = [this] { m_job.setPhase(Phase::Attach, QStringLiteral("attaching temporary volume")); };
    step.act = [this, &run]() -> QCoro::Task<void> {
        const QString name = run.tempVolume;
        run.attachment = co_await run.driver->attach(name);
        m_job.info(QStringLiteral("temporary volume attached at %1").arg(run.attachment));
    };
    step.undo = [this, &run]() -> QCoro::Task<void> {
        m_job.setPhase(Phase::Detach, QStringLiteral("detaching temporary volume"));
        const QString name = run.tempVolume;
        co_await run.driver->detach(name);
    };
    step.undoWhat = QStringLiteral("detaching %1").arg(tempVolumeName(run.backupId));
    return step;
}

Step BackupService::readStep(BackupRun &run, std::function<QCoro::Task<std::unique_ptr<BlockSource>>()> open)
{
    Step step;
    step.name = QStringLiteral("open source");
    step.act = [this, &run, open]() -> QCoro::Task<void> {
        run.source = co_await open();
        m_job.setPhase(Phase::Transfer, QStringLiteral("reading %1").arg(run.source->description()));
    };
    // Closed before anything below it is detached or removed.
    step.undo = [&run]() -> QCoro::Task<void> {
        run.source.reset();
        co_return;
    };
    return step;
}

Step BackupService::transferStep(BackupRun &run)
{
    Step step;
    step.name = QStringLiteral("transfer");
    step.act = [this, &run]() -> QCoro::Task<void> {
        transfer(run);
        co_return;
    };
    return step;
}

void BackupService::transfer(BackupRun &run)
{
    VolumeDriver &driver = *run.driver;
    Manifest &manifest = run.manifest;
    manifest.backupId = run.backupId;
    manifest.volumeId = run.volume.id;
    manifest.volumeName = run.volume.name;
    manifest.startedAt = QDateTime::currentDateTimeUtc();
    manifest.consistency = run.consistency;
    manifest.extra = QJsonObject{{QStringLiteral("dataPath"), run.dataPath},
                                 {QStringLiteral("driver"), driver.id()},
                                 {QStringLiteral("host"), run.volume.host},
                                 {QStringLiteral("name"), run.request.name}};
    TransferOptions options;
    options.bandwidthLimit = run.request.bandwidthLimit;
    options.ioPriority = run.request.ioPriority;
    options.cancel = m_job.cancelFlag();
    const qint64 total = run.source->size();
    options.progress = [this, total](qint64 done, qint64 stored) { m_job.progress(done, total, stored); };
    const QString snapName = run.snapshotName;
    // Called by the pipeline on this (the job's) thread between progress ticks, never from its
    // reader threads: for LVM it is a device-mapper status call.
    if (!snapName.isEmpty())
        options.healthCheck = [&driver, snapName] {
            const QString problem = driver.snapshotProblem(snapName);
            if (!problem.isEmpty())
                throw Error(problem, ErrorKind::Storage);
        };
    TransferStats stats;
    try {
        stats = backupToRepository(*run.source, *run.repository, manifest, options);
    } catch (const CancelledError &) {
        throw;
    } catch (const Error &e) {
        // An invalidated snapshot fails reads with EIO before the health check sees it:
        // name the real cause (e.g. copy-on-write area full).
        const QString problem = snapName.isEmpty() ? QString() : driver.snapshotProblem(snapName);
        if (problem.isEmpty() || e.message().contains(problem))
            throw;
        // The snapshot broke under the read: a storage failure, whatever the read reported.
        throw Error(problem + QStringLiteral(" (") + e.message() + QLatin1Char(')'), ErrorKind::Storage);
    }
    run.source.reset();
    m_job.flushProgress();
    m_job.saveProgress();
    if (!snapName.isEmpty()) {
        // The copy is only as good as the snapshot was for the whole read.
        const QString problem = driver.snapshotProblem(snapName);
        if (!problem.isEmpty())
            throw Error(problem, ErrorKind::Storage);
    }
    m_job.info(QStringLiteral("read %1, stored %2 (%3 new chunks, %4 deduplicated, %5 zero) in %6 s")
                   .arg(formatSize(stats.bytes), formatSize(stats.bytesStored))
                   .arg(stats.chunksNew).arg(stats.chunksDeduplicated).arg(stats.chunksZero)
                   .arg(stats.seconds, 0, 'f', 1));
}

std::optional<Backup> BackupService::beginBackupJob(const QString &backupId)
{
    m_job.setPhase(Phase::Prepare);
    std::optional<Backup> backup = m_backups->find(backupId);
    if (!backup)
        throw NotFoundError(QStringLiteral("no backup with id '%1'").arg(backupId));
    m_job.setSubject(backupId, backup->volumeId);
    return backup;
}

QCoro::Task<void> BackupService::restoreBackup(RestoreRequest request)
{
    const Backup backup = *beginBackupJob(request.backupId);
    if (backup.status != BackupStatus::Available)
        throw RefusedError(QStringLiteral("Backup %1 is '%2'%3; only 'available' backups can be restored.")
                               .arg(backup.id, backup.status,
                                    backup.failReason.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(backup.failReason)));
    std::unique_ptr<Repository> repository = Repository::open(containerPath(m_options.repositoryRoot, backup.container));
    const Manifest manifest = repository->readManifest(backup.id);

    // Resolve the target; nothing is written before every check passed.
    QString targetPath; // file targets only: a volume's sink comes from its driver
    QString targetName; // volume targets
    QString targetVolumeId;
    VolumeDriver *targetDriver = nullptr;
    bool createdVolume = false;
    bool targetWasError = false;
    QString newVolumeName;
    switch (request.target) {
    case RestoreRequest::Target::File: {
        targetPath = checkRestoreFileTarget(m_options.protectedPaths, request.filePath, request.overwrite);
        break;
    }
    case RestoreRequest::Target::ExistingVolume: {
        targetDriver = &m_drivers.forVolume(request.volumeId);
        Volume target = co_await currentVolume(*targetDriver, request.volumeId);
        if (target.status != VolumeStatus::Available && target.status != VolumeStatus::Error)
            throw RefusedError(QStringLiteral("Volume %1 is '%2'; a backup can only be restored onto an available volume.")
                                   .arg(target.name, target.status));
        if (target.size < manifest.size)
            throw RefusedError(QStringLiteral("Volume %1 has %2 but the backup needs %3.")
                                   .arg(target.name, formatSize(target.size), formatSize(manifest.size)));
        beginVolumeOperation(*m_volumes, target, VolumeStatus::RestoringBackup);
        targetWasError = target.status == VolumeStatus::Error;
        targetName = target.name;
        targetVolumeId = target.id;
        break;
    }
    case RestoreRequest::Target::NewVolume: {
        validateUserName(request.newVolumeName, QStringLiteral("volume"));
        targetDriver = m_drivers.byId(request.driverId);
        if (!targetDriver)
            throw NotFoundError(QStringLiteral("no configured storage '%1'").arg(request.driverId));
        newVolumeName = request.newVolumeName;
        m_job.setPhase(Phase::Prepare, QStringLiteral("creating volume %1").arg(newVolumeName));
        // Block storage wants whole sectors; the tail past the backup's size stays zero.
        const qint64 volumeSize = (manifest.size + 4095) / 4096 * 4096;
        Volume created = co_await targetDriver->createVolume(newVolumeName, volumeSize);
        createdVolume = true;
        created = m_volumes->upsertFromInventory(created);
        m_volumes->beginOperation(created, VolumeStatus::RestoringBackup);
        targetName = created.name;
        targetVolumeId = created.id;
        break;
    }
    }
    m_job.setSubject(backup.id, targetVolumeId.isEmpty() ? backup.volumeId : targetVolumeId);
    if (!m_backups->transition(backup.id, BackupStatus::Available, BackupStatus::Restoring)) {
        if (!targetVolumeId.isEmpty())
            m_volumes->restorePreviousStatus(targetVolumeId);
        throw RefusedError(QStringLiteral("Backup %1 changed status meanwhile; try again.").arg(backup.id));
    }

    // A file target is written beside its final name and renamed only when complete.
    const bool fileTarget = request.target == RestoreRequest::Target::File;
    const QString writePath = fileTarget ? targetPath + QLatin1String(kPartialSuffix) : QString();
    JobStore jobs(m_catalog);
    // What the volume's sink set up on the storage (a node's export and connection), as last
    // recorded in the job's row: ended once the sink is closed, whatever the outcome.
    QJsonObject sinkState;
    std::exception_ptr failure;
    try {
        // Recorded with this job (and so its process) before the file exists: a kill leaves
        // enough for the startup cleanup to remove it once this process is gone.
        if (fileTarget)
            jobs.setPartialFile(m_job.jobId(), writePath);
        m_job.setPhase(Phase::Transfer, QStringLiteral("restoring %1 to %2")
                                            .arg(backup.id, fileTarget ? targetPath : QStringLiteral("volume ") + targetName));
        std::unique_ptr<BlockSink> sink;
        if (fileTarget)
            sink = openFileSink(writePath, manifest.size);
        else {
            // Each step's ids in the catalog before the step: a killed console's next start ends them.
            const VolumeDriver::SinkRecorder record = [&](const QJsonObject &state) {
                sinkState = state;
                jobs.setVolumeSink(m_job.jobId(), volumeSinkRecord(targetDriver->id(), targetName, state));
            };
            sink = co_await targetDriver->openRecordedVolumeSink(targetName, record);
        }
        TransferOptions options;
        options.bandwidthLimit = request.bandwidthLimit;
        options.ioPriority = QStringLiteral("none");
        options.cancel = m_job.cancelFlag();
        const qint64 total = manifest.size;
        options.progress = [this, total](qint64 done, qint64) { m_job.progress(done, total, 0); };
        const TransferStats stats = restoreFromRepository(*repository, manifest, *sink, options);
        sink->finish();
        sink.reset();
        if (!sinkState.isEmpty()) {
            // The volume is usable only once the storage holds it alone again.
            co_await targetDriver->closeVolumeSink(targetName, sinkState);
            sinkState = {};
            jobs.setVolumeSink(m_job.jobId(), QString());
        }
        if (fileTarget && !QFile::rename(writePath, targetPath)) {
            QFile::remove(targetPath);
            if (!QFile::rename(writePath, targetPath))
                throw Error(QStringLiteral("cannot rename %1 to %2").arg(writePath, targetPath));
        }
        m_job.flushProgress();
        m_job.saveProgress();
        m_job.info(QStringLiteral("restored %1 in %2 s").arg(formatSize(stats.bytes)).arg(stats.seconds, 0, 'f', 1));
    } catch (...) {
        failure = std::current_exception();
    }

    if (fileTarget) {
        if (failure)
            QFile::remove(writePath);
        jobs.setPartialFile(m_job.jobId(), QString());
    }
    if (!failure) {
        m_catalog.transaction([&] {
            m_backups->setStatus(backup.id, BackupStatus::Available);
            // The volume now holds the backup's complete bytes: a partial restore's 'error' is over.
            if (targetWasError)
                m_volumes->setStatus(targetVolumeId, VolumeStatus::Available);
            else if (!targetVolumeId.isEmpty())
                m_volumes->restorePreviousStatus(targetVolumeId);
        });
        m_job.setPhase(Phase::Done, QStringLiteral("restore finished"));
        co_return;
    }

    const QString reason = describeException(failure);
    m_job.setPhase(Phase::Cleanup, QStringLiteral("restore failed: %1").arg(reason));
    if (!sinkState.isEmpty()) {
        try {
            co_await targetDriver->closeVolumeSink(targetName, sinkState);
            jobs.setVolumeSink(m_job.jobId(), QString());
        } catch (const Error &e) {
            // Kept in the job's row: the next start ends it (the storage's lease ends it meanwhile).
            m_job.warning(QStringLiteral("ending the restore's access to volume %1: %2").arg(targetName, e.message()));
        }
    }
    bool removed = false;
    if (createdVolume) {
        // Nothing is lost by removing a volume this restore created itself.
        try {
            co_await targetDriver->deleteVolume(newVolumeName);
            removed = true;
            m_volumes->restorePreviousStatus(targetVolumeId);
        } catch (const Error &e) {
            m_job.warning(QStringLiteral("removing partly restored volume %1: %2").arg(newVolumeName, e.message()));
        }
    }
    if (!removed && !targetVolumeId.isEmpty()) {
        // An existing volume now holds partial data: it stays 'error' until a restore succeeds.
        m_volumes->setStatus(targetVolumeId, VolumeStatus::Error);
        m_job.warning(QStringLiteral("volume %1 holds a partial restore and is marked 'error'").arg(targetVolumeId));
    }
    m_backups->setStatus(backup.id, isCorruption(failure) ? BackupStatus::Error : BackupStatus::Available,
                         isCorruption(failure) ? reason : QString());
    std::rethrow_exception(failure);
}

QCoro::Task<VerifyReport> BackupService::verifyBackup(QString backupId)
{
    const std::optional<Backup> backup = beginBackupJob(backupId);
    if (backup->status != BackupStatus::Available && backup->status != BackupStatus::Error)
        throw RefusedError(QStringLiteral("Backup %1 is '%2' and cannot be verified.").arg(backupId, backup->status));
    // What verify cannot prove is not 'available': a container that is gone or damaged and a
    // damaged manifest mark the backup 'error', with the damage named (exit code 5).
    auto damaged = [&](const QString &reason) {
        m_job.error(reason);
        m_backups->setStatus(backupId, BackupStatus::Error, reason);
        return CorruptDataError(reason);
    };
    // A container that is gone or has lost its configuration proves none of its backups.
    auto containerDamaged = [&](const QString &reason) {
        m_catalog.transaction([&] {
            for (const Backup &other : m_backups->list())
                if (other.container == backup->container && other.status == BackupStatus::Available && other.id != backupId) {
                    m_backups->setStatus(other.id, BackupStatus::Error, reason);
                    m_job.warning(QStringLiteral("backup %1 in the same container marked 'error' too").arg(other.id));
                }
        });
        return damaged(reason);
    };
    std::unique_ptr<Repository> repository;
    try {
        repository = Repository::open(containerPath(m_options.repositoryRoot, backup->container));
    } catch (const NotFoundError &e) {
        throw containerDamaged(QStringLiteral("verify: container '%1' of the backup is gone: %2").arg(backup->container, e.message()));
    } catch (const CorruptDataError &e) {
        throw containerDamaged(QStringLiteral("verify: container '%1' is damaged: %2").arg(backup->container, e.message()));
    }
    if (!repository->hasManifest(backupId)) {
        m_backups->setStatus(backupId, BackupStatus::Error, QStringLiteral("manifest missing from container"));
        throw CorruptDataError(QStringLiteral("backup %1 has no manifest in container '%2'").arg(backupId, backup->container));
    }
    Manifest manifest;
    try {
        manifest = repository->readManifest(backupId);
    } catch (const CorruptDataError &e) {
        throw damaged(QStringLiteral("verify: the manifest of backup %1 is damaged: %2").arg(backupId, e.message()));
    }
    m_job.setPhase(Phase::Transfer, QStringLiteral("verifying %1 chunks").arg(manifest.chunks.size()));
    TransferOptions options;
    options.cancel = m_job.cancelFlag();
    const qint64 total = manifest.size;
    options.progress = [this, total](qint64 done, qint64) { m_job.progress(done, total, 0); };
    const VerifyReport report = ndb::verifyBackup(*repository, manifest, options);
    m_job.flushProgress();
    if (!report.ok()) {
        QStringList lines;
        for (const ChunkProblem &p : report.problems)
            lines << QStringLiteral("chunk %1 (%2): %3").arg(p.index).arg(chunkIdHex(p.id), p.reason);
        for (const QString &l : lines)
            m_job.error(l);
        const QString reason = QStringLiteral("verify found %1 damaged chunk(s); first: %2").arg(report.problems.size()).arg(lines.first());
        m_backups->setStatus(backupId, BackupStatus::Error, reason);
        throw CorruptDataError(reason);
    }
    if (backup->status == BackupStatus::Error && backup->failReason.startsWith(QLatin1String("verify")))
        m_backups->setStatus(backupId, BackupStatus::Available); // repaired meanwhile
    m_job.setPhase(Phase::Done, QStringLiteral("verified %1 chunks, %2").arg(report.chunksChecked).arg(formatSize(report.bytesChecked)));
    co_return report;
}

QCoro::Task<void> BackupService::deleteBackup(QString backupId)
{
    const std::optional<Backup> backup = beginBackupJob(backupId);
    if (backup->status != BackupStatus::Available && backup->status != BackupStatus::Error)
        throw RefusedError(QStringLiteral("Backup %1 is '%2' and cannot be deleted now.").arg(backupId, backup->status));
    if (!m_backups->transition(backupId, backup->status, BackupStatus::Deleting))
        throw RefusedError(QStringLiteral("Backup %1 changed status meanwhile; try again.").arg(backupId));
    m_job.setPhase(Phase::Cleanup, QStringLiteral("deleting manifest"));
    const QString dir = containerPath(m_options.repositoryRoot, backup->container);
    if (Repository::exists(dir)) {
        std::unique_ptr<Repository> repository = Repository::open(dir);
        if (repository->hasManifest(backupId))
            repository->deleteManifest(backupId);
    }
    m_backups->markDeleted(backupId);
    m_job.setPhase(Phase::Done, QStringLiteral("backup deleted; run garbage collection to free its chunks"));
    co_return;
}

QCoro::Task<GcReport> BackupService::collectGarbage(QString container)
{
    if (container.isEmpty())
        container = m_options.defaultContainer;
    m_job.setPhase(Phase::Cleanup, QStringLiteral("collecting garbage in container '%1'").arg(container));
    const QString dir = containerPath(m_options.repositoryRoot, container);
    if (!Repository::exists(dir))
        throw NotFoundError(QStringLiteral("container '%1' does not exist").arg(container));
    std::unique_ptr<Repository> repository = Repository::open(dir);
    const GcReport report = repository->collectGarbage();
    for (const SkippedManifest &skipped : report.skippedManifests)
        m_job.warning(QStringLiteral("skipped the damaged manifest of backup %1: %2").arg(skipped.backupId, skipped.reason));
    if (!report.skippedManifests.isEmpty())
        m_job.warning(QStringLiteral("kept every pack: what a damaged manifest references cannot be told from garbage. "
                                     "Verify the backups named above (damaged ones become 'error'), delete those you "
                                     "do not need, and run gc again."));
    m_job.info(QStringLiteral("removed %1 chunks, freed %2 (%3 packs rewritten, %4 deleted)")
                   .arg(report.chunksRemoved).arg(formatSize(report.bytesFreed))
                   .arg(report.packsRewritten).arg(report.packsDeleted));
    m_job.setPhase(Phase::Done);
    co_return report;
}

} // namespace ndb
