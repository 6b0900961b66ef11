#include "exportmanager.h"
#include "catalog/catalog.h"
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

struct ExportManager::SnapshotRow
{
    QString id, volumeId, backupId, name, status, path, lease;
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
                                                "lease_expires_at, deleted_at FROM snapshots WHERE id = ?"),
                                 {snapshotId});
    if (!q.next())
        throw NotFoundError(QStringLiteral("no snapshot with id '%1' on this node").arg(snapshotId));
    return SnapshotRow{q.value(0).toString(), q.value(1).toString(), q.value(2).toString(), q.value(3).toString(),
                       q.value(4).toString(), q.value(5).toString(), q.value(6).toString(), !q.value(7).isNull()};
}

QJsonObject ExportManager::createSnapshot(const QString &volumeId, const QString &backupId, const QString &name)
{
    validateName(backupId, QStringLiteral("backup id"));
    validateText(name, QStringLiteral("snapshot name"), 255);
    // The volume id must be one the drivers list: no path is ever built from the request's text.
    VolumeDriver &driver = m_drivers.forVolume(volumeId);
    const QString volumeName = DriverSet::volumeName(volumeId);
    validateName(volumeName, QStringLiteral("volume"));
    bool exists = false;
    for (const Volume &v : runSync(driver.listVolumes()))
        exists = exists || v.name == volumeName;
    if (!exists)
        throw NotFoundError(QStringLiteral("no volume '%1' on this node").arg(volumeId));
    if (!driver.capabilities().snapshotLocalRead)
        throw RefusedError(QStringLiteral("storage %1 cannot take snapshots (an image pool needs a filesystem with reflink, "
                                          "btrfs or xfs; LVM volume groups always can); this agent exports only snapshots")
                               .arg(driver.id()));

    const auto rowJson = [&](const QString &id) {
        const SnapshotRow row = snapshotRow(id);
        return QJsonObject{{QStringLiteral("id"), row.id},         {QStringLiteral("volume_id"), row.volumeId},
                           {QStringLiteral("backup_id"), row.backupId}, {QStringLiteral("name"), row.name},
                           {QStringLiteral("status"), row.status}, {QStringLiteral("lease_expires_at"), row.lease}};
    };
    QSqlQuery existing = m_catalog.exec(QStringLiteral("SELECT id, volume_id FROM snapshots WHERE backup_id = ? AND "
                                                       "deleted_at IS NULL"),
                                        {backupId});
    if (existing.next()) {
        if (existing.value(1).toString() != volumeId)
            throw RefusedError(QStringLiteral("backup id '%1' already has a temporary snapshot of another volume").arg(backupId));
        return rowJson(existing.value(0).toString()); // a retried request: the same snapshot
    }

    const QString id = newId();
    const QString snapshotName = tempSnapshotName(backupId);
    // Recorded before it exists on the storage: a crash from here on leaves a row to reap.
    m_catalog.exec(QStringLiteral("INSERT INTO snapshots (id, volume_id, backup_id, name, status, provider_location, "
                                  "created_at, updated_at, lease_expires_at) VALUES (?, ?, ?, ?, 'creating', ?, ?, ?, ?)"),
                   {id, volumeId, backupId, snapshotName, driver.id(), now(), now(), leaseFromNow(m_config.leaseSeconds)});
    try {
        const SnapshotHandle handle = runSync(driver.createSnapshot(volumeName, snapshotName));
        m_catalog.exec(QStringLiteral("UPDATE snapshots SET status = 'available', provider_id = ?, provider_location = ?, "
                                      "updated_at = ? WHERE id = ?"),
                       {handle.providerId, handle.path, now(), id});
    } catch (const Error &e) {
        try {
            runSync(driver.deleteSnapshot(snapshotName));
        } catch (const Error &) {
        }
        m_catalog.exec(QStringLiteral("UPDATE snapshots SET status = 'error', deleted_at = ?, updated_at = ? WHERE id = ?"),
                       {now(), now(), id});
        throw Error(QStringLiteral("temporary snapshot of %1 failed: %2").arg(volumeId, e.message()), ErrorKind::Storage);
    }
    return rowJson(id);
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

QString ExportManager::exportOf(const QString &snapshotId, const QString &consoleFingerprint) const
{
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT id FROM exports WHERE snapshot_id = ? AND console_fingerprint = ?"),
                                 {snapshotId, consoleFingerprint});
    return q.next() ? q.value(0).toString() : QString();
}

