#include "exportmanager.h"
#include "backup/statusrules.h"
#include "catalog/catalog.h"
#include "catalog/volumestore.h"
#include "model/status.h"
#include "net/identity.h"
#include "util/error.h"
#include "util/names.h"
#include "util/runsync.h"
#include "util/supervisedprocess.h"
#include "volumes/driverset.h"

#include <QDateTime>
#include <QDebug>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSqlQuery>
#include <QTcpServer>
#include <QThread>
#include <QUuid>

#include <csignal>
#include <sys/stat.h>

namespace ndb {

namespace {

QString now()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}

QString newId()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

// The first column of every row.
QStringList column(QSqlQuery query)
{
    QStringList values;
    while (query.next())
        values << query.value(0).toString();
    return values;
}

// True only while `pid` is the very nbdkit we started (same start time, same program name):
// a pid recorded before a crash may belong to anything by now.
bool isOurServer(qint64 pid, const QString &startTime)
{
    if (pid <= 0 || startTime.isEmpty() || processStartTime(pid) != startTime)
        return false;
    QFile comm(QStringLiteral("/proc/%1/comm").arg(pid));
    return comm.open(QIODevice::ReadOnly) && comm.readAll().trimmed() == "nbdkit";
}

// stat() follows the /dev/<vg>/<lv> symlink to the device-mapper node.
bool isBlockDevice(const QString &path)
{
    struct stat st {};
    return !path.isEmpty() && ::stat(QFile::encodeName(path).constData(), &st) == 0 && S_ISBLK(st.st_mode);
}

void killRecordedServer(qint64 pid, const QString &startTime)
{
    if (!isOurServer(pid, startTime))
        return;
    ::kill(pid_t(pid), SIGTERM);
    for (int i = 0; i < 60 && isOurServer(pid, startTime); ++i)
        QThread::msleep(50);
    if (isOurServer(pid, startTime))
        ::kill(pid_t(pid), SIGKILL);
}

} // namespace

QJsonObject volumeJson(const VolumeDriver &driver, const Volume &volume)
{
    return QJsonObject{{QStringLiteral("id"), volume.id},
                       {QStringLiteral("name"), volume.name},
                       {QStringLiteral("driver"), driver.kind()},
                       {QStringLiteral("pool"), driver.id().section(QLatin1Char(':'), 1)},
                       {QStringLiteral("size"), volume.size},
                       {QStringLiteral("status"), volume.status},
                       {QStringLiteral("attachment"), volume.attachedTo}};
}

struct ExportManager::SnapshotRow
{
    QString id, volumeId, backupId, name, status, path, lease, kind, consistency;
    bool deleted = false;
};

ExportManager::ExportManager(const AgentConfig &config, Catalog &catalog, DriverSet &drivers, const TlsIdentity &identity)
    : m_config(config), m_catalog(catalog), m_drivers(drivers), m_identity(identity)
{
}

ExportManager::~ExportManager() = default;

QString ExportManager::leaseFromNow(int seconds) const
{
    return QDateTime::currentDateTimeUtc().addSecs(seconds).toString(Qt::ISODateWithMs);
}

ExportManager::SnapshotRow ExportManager::snapshotRow(const QString &snapshotId) const
{
    validateName(snapshotId, QStringLiteral("snapshot id"));
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT id, volume_id, backup_id, name, status, provider_location, "
                                                "lease_expires_at, kind, consistency, deleted_at FROM snapshots WHERE id = ?"),
                                 {snapshotId});
    if (!q.next())
        throw NotFoundError(QStringLiteral("no snapshot with id '%1' on this node").arg(snapshotId));
    return SnapshotRow{q.value(0).toString(), q.value(1).toString(), q.value(2).toString(), q.value(3).toString(),
                       q.value(4).toString(), q.value(5).toString(), q.value(6).toString(), q.value(7).toString(),
                       q.value(8).toString(), !q.value(9).isNull()};
}

