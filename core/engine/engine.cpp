#include "engine.h"

#include "backup/backupservice.h"
#include "backup/restoretarget.h"
#include "backup/startupcleanup.h"
#include "backup/statusrules.h"
#include "catalog/backupstore.h"
#include "catalog/catalog.h"
#include "catalog/jobstore.h"
#include "catalog/volumestore.h"
#include "jobs/jobcontext.h"
#include "jobs/jobhandle.h"
#include "jobs/jobqueue.h"
#include "model/status.h"
#include "util/error.h"
#include "util/names.h"
#include "util/runsync.h"
#include "volumes/driverset.h"

#include <QDir>
#include <QPointer>
#include <QThread>
#include <QUuid>

#include <unistd.h>

namespace ndb {

struct Engine::Private
{
    EngineConfig config;
    std::unique_ptr<Catalog> catalog; // this thread's connection
    std::unique_ptr<DriverSet> drivers;
    JobQueue *queue = nullptr;
    bool started = false;

    void requireStarted() const
    {
        if (!started)
            throw Error(QStringLiteral("engine used before start()"));
    }
};

namespace {
// Shorter prefixes of a backup id (a UUID) match too much to be meant.
constexpr int kMinIdPrefix = 4;
QList<Volume> inventory(Catalog &catalog, DriverSet &drivers, QStringList &errors)
{
    VolumeStore store(catalog);
    for (VolumeDriver *driver : drivers.all()) {
        try {
            const QList<Volume> found = runSync(driver->listVolumes());
            QStringList ids;
            for (const Volume &v : found) {
                store.upsertFromInventory(v);
                ids << v.id;
            }
            store.removeMissing(driver->id(), ids);
        } catch (const Error &e) {
            errors << QStringLiteral("%1: %2").arg(driver->id(), e.message());
        }
    }
    return store.all();
}
} // namespace

Engine::Engine(EngineConfig config, QObject *parent)
    : QObject(parent), d(std::make_unique<Private>())
{
    d->config = std::move(config);
}

Engine::~Engine()
{
    delete d->queue; // waits for running jobs after cancelling them
}

void Engine::open()
{
    if (d->started)
        throw Error(QStringLiteral("engine already started"));
    if (!QDir().mkpath(d->config.repositoryRoot))
        throw Error(QStringLiteral("cannot create repository root %1").arg(d->config.repositoryRoot));
    d->catalog = std::make_unique<Catalog>(d->config.catalogPath);
    d->drivers = std::make_unique<DriverSet>(d->config);
    d->queue = new JobQueue(d->config);
    connect(d->queue, &JobQueue::jobFinished, this, &Engine::jobFinished);
    d->started = true;
}

CleanupReport Engine::start()
{
    open();
    CleanupReport report = cleanup();
    QStringList errors;
    inventory(*d->catalog, *d->drivers, errors);
    report.messages << errors;
    return report;
}

void Engine::startAsync()
{
    open();
    refreshOnWorker(true);
}

const EngineConfig &Engine::config() const { return d->config; }

QList<VolumeDriver *> Engine::drivers() const
{
    return d->drivers ? d->drivers->all() : QList<VolumeDriver *>{};
}

VolumeDriver *Engine::driver(const QString &driverId) const
{
    return d->drivers ? d->drivers->byId(driverId) : nullptr;
}

JobQueue *Engine::jobQueue() const { return d->queue; }

Volume Engine::resetVolumeStatus(const QString &idOrName, const QString &status)
{
    d->requireStarted();
    if (status != VolumeStatus::Available && status != VolumeStatus::Error)
        throw InvalidInputError(QStringLiteral("a volume status can be reset to '%1' or '%2', not '%3'")
                                    .arg(VolumeStatus::Available, VolumeStatus::Error, status));
    const Volume v = findVolume(idOrName);
    VolumeStore volumes(*d->catalog);
    if (!volumes.resetStatus(v.id, status))
        throw RefusedError(QStringLiteral("Volume %1 is '%2' and an operation is running on it; wait until it ends.")
                               .arg(v.name, v.status));
    // Logged like every other change an administrator makes, in the job history.
    JobStore jobs(*d->catalog);
    Job job;
    job.kind = QStringLiteral("reset-status");
    job.volumeId = v.id;
    const qint64 jobId = jobs.create(job);
    jobs.addEvent(jobId, Phase::Done, QStringLiteral("info"),
                  QStringLiteral("status of volume %1 reset from '%2' to '%3' by %4")
                      .arg(v.name, v.status, status, qEnvironmentVariable("USER", QStringLiteral("uid %1").arg(::getuid()))),
                  0);
    jobs.finish(jobId, JobStatus::Succeeded, QString());
    return *volumes.find(v.id);
}

CleanupReport Engine::cleanup()
{
    d->requireStarted();
    StartupCleanup cleanup(d->config, *d->catalog, *d->drivers);
    return runSync(cleanup.run());
}

QList<Volume> Engine::refreshVolumes()
{
    d->requireStarted();
    QStringList errors;
    const QList<Volume> volumes = inventory(*d->catalog, *d->drivers, errors);
    if (!errors.isEmpty())
        Q_EMIT refreshFailed(errors.join(QLatin1Char('\n')));
    Q_EMIT volumesRefreshed(volumes);
    return volumes;
}

void Engine::refreshVolumesAsync()
{
    d->requireStarted();
    refreshOnWorker(false);
}

void Engine::refreshOnWorker(bool cleanupFirst)
{
    // Storage is asked on a worker thread with its own connection and drivers: the GUI never waits.
    QPointer<Engine> self(this);
    const EngineConfig config = d->config;
    QThread *thread = QThread::create([self, config, cleanupFirst] {
        CleanupReport report;
        QStringList errors;
        QList<Volume> volumes;
        try {
            Catalog catalog(config.catalogPath);
            DriverSet drivers(config);
            if (cleanupFirst) {
                StartupCleanup cleanup(config, catalog, drivers);
                report = runSync(cleanup.run());
            }
            volumes = inventory(catalog, drivers, errors);
        } catch (const Error &e) {
            errors << e.message();
        }
        QMetaObject::invokeMethod(self, [self, cleanupFirst, report, volumes, errors] {
            if (!self)
                return;
            if (cleanupFirst) {
                CleanupReport r = report;
                r.messages << errors;
                Q_EMIT self->startupFinished(r);
            } else if (!errors.isEmpty()) {
                Q_EMIT self->refreshFailed(errors.join(QLatin1Char('\n')));
            }
            Q_EMIT self->volumesRefreshed(volumes);
        }, Qt::QueuedConnection);
    });
    connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    thread->start();
}

QList<Volume> Engine::volumes() const
{
    d->requireStarted();
    return VolumeStore(*d->catalog).all();
}

Volume Engine::findVolume(const QString &idOrName) const
{
    d->requireStarted();
    VolumeStore store(*d->catalog);
    if (auto v = store.find(idOrName))
        return *v;
    QList<Volume> matches;
    for (const Volume &v : store.all())
        if (v.name == idOrName)
            matches << v;
    if (matches.size() == 1)
        return matches.first();
    if (matches.size() > 1) {
        QStringList ids;
        for (const Volume &v : matches)
            ids << v.id;
        throw Error(QStringLiteral("volume name '%1' is ambiguous; use one of: %2").arg(idOrName, ids.join(QLatin1String(", "))));
    }
    throw NotFoundError(QStringLiteral("no volume '%1' (run 'volumes' to list them)").arg(idOrName));
}

QList<Backup> Engine::backups(const QString &volumeId, bool includeDeleted) const
{
    d->requireStarted();
    return BackupStore(*d->catalog).list(volumeId, includeDeleted);
}

Backup Engine::backup(const QString &id) const
{
    d->requireStarted();
    BackupStore store(*d->catalog);
    if (auto b = store.find(id))
        return *b;
    // A unique prefix is enough, as with git commits.
    if (id.size() < kMinIdPrefix)
        throw InvalidInputError(QStringLiteral("backup id prefix '%1' is too short: give at least %2 characters of the id "
                                               "(see 'backup list')").arg(id).arg(kMinIdPrefix));
    QList<Backup> matches;
    for (const Backup &b : store.list({}, true))
        if (b.id.startsWith(id))
            matches << b;
    if (matches.size() == 1)
        return matches.first();
    throw NotFoundError(matches.isEmpty() ? QStringLiteral("no backup with id '%1'").arg(id)
                                          : QStringLiteral("backup id prefix '%1' is ambiguous").arg(id));
}

QList<Job> Engine::jobs(const HistoryFilter &filter) const
{
    d->requireStarted();
    return JobStore(*d->catalog).list(filter);
}

QList<JobEvent> Engine::jobEvents(qint64 jobId) const
{
    d->requireStarted();
    return JobStore(*d->catalog).events(jobId);
}

JobHandle *Engine::submitBackup(const BackupRequest &request)
{
    d->requireStarted();
    BackupRequest req = request;
    if (req.container.isEmpty())
        req.container = d->config.defaultContainer;
    validateName(req.container, QStringLiteral("container"));
    validateText(req.name, QStringLiteral("backup name"), 255);
    validateText(req.description, QStringLiteral("description"), 4096);
    if (req.bandwidthLimit < 0)
        throw InvalidInputError(QStringLiteral("bandwidth limit must not be negative"));
    if (req.ioPriority != QLatin1String("idle") && req.ioPriority != QLatin1String("best-effort") && req.ioPriority != QLatin1String("none"))
        throw InvalidInputError(QStringLiteral("I/O priority '%1' is not known: use idle, best-effort or none").arg(req.ioPriority));

    // The caller may be the GUI thread, which never waits for storage: the status rules are
    // checked here against the last known inventory (the catalog), so that a refusal we can
    // already see creates nothing, and against the storage itself by the job's first phase.
    d->drivers->forVolume(req.volumeId); // a storage this engine has, or NotFoundError
    QString subject = DriverSet::volumeName(req.volumeId);
    if (const std::optional<Volume> known = VolumeStore(*d->catalog).find(req.volumeId)) {
        subject = known->name;
        checkBackupAllowed(*known, req.force);
    }

    Job job;
    job.kind = QStringLiteral("backup");
    job.volumeId = req.volumeId;
    job.bandwidthLimit = req.bandwidthLimit;
    job.ioPriority = req.ioPriority;
    const QString backupId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    job.backupId = backupId;
    const qint64 jobId = JobStore(*d->catalog).create(job);
    JobHandle *handle = d->queue->enqueue(jobId, job.kind, subject, [req, backupId](BackupService &s, JobContext &) {
        return s.createBackup(req, backupId);
    });
    Q_EMIT jobSubmitted(handle);
    return handle;
}

JobHandle *Engine::submitRestore(const RestoreRequest &request)
{
    d->requireStarted();
    const Backup b = backup(request.backupId);
    RestoreRequest req = request;
    req.backupId = b.id;
    if (req.target == RestoreRequest::Target::NewVolume)
        validateUserName(req.newVolumeName, QStringLiteral("volume"));
    if (req.target == RestoreRequest::Target::ExistingVolume)
        req.volumeId = findVolume(req.volumeId).id;
    // Checked here so a refusal creates no job, and again by the job just before it writes.
    if (req.target == RestoreRequest::Target::File)
        checkRestoreFileTarget(d->config, req.filePath, req.overwrite);
    if (b.status != BackupStatus::Available)
        throw RefusedError(QStringLiteral("Backup %1 is '%2'%3; only 'available' backups can be restored.")
                               .arg(b.id, b.status, b.failReason.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(b.failReason)));
    Job job;
    job.kind = QStringLiteral("restore");
    job.backupId = b.id;
    job.volumeId = req.volumeId;
    job.bandwidthLimit = req.bandwidthLimit;
    const qint64 jobId = JobStore(*d->catalog).create(job);
    JobHandle *handle = d->queue->enqueue(jobId, job.kind, b.volumeName, [req](BackupService &s, JobContext &) -> QCoro::Task<QString> {
        co_await s.restoreBackup(req);
        co_return req.backupId;
    });
    Q_EMIT jobSubmitted(handle);
    return handle;
}


JobHandle *Engine::submitVerify(const QString &backupId)
{
    d->requireStarted();
    return submitBackupJob(QStringLiteral("verify"), backup(backupId), [](BackupService &s, QString id) -> QCoro::Task<> {
        co_await s.verifyBackup(id);
    });
}

JobHandle *Engine::submitDelete(const QString &backupId)
{
    d->requireStarted();
    const Backup b = backup(backupId);
    if (b.status != BackupStatus::Available && b.status != BackupStatus::Error)
        throw RefusedError(QStringLiteral("Backup %1 is '%2' and cannot be deleted now.").arg(b.id, b.status));
    return submitBackupJob(QStringLiteral("delete"), b, [](BackupService &s, QString id) -> QCoro::Task<> {
        co_await s.deleteBackup(id);
    });
}

JobHandle *Engine::submitBackupJob(const QString &kind, const Backup &b,
                                   QCoro::Task<> (*operation)(BackupService &, QString))
{
    Job job;
    job.kind = kind;
    job.backupId = b.id;
    job.volumeId = b.volumeId;
    const qint64 jobId = JobStore(*d->catalog).create(job);
    const QString id = b.id;
    JobHandle *h = d->queue->enqueue(jobId, kind, b.volumeName, [operation, id](BackupService &s, JobContext &) -> QCoro::Task<QString> {
        co_await operation(s, id);
        co_return id;
    });
    Q_EMIT jobSubmitted(h);
    return h;
}

JobHandle *Engine::submitGarbageCollection(const QString &container)
{
    d->requireStarted();
    const QString c = container.isEmpty() ? d->config.defaultContainer : container;
    validateName(c, QStringLiteral("container"));
    Job job;
    job.kind = QStringLiteral("gc");
    const qint64 jobId = JobStore(*d->catalog).create(job);
    JobHandle *h = d->queue->enqueue(jobId, job.kind, c, [c](BackupService &s, JobContext &) -> QCoro::Task<QString> {
        co_await s.collectGarbage(c);
        co_return QString();
    });
    Q_EMIT jobSubmitted(h);
    return h;
}

} // namespace ndb
