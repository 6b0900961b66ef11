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
#include "util/coroutinethread.h"
#include "volumes/driverset.h"

#include <QDir>
#include <QPointer>
#include <QThread>
#include <QUuid>

#include <unistd.h>
#include <vector>

namespace ndb {

struct Engine::Private
{
    EngineConfig config;
    std::unique_ptr<Catalog> catalog; // this thread's connection
    std::unique_ptr<DriverSet> drivers;
    // Driver sets replaced by setAgents(): kept, since a caller may still hold one of their drivers.
    std::vector<std::unique_ptr<DriverSet>> replacedDrivers;
    JobQueue *queue = nullptr;
    bool started = false;
    int inventoriesPending = 0; // asynchronous inventories that have not reported yet

    void requireStarted() const
    {
        if (!started)
            throw Error(QStringLiteral("engine used before start()"));
    }
};

namespace {
// Shorter prefixes of a backup id (a UUID) match too much to be meant.
constexpr int kMinIdPrefix = 4;
// A job that runs through a BackupService, built on the job thread over that thread's drivers.
using ServiceWork = std::function<QCoro::Task<QString>(BackupService &, JobContext &)>;
QCoro::Task<QString> runWithService(EngineConfig config, ServiceWork work, Catalog &catalog, JobContext &context)
{
    DriverSet drivers(config.driverSettings(), &context);
    BackupService service(config.serviceOptions(), catalog, drivers, context);
    co_return co_await work(service, context);
}
JobQueue::Work withService(const EngineConfig &config, ServiceWork work)
{
    return [config, work](Catalog &catalog, JobContext &context) { return runWithService(config, work, catalog, context); };
}

// A job on one storage (volume create, attach, detach): the job thread's own driver of `driverId`.
using DriverWork = std::function<QCoro::Task<QString>(VolumeDriver &, JobContext &)>;
QCoro::Task<QString> runWithDriver(DriverSettings settings, QString driverId, DriverWork work, JobContext &context)
{
    DriverSet drivers(settings, &context);
    VolumeDriver *driver = drivers.byId(driverId);
    if (!driver)
        throw NotFoundError(QStringLiteral("storage %1 is not configured").arg(driverId));
    co_return co_await work(*driver, context);
}

// Attaches (the result is the device) or detaches volume `name`, with the job's events.
DriverWork attachment(const QString &name, bool attach)
{
    return [name, attach](VolumeDriver &driver, JobContext &context) -> QCoro::Task<QString> {
        context.setPhase(attach ? Phase::Attach : Phase::Detach,
                         (attach ? QStringLiteral("attaching volume %1") : QStringLiteral("detaching volume %1")).arg(name));
        QString device;
        if (attach)
            device = co_await driver.attach(name);
        else
            co_await driver.detach(name);
        context.event(QStringLiteral("info"), attach ? QStringLiteral("volume %1 attached as %2").arg(name, device)
                                                     : QStringLiteral("volume %1 detached").arg(name));
        co_return device;
    };
}

// Called (on the inventory's thread) after each driver's volumes are in the catalog.
using DriverDone = std::function<void(const QString &driverId)>;

QCoro::Task<QList<Volume>> inventory(Catalog &catalog, DriverSet &drivers, QStringList &errors, DriverDone done = {})
{
    VolumeStore store(catalog);
    for (VolumeDriver *driver : drivers.all()) {
        try {
            const QList<Volume> found = co_await driver->listVolumes();
            QStringList ids;
            for (const Volume &v : found) {
                store.upsertFromInventory(v);
                ids << v.id;
            }
            store.removeMissing(driver->id(), ids);
            if (done)
                done(driver->id());
        } catch (const Error &e) {
            errors << QStringLiteral("%1: %2").arg(driver->id(), e.message());
            // A storage node that does not answer is offline: its volumes are left out (those
            // with an operation of ours on them stay, for the cleanup) until it answers again.
            if (driver->kind() == QLatin1String("remote") && e.kind() == ErrorKind::Network)
                store.removeMissing(driver->id(), {});
        }
    }
    co_return store.all();
}

// The startup cleanup (when `cleanupFirst`) and the inventory, with this thread's own catalog
// connection and drivers: run on a worker, so that no caller's thread waits for storage in it.
struct Refresh
{
    CleanupReport report;
    QList<Volume> volumes;
    QStringList errors; // drivers that could not list their volumes
};
QCoro::Task<Refresh> refresh(EngineConfig config, bool cleanupFirst, bool withInventory = true, DriverDone done = {})
{
    Refresh r;
    Catalog catalog(config.catalogPath);
    DriverSet drivers(config.driverSettings());
    if (cleanupFirst) {
        StartupCleanup cleanup(config.repositoryRoot, catalog, drivers);
        r.report = co_await cleanup.run();
    }
    if (withInventory)
        r.volumes = co_await inventory(catalog, drivers, r.errors, done);
    co_return r;
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
    d->drivers = std::make_unique<DriverSet>(d->config.driverSettings());
    d->queue = new JobQueue(d->config.catalogPath, d->config.maxConcurrentJobs);
    connect(d->queue, &JobQueue::jobFinished, this, &Engine::jobFinished);
    d->started = true;
}

CleanupReport Engine::start()
{
    open();
    const EngineConfig config = d->config;
    Refresh r = waitOnWorker<Refresh>([config] { return refresh(config, true); });
    r.report.messages << r.errors;
    return r.report;
}

void Engine::startAsync(std::function<QStringList()> prepare)
{
    open();
    refreshOnWorker(true, std::move(prepare));
}

const EngineConfig &Engine::config() const { return d->config; }

void Engine::setAgents(const QStringList &agents)
{
    d->config.agents = agents;
    if (!d->drivers)
        return;
    d->replacedDrivers.push_back(std::move(d->drivers));
    d->drivers = std::make_unique<DriverSet>(d->config.driverSettings());
}

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
    const EngineConfig config = d->config;
    return waitOnWorker<Refresh>([config] { return refresh(config, true, false); }).report;
}

QList<Volume> Engine::refreshVolumes()
{
    d->requireStarted();
    const EngineConfig config = d->config;
    const Refresh r = waitOnWorker<Refresh>([config] { return refresh(config, false); });
    if (!r.errors.isEmpty())
        Q_EMIT refreshFailed(r.errors.join(QLatin1Char('\n')));
    Q_EMIT volumesRefreshed(r.volumes);
    return r.volumes;
}

void Engine::refreshVolumesAsync()
{
    d->requireStarted();
    refreshOnWorker(false);
}

bool Engine::inventoryPending() const
{
    return d->inventoriesPending > 0;
}

void Engine::refreshOnWorker(bool cleanupFirst, std::function<QStringList()> prepare)
{
    // Storage is asked on a worker thread with its own connection and drivers: the GUI never waits.
    QPointer<Engine> self(this);
    const EngineConfig config = d->config;
    ++d->inventoriesPending;
    CoroutineThread::startDetached([self, config, cleanupFirst, prepare]() -> QCoro::Task<> {
        Refresh r;
        QStringList prepared;
        try {
            if (prepare)
                prepared = prepare();
        } catch (const Error &e) {
            prepared << e.message();
        }
        // Each driver's volumes are shown as it answers, not only when the slowest one has.
        const DriverDone done = [self](const QString &driverId) {
            QMetaObject::invokeMethod(self, [self, driverId] {
                if (self)
                    Q_EMIT self->driverInventoried(driverId);
            }, Qt::QueuedConnection);
        };
        try {
            r = co_await refresh(config, cleanupFirst, true, done);
        } catch (const Error &e) {
            r.errors << e.message();
        }
        QMetaObject::invokeMethod(self, [self, cleanupFirst, r, prepared] {
            if (!self)
                return;
            --self->d->inventoriesPending;
            if (cleanupFirst) {
                CleanupReport report = r.report;
                report.messages = prepared + report.messages + r.errors;
                Q_EMIT self->startupFinished(report);
            } else if (!r.errors.isEmpty()) {
                Q_EMIT self->refreshFailed(r.errors.join(QLatin1Char('\n')));
            }
            Q_EMIT self->volumesRefreshed(r.volumes);
        }, Qt::QueuedConnection);
    });
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

ReportData Engine::report(const QDateTime &from, const QDateTime &to) const
{
    d->requireStarted();
    return Report::collect(*d->catalog, from, to);
}

namespace {
QCoro::Task<BackupPlan> planOnWorker(DriverSettings settings, QString volumeId)
{
    DriverSet drivers(settings);
    VolumeDriver &driver = drivers.forVolume(volumeId);
    const QString name = DriverSet::volumeName(volumeId);
    const Volume volume = co_await driver.volume(name);
    co_return co_await planBackup(driver, volume);
}
} // namespace

void Engine::planBackupAsync(const QString &volumeId, QObject *receiver,
                             std::function<void(const BackupPlan &, const QString &)> done)
{
    d->requireStarted();
    const DriverSettings settings = d->config.driverSettings();
    QPointer<QObject> target(receiver);
    CoroutineThread::startDetached([settings, volumeId, target, done]() -> QCoro::Task<> {
        BackupPlan plan;
        QString error;
        try {
            plan = co_await planOnWorker(settings, volumeId);
        } catch (const Error &e) {
            error = e.message();
        }
        QMetaObject::invokeMethod(target, [target, done, plan, error] {
            if (target)
                done(plan, error);
        }, Qt::QueuedConnection);
    });
}

BackupPlan Engine::planBackup(const QString &volumeId)
{
    d->requireStarted();
    const DriverSettings settings = d->config.driverSettings();
    return waitOnWorker<BackupPlan>([settings, volumeId] { return planOnWorker(settings, volumeId); });
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
    JobHandle *handle = d->queue->enqueue(jobId, job.kind, subject, withService(d->config, [req, backupId](BackupService &s, JobContext &) {
        return s.createBackup(req, backupId);
    }));
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
    if (req.target == RestoreRequest::Target::ExistingVolume) {
        try {
            req.volumeId = findVolume(req.volumeId).id;
        } catch (const NotFoundError &) {
            // A node's volumes are left out of the catalog while it does not answer: the job asks
            // the node itself, and says whether it is unreachable or has no such volume.
            const VolumeDriver *node = driver(req.volumeId.left(req.volumeId.lastIndexOf(QLatin1Char('/'))));
            if (!node || node->kind() != QLatin1String("remote"))
                throw;
        }
    }
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
    JobHandle *handle = d->queue->enqueue(jobId, job.kind, b.volumeName, withService(d->config, [req](BackupService &s, JobContext &) -> QCoro::Task<QString> {
        co_await s.restoreBackup(req);
        co_return req.backupId;
    }));
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
    JobHandle *h = d->queue->enqueue(jobId, kind, b.volumeName, withService(d->config, [operation, id](BackupService &s, JobContext &) -> QCoro::Task<QString> {
        co_await operation(s, id);
        co_return id;
    }));
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
    JobHandle *h = d->queue->enqueue(jobId, job.kind, c, withService(d->config, [c](BackupService &s, JobContext &) -> QCoro::Task<QString> {
        co_await s.collectGarbage(c);
        co_return QString();
    }));
    Q_EMIT jobSubmitted(h);
    return h;
}

JobHandle *Engine::submitCreateVolume(const QString &driverId, const QString &name, qint64 size)
{
    d->requireStarted();
    validateUserName(name, QStringLiteral("volume"));
    if (size <= 0)
        throw InvalidInputError(QStringLiteral("a volume size must be positive, not %1").arg(size));
    if (!d->drivers->byId(driverId))
        throw NotFoundError(QStringLiteral("storage %1 is not configured").arg(driverId));
    return submitVolumeJob(QStringLiteral("volume-create"), driverId, DriverSet::volumeId(driverId, name), name,
                           [name, size](VolumeDriver &driver, JobContext &context) -> QCoro::Task<QString> {
        context.setPhase(Phase::Prepare, QStringLiteral("creating volume %1 (%2 bytes)").arg(name).arg(size));
        const Volume v = co_await driver.createVolume(name, size);
        context.event(QStringLiteral("info"), QStringLiteral("created volume %1").arg(v.id));
        co_return v.id;
    });
}

JobHandle *Engine::submitAttachVolume(const QString &idOrName)
{
    d->requireStarted();
    const Volume v = findVolume(idOrName);
    return submitVolumeJob(QStringLiteral("volume-attach"), v.driverId, v.id, v.name, attachment(v.name, true));
}

JobHandle *Engine::submitDetachVolume(const QString &idOrName)
{
    d->requireStarted();
    const Volume v = findVolume(idOrName);
    return submitVolumeJob(QStringLiteral("volume-detach"), v.driverId, v.id, v.name, attachment(v.name, false));
}

JobHandle *Engine::submitVolumeJob(const QString &kind, const QString &driverId, const QString &volumeId, const QString &name,
                                   std::function<QCoro::Task<QString>(VolumeDriver &, JobContext &)> work)
{
    if (!d->drivers->byId(driverId))
        throw NotFoundError(QStringLiteral("storage %1 is not configured").arg(driverId));
    Job job;
    job.kind = kind;
    job.volumeId = volumeId;
    const qint64 jobId = JobStore(*d->catalog).create(job);
    const DriverSettings settings = d->config.driverSettings();
    JobHandle *h = d->queue->enqueue(jobId, kind, name, [settings, driverId, work](Catalog &, JobContext &context) {
        return runWithDriver(settings, driverId, work, context);
    });
    Q_EMIT jobSubmitted(h);
    return h;
}

} // namespace ndb