QJsonObject ExportManager::snapshotJson(const QString &snapshotId) const
{
    const SnapshotRow row = snapshotRow(snapshotId);
    return QJsonObject{{QStringLiteral("id"), row.id},
                       {QStringLiteral("kind"), row.kind},
                       {QStringLiteral("volume_id"), row.volumeId},
                       {QStringLiteral("backup_id"), row.backupId},
                       {QStringLiteral("name"), row.name},
                       {QStringLiteral("status"), row.status},
                       {QStringLiteral("consistency"), row.consistency},
                       {QStringLiteral("lease_expires_at"), row.lease}};
}

QString ExportManager::copyProblem(const SnapshotRow &row) const
{
    if (row.deleted || row.kind != QLatin1String("snapshot") || row.status != QLatin1String("available"))
        return {};
    return m_drivers.forVolume(row.volumeId).snapshotProblem(row.name);
}

void ExportManager::checkCopy(const SnapshotRow &row) const
{
    const QString problem = copyProblem(row);
    if (!problem.isEmpty())
        throw Error(QStringLiteral("temporary snapshot %1 cannot be read: %2; delete it and take a new one").arg(row.id, problem),
                    ErrorKind::Storage);
}

QJsonObject ExportManager::snapshotState(const QString &snapshotId) const
{
    QJsonObject snapshot = snapshotJson(snapshotId);
    snapshot[QStringLiteral("problem")] = copyProblem(snapshotRow(snapshotId));
    return snapshot;
}

std::pair<VolumeDriver *, Volume> ExportManager::listedVolume(const QString &volumeId) const
{
    VolumeDriver &driver = m_drivers.forVolume(volumeId);
    const QString volumeName = DriverSet::volumeName(volumeId);
    validateName(volumeName, QStringLiteral("volume"));
    for (const Volume &v : runSync(driver.listVolumes()))
        if (v.name == volumeName)
            return {&driver, v};
    throw NotFoundError(QStringLiteral("no volume '%1' on this node").arg(volumeId));
}

void ExportManager::checkCopyRequest(const QString &volumeId, const QString &backupId) const
{
    validateName(backupId, QStringLiteral("backup id"));
    m_drivers.forVolume(volumeId);
    validateName(DriverSet::volumeName(volumeId), QStringLiteral("volume"));
    // Two readers (a console's copy and a backup of the node's engine) may share a volume; a
    // restore, by a console or by the engine, excludes them.
    if (restoringVolumes().contains(volumeId) || restoreHolder(volumeId))
        throw RefusedError(QStringLiteral("volume %1 is restoring-backup (held by %2); back it up once the restore has ended")
                               .arg(volumeId, VolumeStore(m_catalog).holderOf(volumeId)));
}

std::optional<QString> ExportManager::restoreWorker(const QString &volumeId) const
{
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT COALESCE(status_worker, '') FROM volumes WHERE id = ? AND status = ?"),
                                 {volumeId, VolumeStatus::RestoringBackup});
    if (q.next())
        return q.value(0).toString();
    return std::nullopt;
}

bool ExportManager::restoreHolder(const QString &volumeId) const
{
    // A dead process's row is stale (the engine's startup cleanup resets it) and holds nothing.
    const std::optional<QString> worker = restoreWorker(volumeId);
    return worker && workerIsAlive(*worker);
}