QJsonObject ExportManager::createExport(const QString &snapshotId, const QString &consoleFingerprint)
{
    const SnapshotRow row = snapshotRow(snapshotId);
    if (row.deleted || row.status != QLatin1String("available"))
        throw RefusedError(QStringLiteral("snapshot %1 is %2; only an available snapshot can be exported")
                               .arg(snapshotId, row.deleted ? QStringLiteral("deleted") : row.status));
    QSqlQuery other = m_catalog.exec(QStringLiteral("SELECT id FROM exports WHERE snapshot_id = ? AND console_fingerprint <> ?"),
                                     {snapshotId, consoleFingerprint});
    if (other.next())
        throw RefusedError(QStringLiteral("snapshot %1 is exported to another console").arg(snapshotId));
    const QString lease = leaseFromNow(m_config.leaseSeconds);
    QString id = exportOf(snapshotId, consoleFingerprint);
    if (id.isEmpty()) {
        id = newId();
        m_catalog.exec(QStringLiteral("INSERT INTO exports (id, snapshot_id, console_fingerprint, status, worker, "
                                      "lease_expires_at, created_at, updated_at) VALUES (?, ?, ?, 'exported', ?, ?, ?, ?)"),
                       {id, snapshotId, consoleFingerprint, currentWorkerId(), lease, now(), now()});
    }
    return extendLease(id, consoleFingerprint, m_config.leaseSeconds);
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
    const QString exportId = exportOf(snapshotId, fingerprint);
    if (exportId.isEmpty() || row.deleted)
        throw RefusedError(QStringLiteral("snapshot %1 has no export for this console: POST /v1/snapshots/%1/export first")
                               .arg(snapshotId));
    const QJsonObject lease = extendLease(exportId, fingerprint, m_config.leaseSeconds);
    const auto connection = [&] {
        QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT host, port, export_name FROM exports WHERE id = ?"), {exportId});
        q.next();
        return QJsonObject{
            {QStringLiteral("driver_volume_type"), QStringLiteral("nbd")},
            {QStringLiteral("data"), QJsonObject{{QStringLiteral("host"), q.value(0).toString()},
                                                 {QStringLiteral("port"), q.value(1).toInt()},
                                                 {QStringLiteral("export_name"), q.value(2).toString()},
                                                 {QStringLiteral("tls"), QStringLiteral("x509")}}},
            {QStringLiteral("lease_expires_at"), lease.value(QStringLiteral("lease_expires_at"))}};
    };
    const auto running = m_servers.find(exportId);
    if (running != m_servers.end() && (*running)->isRunning())
        return connection();

    const QHostAddress address = m_config.exportBindAddress();
    if (address == QHostAddress::Any || address == QHostAddress::AnyIPv6 || address == QHostAddress::AnyIPv4)
        throw RefusedError(QStringLiteral("the agent listens on all addresses; set export_address in its configuration to "
                                          "the address consoles reach it at"));
    // Any driver that can snapshot hands out a local path: an image file, or a block device (an
    // LVM snapshot LV); nbdkit's file plugin serves both, holes only where the file has them.
    if (!QFileInfo(row.path).isFile() && !isBlockDevice(row.path))
        throw Error(QStringLiteral("snapshot %1 (%2) is not at a file or block device the agent can serve (%3); delete "
                                   "the snapshot and take a new one")
                        .arg(snapshotId, row.name, row.path),
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
                       {m_config.exportDialAddress().toString(), port, row.name, now(), exportId});
        QFile::remove(pidFile);
        auto server = std::make_shared<SupervisedProcess>();
        server->start(QStringLiteral("nbdkit"),
                      {QStringLiteral("-f"), QStringLiteral("--exit-with-parent"), QStringLiteral("--tls=require"),
                       QStringLiteral("--tls-certificates"), tlsDir, QStringLiteral("--tls-verify-peer"), QStringLiteral("-r"),
                       QStringLiteral("-i"), address.toString(), QStringLiteral("-p"), QString::number(port),
                       QStringLiteral("-P"), pidFile, QStringLiteral("file"), QStringLiteral("file=") + row.path});
        // nbdkit writes its pid file once it listens.
        for (int i = 0; i < 200 && server->isRunning() && QFileInfo(pidFile).size() == 0; ++i)
            QThread::msleep(25);
        if (server->isRunning() && QFileInfo(pidFile).size() > 0) {
            m_servers.insert(exportId, server);
            m_catalog.transaction([&] {
                m_catalog.exec(QStringLiteral("UPDATE exports SET status = 'connected', server_pid = ?, server_start = ?, "
                                              "updated_at = ? WHERE id = ?"),
                               {server->pid(), processStartTime(server->pid()), now(), exportId});
                // The specification's provider_auth: how the connection is authenticated (no
                // secret is handed out: the console proves itself with its own key).
                m_catalog.exec(QStringLiteral("UPDATE snapshots SET provider_auth = ?, updated_at = ? WHERE id = ?"),
                               {QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("tls"), QStringLiteral("x509")},
                                                                             {QStringLiteral("console"), fingerprint}})
                                                      .toJson(QJsonDocument::Compact)),
                                now(), snapshotId});
            });
            return connection();
        }
        lastFailure = server->output();
        server->stop();
        if (!lastFailure.contains(QLatin1String("in use")))
            break; // only a port taken meanwhile is worth another try
    }
    m_catalog.exec(QStringLiteral("UPDATE exports SET port = NULL WHERE id = ?"), {exportId});
    QDir(tlsDir).removeRecursively();
    throw Error(QStringLiteral("nbdkit could not serve snapshot %1: %2").arg(snapshotId, lastFailure), ErrorKind::Storage);
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
    m_catalog.exec(QStringLiteral("DELETE FROM exports WHERE id = ?"), {exportId});
}