QJsonObject ExportManager::createSnapshot(const QString &volumeId, const QString &backupId, const QString &name)
{
    validateText(name, QStringLiteral("snapshot name"), 255);
    checkCopyRequest(volumeId, backupId);
    const auto [driver, volume] = listedVolume(volumeId);

    QSqlQuery existing = m_catalog.exec(QStringLiteral("SELECT id, volume_id FROM snapshots WHERE backup_id = ? AND "
                                                       "deleted_at IS NULL"),
                                        {backupId});
    if (existing.next()) {
        if (existing.value(1).toString() != volumeId)
            throw RefusedError(QStringLiteral("backup id '%1' already has a temporary snapshot of another volume").arg(backupId));
        return snapshotJson(existing.value(0).toString()); // a retried request: the same snapshot
    }

    // Data path 2 where the storage can snapshot; data path 3 (a temporary cloned volume, e.g. an
    // image pool on ext4 without reflink) where it cannot. Both are exported alike.
    const bool snapshot = driver->capabilities().snapshotLocalRead;
    const QString kind = snapshot ? QStringLiteral("snapshot") : QStringLiteral("volume");
    const QString id = newId();
    const QString copyName = snapshot ? tempSnapshotName(backupId) : tempVolumeName(backupId);
    // Recorded before it exists on the storage: a crash from here on leaves a row to reap. Only
    // while no restore holds the volume (the arbiter's other half: a restore waits for this row).
    const std::optional<QString> restorer = restoreWorker(volumeId);
    const QString staleWorker = restorer && !workerIsAlive(*restorer) ? *restorer : QStringLiteral("-");
    const int inserted =
        m_catalog
            .exec(QStringLiteral("INSERT INTO snapshots (id, volume_id, backup_id, name, kind, status, provider_location, "
                                 "created_at, updated_at, lease_expires_at) SELECT ?, ?, ?, ?, ?, 'creating', ?, ?, ?, ? WHERE NOT "
                                 "EXISTS (SELECT 1 FROM volumes WHERE id = ? AND status = ? AND COALESCE(status_worker, '') <> ?)"),
                  {id, volumeId, backupId, copyName, kind, driver->id(), now(), now(), leaseFromNow(m_config.leaseSeconds), volumeId,
                   VolumeStatus::RestoringBackup, staleWorker})
            .numRowsAffected();
    if (inserted != 1)
        throw RefusedError(QStringLiteral("volume %1 is restoring-backup (held by %2); back it up once the restore has ended")
                               .arg(volumeId, VolumeStore(m_catalog).holderOf(volumeId)));
    try {
        QString providerId, path;
        if (snapshot) {
            const SnapshotHandle handle = runSync(driver->createSnapshot(volume.name, copyName));
            providerId = handle.providerId;
            path = handle.path;
        } else {
            const Volume clone = runSync(driver->createVolumeFromSource(volume.name, copyName));
            providerId = clone.uuid;
            path = clone.path;
        }
        // The lease runs from now: a slow copy must not be reaped the moment it exists.
        m_catalog.exec(QStringLiteral("UPDATE snapshots SET status = 'available', provider_id = ?, provider_location = ?, "
                                      "consistency = ?, lease_expires_at = ?, updated_at = ? WHERE id = ?"),
                       {providerId, path, driver->copyConsistency(copyName), leaseFromNow(m_config.leaseSeconds), now(), id});
    } catch (const Error &e) {
        try {
            if (snapshot)
                runSync(driver->deleteSnapshot(copyName));
            else
                runSync(driver->removeTemporary(TemporaryObject{TemporaryObject::Kind::Volume, copyName, backupId}));
        } catch (const Error &) {
        }
        m_catalog.exec(QStringLiteral("UPDATE snapshots SET status = 'error', deleted_at = ?, updated_at = ? WHERE id = ?"),
                       {now(), now(), id});
        throw Error(QStringLiteral("temporary %1 of %2 failed: %3").arg(snapshot ? QStringLiteral("snapshot") : QStringLiteral("clone"),
                                                                         volumeId, e.message()),
                    ErrorKind::Storage);
    }
    return snapshotJson(id);
}

VolumeDriver &ExportManager::driverById(const QString &driverId) const
{
    if (VolumeDriver *driver = m_drivers.byId(driverId))
        return *driver;
    throw NotFoundError(QStringLiteral("no driver '%1' on this node (GET /v1/node lists them)").arg(driverId.left(200)));
}

QJsonObject ExportManager::createVolume(const QString &driverId, const QString &name, qint64 size)
{
    validateUserName(name, QStringLiteral("volume name"));
    VolumeDriver *driver = &driverById(driverId);
    for (const Volume &v : runSync(driver->listVolumes()))
        if (v.name == name)
            throw RefusedError(QStringLiteral("volume '%1' already exists on %2; restore onto it (POST /v1/volumes/{id}/export) "
                                              "or choose another name")
                                   .arg(name, driverId));
    return volumeJson(*driver, runSync(driver->createVolume(name, size)));
}

bool ExportManager::beginDelete(const QString &snapshotId)
{
    const SnapshotRow row = snapshotRow(snapshotId);
    if (row.deleted)
        return false;
    for (const QString &exportId : column(m_catalog.exec(QStringLiteral("SELECT id FROM exports WHERE snapshot_id = ?"), {row.id})))
        tearDownExport(exportId);
    m_catalog.exec(QStringLiteral("UPDATE snapshots SET status = 'deleting', updated_at = ? WHERE id = ?"), {now(), row.id});
    return true;
}

void ExportManager::deleteSnapshot(const QString &snapshotId)
{
    const SnapshotRow row = snapshotRow(snapshotId);
    if (row.deleted)
        return;
    QStringList reaped;
    reapSnapshot(row.id, reaped);
    if (snapshotRow(row.id).deleted)
        return;
    throw Error(QStringLiteral("temporary snapshot %1 could not be deleted; it is retried by the reaper").arg(snapshotId),
                ErrorKind::Storage);
}

QString ExportManager::exportOf(const QString &column, const QString &value, const QString &consoleFingerprint) const
{
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT id FROM exports WHERE %1 = ? AND console_fingerprint = ?").arg(column),
                                 {value, consoleFingerprint});
    return q.next() ? q.value(0).toString() : QString();
}

QString ExportManager::exportToOther(const QString &column, const QString &value, const QString &consoleFingerprint) const
{
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT id FROM exports WHERE %1 = ? AND console_fingerprint <> ?").arg(column),
                                 {value, consoleFingerprint});
    return q.next() ? q.value(0).toString() : QString();
}

QString ExportManager::insertExport(const QString &column, const QString &value, bool writable, const QString &consoleFingerprint)
{
    const QString id = newId();
    m_catalog.exec(QStringLiteral("INSERT INTO exports (id, %1, writable, console_fingerprint, status, worker, lease_expires_at, "
                                  "created_at, updated_at) VALUES (?, ?, ?, ?, 'exported', ?, ?, ?, ?)")
                       .arg(column),
                   {id, value, writable ? 1 : 0, consoleFingerprint, currentWorkerId(), leaseFromNow(m_config.leaseSeconds),
                    now(), now()});
    return id;
}

QJsonObject ExportManager::createExport(const QString &snapshotId, const QString &consoleFingerprint)
{
    const SnapshotRow row = snapshotRow(snapshotId);
    if (row.deleted || row.status != QLatin1String("available"))
        throw RefusedError(QStringLiteral("snapshot %1 is %2; only an available snapshot can be exported")
                               .arg(snapshotId, row.deleted ? QStringLiteral("deleted") : row.status));
    if (row.lease < now())
        throw RefusedError(QStringLiteral("the lease of snapshot %1 expired at %2; it is being removed").arg(snapshotId, row.lease));
    if (!exportToOther(QStringLiteral("snapshot_id"), snapshotId, consoleFingerprint).isEmpty())
        throw RefusedError(QStringLiteral("snapshot %1 is exported to another console").arg(snapshotId));
    QString id = exportOf(QStringLiteral("snapshot_id"), snapshotId, consoleFingerprint);
    if (id.isEmpty())
        id = insertExport(QStringLiteral("snapshot_id"), snapshotId, false, consoleFingerprint);
    return extendLease(id, consoleFingerprint, m_config.leaseSeconds);
}