void ExportManager::terminateConnection(const QString &snapshotId, const QString &consoleFingerprint)
{
    snapshotRow(snapshotId); // NotFoundError for an id never seen
    const QString exportId = exportOf(snapshotId, consoleFingerprint);
    if (!exportId.isEmpty())
        stopServer(exportId);
}

void ExportManager::removeExport(const QString &snapshotId, const QString &consoleFingerprint)
{
    snapshotRow(snapshotId);
    const QString exportId = exportOf(snapshotId, consoleFingerprint);
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
    const QString lease = leaseFromNow(seconds);
    m_catalog.transaction([&] {
        m_catalog.exec(QStringLiteral("UPDATE exports SET lease_expires_at = ?, updated_at = ? WHERE id = ?"), {lease, now(), exportId});
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
        runSync(m_drivers.forVolume(row.volumeId).deleteSnapshot(row.name));
    } catch (const Error &e) {
        qWarning().noquote() << QStringLiteral("cannot delete temporary snapshot %1 (%2): %3; retried later")
                                    .arg(row.id, row.name, e.message());
        return;
    }
    m_catalog.exec(QStringLiteral("UPDATE snapshots SET status = 'deleted', deleted_at = ?, updated_at = ? WHERE id = ?"),
                   {now(), now(), row.id});
    reaped << QStringLiteral("snapshot ") + row.id;
}

QStringList ExportManager::reapAll()
{
    QStringList reaped;
    for (const QString &id :
         column(m_catalog.exec(QStringLiteral("SELECT id FROM exports WHERE snapshot_id NOT IN (SELECT id FROM snapshots)")))) {
        tearDownExport(id);
        reaped << QStringLiteral("export ") + id;
    }
    for (const QString &id : column(m_catalog.exec(QStringLiteral("SELECT id FROM snapshots WHERE deleted_at IS NULL"))))
        reapSnapshot(id, reaped);
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