QJsonObject ExportManager::createVolumeExport(const QString &volumeId, const QString &consoleFingerprint)
{
    m_drivers.forVolume(volumeId); // NotFoundError for a driver this node does not have
    // The engine's temporaries are never restore targets.
    validateUserName(DriverSet::volumeName(volumeId), QStringLiteral("volume"));
    if (!exportToOther(QStringLiteral("volume_id"), volumeId, consoleFingerprint).isEmpty())
        throw RefusedError(QStringLiteral("volume %1 is exported writable to another console (restoring-backup)").arg(volumeId));
    QString id = exportOf(QStringLiteral("volume_id"), volumeId, consoleFingerprint);
    if (id.isEmpty()) {
        const Volume volume = listedVolume(volumeId).second;
        if (volume.status != VolumeStatus::Available)
            throw RefusedError(QStringLiteral("volume %1 is %2 (%3); only an available volume can be restored onto: detach it "
                                              "from its user first")
                                   .arg(volumeId, volume.status, volume.attachedTo));
        QSqlQuery copies = m_catalog.exec(QStringLiteral("SELECT name FROM snapshots WHERE volume_id = ? AND deleted_at IS NULL"),
                                          {volumeId});
        if (copies.next())
            throw RefusedError(QStringLiteral("volume %1 is being backed up (temporary copy %2); restore onto it once that "
                                              "backup has ended")
                                   .arg(volumeId, copies.value(0).toString()));
        // The same arbiter as the node's engine's jobs: the volume's row goes restoring-backup
        // (held by this agent) or the export is refused, naming who holds it.
        VolumeStore volumes(m_catalog);
        beginVolumeOperation(volumes, volume, VolumeStatus::RestoringBackup);
        try {
            id = insertExport(QStringLiteral("volume_id"), volumeId, true, consoleFingerprint);
        } catch (...) {
            volumes.restorePreviousStatus(volumeId);
            throw;
        }
    }
    QJsonObject answer = extendLease(id, consoleFingerprint, m_config.leaseSeconds);
    answer[QStringLiteral("writable")] = true;
    return answer;
}

QSet<QString> ExportManager::restoringVolumes() const
{
    const QStringList ids = column(m_catalog.exec(QStringLiteral("SELECT volume_id FROM exports WHERE volume_id IS NOT NULL")));
    return QSet<QString>(ids.begin(), ids.end());
}

quint16 ExportManager::pickPort() const
{
    QSet<int> used;
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT port FROM exports WHERE port IS NOT NULL"));
    while (q.next())
        used.insert(q.value(0).toInt());
    const QHostAddress address = m_config.exportBindAddress();
    for (int port = m_config.exportPortFirst; port <= m_config.exportPortLast; ++port) {
        if (used.contains(port))
            continue;
        QTcpServer probe;
        if (probe.listen(address, quint16(port)))
            return quint16(port);
    }
    throw RefusedError(QStringLiteral("no free port left in the export range %1-%2 (export_ports in the configuration)")
                           .arg(m_config.exportPortFirst).arg(m_config.exportPortLast));
}

QJsonObject ExportManager::initializeConnection(const QString &snapshotId, const QSslCertificate &console)
{
    const QString fingerprint = certificateFingerprint(console);
    const SnapshotRow row = snapshotRow(snapshotId);
    const QString exportId = exportOf(QStringLiteral("snapshot_id"), snapshotId, fingerprint);
    if (exportId.isEmpty() || row.deleted)
        throw RefusedError(QStringLiteral("snapshot %1 has no export for this console: POST /v1/snapshots/%1/export first")
                               .arg(snapshotId));
    checkCopy(row); // never serve a snapshot its driver knows to be bad
    const QJsonObject connection = startServer(exportId, row.path, row.name, false, console);
    // The specification's provider_auth: how the connection is authenticated (no secret is
    // handed out: the console proves itself with its own key).
    m_catalog.exec(QStringLiteral("UPDATE snapshots SET provider_auth = ?, updated_at = ? WHERE id = ?"),
                   {QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("tls"), QStringLiteral("x509")},
                                                                 {QStringLiteral("console"), fingerprint}})
                                          .toJson(QJsonDocument::Compact)),
                    now(), snapshotId});
    return connection;
}

QJsonObject ExportManager::initializeVolumeConnection(const QString &volumeId, const QSslCertificate &console)
{
    const QString fingerprint = certificateFingerprint(console);
    m_drivers.forVolume(volumeId);
    const QString exportId = exportOf(QStringLiteral("volume_id"), volumeId, fingerprint);
    if (exportId.isEmpty())
        throw RefusedError(QStringLiteral("volume %1 has no export for this console: POST /v1/volumes/{id}/export first")
                               .arg(volumeId));
    const Volume volume = listedVolume(volumeId).second;
    return startServer(exportId, volume.path, volume.name, true, console);
}

QJsonObject ExportManager::startServer(const QString &exportId, const QString &path, const QString &exportName, bool writable,
                                       const QSslCertificate &console)
{
    const QString fingerprint = certificateFingerprint(console);
    const QJsonObject lease = extendLease(exportId, fingerprint, m_config.leaseSeconds);
    const auto connection = [&] {
        QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT host, port, export_name FROM exports WHERE id = ?"), {exportId});
        q.next();
        return QJsonObject{
            {QStringLiteral("driver_volume_type"), QStringLiteral("nbd")},
            {QStringLiteral("data"), QJsonObject{{QStringLiteral("host"), q.value(0).toString()},
                                                 {QStringLiteral("port"), q.value(1).toInt()},
                                                 {QStringLiteral("export_name"), q.value(2).toString()},
                                                 {QStringLiteral("tls"), QStringLiteral("x509")},
                                                 {QStringLiteral("writable"), writable}}},
            {QStringLiteral("lease_expires_at"), lease.value(QStringLiteral("lease_expires_at"))}};
    };
    const auto running = m_servers.find(exportId);
    if (running != m_servers.end() && (*running)->isRunning())
        return connection();

    const QHostAddress address = m_config.exportBindAddress();
    if (isWildcardAddress(address))
        throw RefusedError(QStringLiteral("the agent listens on all addresses; set export_address in its configuration to "
                                          "the address consoles reach it at"));
    // Any driver that can snapshot hands out a local path: an image file, or a block device (an
    // LVM snapshot LV); nbdkit's file plugin serves both, holes only where the file has them.
    if (!QFileInfo(path).isFile() && !isBlockDevice(path))
        throw Error(QStringLiteral("%1 is not at a file or block device the agent can serve (%2); delete it and take a "
                                   "new one")
                        .arg(exportName, path),
                    ErrorKind::Storage);
    // The export's TLS directory: the agent's certificate and key, and as the only CA the
    // certificate of the console that asked, so nbdkit lets no one else connect.
    const QString tlsDir = QDir(m_config.exportsDir()).filePath(exportId);
    if (!QDir().mkpath(tlsDir))
        throw Error(QStringLiteral("cannot create %1").arg(tlsDir));
    ::chmod(QFile::encodeName(m_config.exportsDir()).constData(), 0700);
    ::chmod(QFile::encodeName(tlsDir).constData(), 0700);
    m_catalog.exec(QStringLiteral("UPDATE exports SET tls_dir = ?, updated_at = ? WHERE id = ?"), {tlsDir, now(), exportId});
    writePemFile(QDir(tlsDir).filePath(QStringLiteral("server-cert.pem")), m_identity.certificate.toPem(), false);
    writePemFile(QDir(tlsDir).filePath(QStringLiteral("server-key.pem")), m_identity.key.toPem(), true);
    writePemFile(QDir(tlsDir).filePath(QStringLiteral("ca-cert.pem")), console.toPem(), false);
    const QString pidFile = QDir(tlsDir).filePath(QStringLiteral("nbdkit.pid"));

    QString lastFailure;
    for (int attempt = 0; attempt < 5; ++attempt) {
        const quint16 port = pickPort();
        // `host` is what the console dials: behind NAT not what nbdkit binds (export_public_address).
        m_catalog.exec(QStringLiteral("UPDATE exports SET host = ?, port = ?, export_name = ?, updated_at = ? WHERE id = ?"),
                       {m_config.exportDialAddress().toString(), port, exportName, now(), exportId});
        QFile::remove(pidFile);
        QStringList args{QStringLiteral("-f"), QStringLiteral("--exit-with-parent"), QStringLiteral("--tls=require"),
                         QStringLiteral("--tls-certificates"), tlsDir, QStringLiteral("--tls-verify-peer")};
        if (!writable)
            args << QStringLiteral("-r");
        args << QStringLiteral("-i") << address.toString() << QStringLiteral("-p") << QString::number(port)
             << QStringLiteral("-P") << pidFile << QStringLiteral("file") << QStringLiteral("file=") + path;
        auto server = std::make_shared<SupervisedProcess>();
        server->start(QStringLiteral("nbdkit"), args);
        // nbdkit writes its pid file once it listens.
        for (int i = 0; i < 200 && server->isRunning() && QFileInfo(pidFile).size() == 0; ++i)
            QThread::msleep(25);
        if (server->isRunning() && QFileInfo(pidFile).size() > 0) {
            m_servers.insert(exportId, server);
            m_catalog.exec(QStringLiteral("UPDATE exports SET status = 'connected', server_pid = ?, server_start = ?, "
                                          "updated_at = ? WHERE id = ?"),
                           {server->pid(), processStartTime(server->pid()), now(), exportId});
            return connection();
        }
        lastFailure = server->output();
        server->stop();
        if (!lastFailure.contains(QLatin1String("in use")))
            break; // only a port taken meanwhile is worth another try
    }
    m_catalog.exec(QStringLiteral("UPDATE exports SET port = NULL WHERE id = ?"), {exportId});
    QDir(tlsDir).removeRecursively();
    throw Error(QStringLiteral("nbdkit could not serve %1: %2").arg(exportName, lastFailure), ErrorKind::Storage);
}

void ExportManager::stopServer(const QString &exportId)
{
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT server_pid, server_start, tls_dir FROM exports WHERE id = ?"), {exportId});
    if (!q.next())
        return;
    if (const auto server = m_servers.take(exportId))
        server->stop();
    else
        killRecordedServer(q.value(0).toLongLong(), q.value(1).toString());
    // The export's credentials end with it.
    const QString tlsDir = q.value(2).toString();
    if (!tlsDir.isEmpty() && QFileInfo(tlsDir).absolutePath() == QFileInfo(m_config.exportsDir()).absoluteFilePath())
        QDir(tlsDir).removeRecursively();
    m_catalog.exec(QStringLiteral("UPDATE exports SET status = 'exported', server_pid = 0, server_start = NULL, port = NULL, "
                                  "tls_dir = NULL, updated_at = ? WHERE id = ?"),
                   {now(), exportId});
}

void ExportManager::tearDownExport(const QString &exportId)
{
    stopServer(exportId);
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT volume_id FROM exports WHERE id = ?"), {exportId});
    const QString volumeId = q.next() ? q.value(0).toString() : QString();
    m_catalog.exec(QStringLiteral("DELETE FROM exports WHERE id = ?"), {exportId});
    if (volumeId.isEmpty())
        return;
    // A writable export held its volume restoring-backup: released now (the volume reads its
    // previous status again), unless another live process holds it meanwhile.
    const std::optional<QString> holder = restoreWorker(volumeId);
    if (holder && (*holder == currentWorkerId() || !workerIsAlive(*holder)))
        VolumeStore(m_catalog).restorePreviousStatus(volumeId);
}

void ExportManager::terminateConnection(const QString &snapshotId, const QString &consoleFingerprint)
{
    snapshotRow(snapshotId); // NotFoundError for an id never seen
    const QString exportId = exportOf(QStringLiteral("snapshot_id"), snapshotId, consoleFingerprint);
    if (!exportId.isEmpty())
        stopServer(exportId);
}

void ExportManager::removeExport(const QString &snapshotId, const QString &consoleFingerprint)
{
    snapshotRow(snapshotId);
    const QString exportId = exportOf(QStringLiteral("snapshot_id"), snapshotId, consoleFingerprint);
    if (!exportId.isEmpty())
        tearDownExport(exportId);
}

void ExportManager::terminateVolumeConnection(const QString &volumeId, const QString &consoleFingerprint)
{
    m_drivers.forVolume(volumeId); // NotFoundError for a driver this node does not have
    const QString exportId = exportOf(QStringLiteral("volume_id"), volumeId, consoleFingerprint);
    if (!exportId.isEmpty())
        stopServer(exportId);
}

void ExportManager::removeVolumeExport(const QString &volumeId, const QString &consoleFingerprint)
{
    m_drivers.forVolume(volumeId);
    const QString exportId = exportOf(QStringLiteral("volume_id"), volumeId, consoleFingerprint);
    if (!exportId.isEmpty())
        tearDownExport(exportId);
}

QJsonObject ExportManager::extendLease(const QString &exportId, const QString &consoleFingerprint, int seconds)
{
    validateName(exportId, QStringLiteral("export id"));
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT snapshot_id, lease_expires_at FROM exports WHERE id = ? AND "
                                                "console_fingerprint = ?"),
                                 {exportId, consoleFingerprint});
    if (!q.next())
        throw NotFoundError(QStringLiteral("no export with id '%1' for this console").arg(exportId));
    if (q.value(1).toString() < now())
        throw RefusedError(QStringLiteral("the lease of export %1 expired at %2; the export is being removed")
                               .arg(exportId, q.value(1).toString()));
    if (!q.value(0).isNull())
        checkCopy(snapshotRow(q.value(0).toString())); // the reader's extension learns why its reads fail
    const QString lease = leaseFromNow(seconds);
    m_catalog.transaction([&] {
        m_catalog.exec(QStringLiteral("UPDATE exports SET lease_expires_at = ?, updated_at = ? WHERE id = ?"), {lease, now(), exportId});
        if (!q.value(0).isNull())
            m_catalog.exec(QStringLiteral("UPDATE snapshots SET lease_expires_at = ?, updated_at = ? WHERE id = ?"),
                           {lease, now(), q.value(0).toString()});
    });
    return QJsonObject{{QStringLiteral("id"), exportId}, {QStringLiteral("lease_expires_at"), lease}};
}

void ExportManager::reapSnapshot(const QString &snapshotId, QStringList &reaped)
{
    for (const QString &exportId : column(m_catalog.exec(QStringLiteral("SELECT id FROM exports WHERE snapshot_id = ?"), {snapshotId}))) {
        tearDownExport(exportId);
        reaped << QStringLiteral("export ") + exportId;
    }
    const SnapshotRow row = snapshotRow(snapshotId);
    if (row.deleted)
        return;
    try {
        VolumeDriver &driver = m_drivers.forVolume(row.volumeId);
        if (row.kind == QLatin1String("volume"))
            runSync(driver.removeTemporary(TemporaryObject{TemporaryObject::Kind::Volume, row.name, row.backupId}));
        else
            runSync(driver.deleteSnapshot(row.name));
    } catch (const Error &e) {
        qWarning().noquote() << QStringLiteral("cannot delete temporary %1 %2 (%3): %4; retried later")
                                    .arg(row.kind, row.id, row.name, e.message());
        return;
    }
    m_catalog.exec(QStringLiteral("UPDATE snapshots SET status = 'deleted', deleted_at = ?, updated_at = ? WHERE id = ?"),
                   {now(), now(), row.id});
    reaped << row.kind + QLatin1Char(' ') + row.id;
}

QStringList ExportManager::reapAll()
{
    QStringList reaped;
    // Writable exports of volumes, and exports whose snapshot row is gone.
    for (const QString &id : column(m_catalog.exec(QStringLiteral("SELECT id FROM exports WHERE snapshot_id IS NULL OR "
                                                                  "snapshot_id NOT IN (SELECT id FROM snapshots)")))) {
        tearDownExport(id);
        reaped << QStringLiteral("export ") + id;
    }
    // Only the agent's own copies (they carry a lease): the node's engine (the Cinder-compatible
    // API, an ndbackupctl on the node) records its temporaries in the same table without one.
    for (const QString &id : column(m_catalog.exec(QStringLiteral("SELECT id FROM snapshots WHERE deleted_at IS NULL AND "
                                                                  "lease_expires_at IS NOT NULL"))))
        reapSnapshot(id, reaped);
    return reaped;
}

QStringList ExportManager::reapExpiredExports()
{
    QStringList reaped;
    for (const QString &id :
         column(m_catalog.exec(QStringLiteral("SELECT id FROM exports WHERE lease_expires_at < ? OR snapshot_id IN "
                                              "(SELECT id FROM snapshots WHERE lease_expires_at < ?)"),
                               {now(), now()}))) {
        tearDownExport(id);
        reaped << QStringLiteral("export ") + id;
    }
    return reaped;
}

QStringList ExportManager::reapExpired()
{
    QStringList reaped;
    for (const QString &id : column(m_catalog.exec(
             QStringLiteral("SELECT id FROM snapshots WHERE deleted_at IS NULL AND lease_expires_at < ?"), {now()})))
        reapSnapshot(id, reaped);
    return reaped;
}

} // namespace ndb
