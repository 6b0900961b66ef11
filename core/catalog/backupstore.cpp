#include "backupstore.h"
#include "catalog.h"
#include "sqlvalue.h"
#include "model/status.h"

#include <QSqlQuery>

namespace ndb {

namespace {
const QString kColumns = QStringLiteral(
    "id, volume_id, volume_name, name, description, container, status, fail_reason, size, stored_bytes, "
    "temp_volume_id, temp_snapshot_id, parent_id, data_path, created_at, updated_at, started_at, finished_at, consistency, cancelled");

Backup readBackup(const QSqlQuery &q)
{
    Backup b;
    b.id = q.value(0).toString();
    b.volumeId = q.value(1).toString();
    b.volumeName = q.value(2).toString();
    b.name = q.value(3).toString();
    b.description = q.value(4).toString();
    b.container = q.value(5).toString();
    b.status = q.value(6).toString();
    b.failReason = q.value(7).toString();
    b.size = q.value(8).toLongLong();
    b.storedBytes = q.value(9).toLongLong();
    b.tempVolumeId = q.value(10).toString();
    b.tempSnapshotId = q.value(11).toString();
    b.parentId = q.value(12).toString();
    b.dataPath = q.value(13).toString();
    b.createdAt = sql::toTime(q.value(14));
    b.updatedAt = sql::toTime(q.value(15));
    b.startedAt = sql::toTime(q.value(16));
    b.finishedAt = sql::toTime(q.value(17));
    b.consistency = q.value(18).toString();
    b.cancelled = q.value(19).toInt() != 0;
    return b;
}
} // namespace

void BackupStore::insert(const Backup &b)
{
    m_catalog.exec(QStringLiteral("INSERT INTO backups (id, volume_id, volume_name, name, description, container, status, size, parent_id, worker, created_at, updated_at) "
                                  "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"),
                   {b.id, b.volumeId, sql::nonNull(b.volumeName), sql::nonNull(b.name), sql::nonNull(b.description), b.container, b.status, b.size,
                    sql::text(b.parentId), currentWorkerId(), sql::now(), sql::now()});
}

std::optional<Backup> BackupStore::find(const QString &id) const
{
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT %1 FROM backups WHERE id = ?").arg(kColumns), {id});
    if (!q.next())
        return std::nullopt;
    return readBackup(q);
}

QList<Backup> BackupStore::list(const QString &volumeId, bool includeDeleted) const
{
    QString where = includeDeleted ? QStringLiteral("1=1") : QStringLiteral("status <> 'deleted'");
    QVariantList bind;
    if (!volumeId.isEmpty()) {
        where += QStringLiteral(" AND volume_id = ?");
        bind << volumeId;
    }
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT %1 FROM backups WHERE %2 ORDER BY created_at DESC").arg(kColumns, where), bind);
    QList<Backup> out;
    while (q.next())
        out << readBackup(q);
    return out;
}

QList<Backup> BackupStore::withStatus(const QString &status) const
{
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT %1 FROM backups WHERE status = ?").arg(kColumns), {status});
    QList<Backup> out;
    while (q.next())
        out << readBackup(q);
    return out;
}

QString BackupStore::workerOf(const QString &id) const
{
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT worker FROM backups WHERE id = ?"), {id});
    return q.next() ? q.value(0).toString() : QString();
}

void BackupStore::setStatus(const QString &id, const QString &status, const QString &failReason)
{
    // Never the timings: a restore or verify moving the status is not the backup finishing.
    m_catalog.exec(QStringLiteral("UPDATE backups SET status=?, fail_reason=?, updated_at=? WHERE id=?"),
                   {status, sql::text(failReason.isEmpty() ? QString() : failReason), sql::now(), id});
}

void BackupStore::markFailed(const QString &id, const QString &failReason, bool cancelled)
{
    m_catalog.exec(QStringLiteral("UPDATE backups SET status=?, fail_reason=?, cancelled=?, updated_at=?, finished_at=? WHERE id=?"),
                   {BackupStatus::Error, sql::text(failReason), cancelled ? 1 : 0, sql::now(), sql::now(), id});
}

void BackupStore::setConsistency(const QString &id, const QString &consistency)
{
    m_catalog.exec(QStringLiteral("UPDATE backups SET consistency=?, updated_at=? WHERE id=?"), {consistency, sql::now(), id});
}

bool BackupStore::transition(const QString &id, const QString &expected, const QString &status)
{
    QSqlQuery q = m_catalog.exec(QStringLiteral("UPDATE backups SET status=?, worker=?, updated_at=? WHERE id=? AND status=?"),
                                 {status, currentWorkerId(), sql::now(), id, expected});
    return q.numRowsAffected() == 1;
}

void BackupStore::setTempVolume(const QString &id, const QString &tempVolumeId)
{
    m_catalog.exec(QStringLiteral("UPDATE backups SET temp_volume_id=?, updated_at=? WHERE id=?"), {sql::text(tempVolumeId), sql::now(), id});
}

void BackupStore::setTempSnapshot(const QString &id, const QString &tempSnapshotId)
{
    m_catalog.exec(QStringLiteral("UPDATE backups SET temp_snapshot_id=?, updated_at=? WHERE id=?"), {sql::text(tempSnapshotId), sql::now(), id});
}

void BackupStore::setDataPath(const QString &id, const QString &dataPath)
{
    m_catalog.exec(QStringLiteral("UPDATE backups SET data_path=?, updated_at=? WHERE id=?"), {dataPath, sql::now(), id});
}

void BackupStore::markAvailable(const QString &id, qint64 size, qint64 storedBytes)
{
    m_catalog.exec(QStringLiteral("UPDATE backups SET status=?, size=?, stored_bytes=?, fail_reason=NULL, updated_at=?, finished_at=? WHERE id=?"),
                   {BackupStatus::Available, size, storedBytes, sql::now(), sql::now(), id});
}

void BackupStore::markStarted(const QString &id)
{
    m_catalog.exec(QStringLiteral("UPDATE backups SET started_at=?, updated_at=? WHERE id=?"), {sql::now(), sql::now(), id});
}

void BackupStore::markDeleted(const QString &id)
{
    m_catalog.exec(QStringLiteral("UPDATE backups SET status=?, deleted_at=?, updated_at=? WHERE id=?"),
                   {BackupStatus::Deleted, sql::now(), sql::now(), id});
}

void SnapshotStore::insert(const Snapshot &s)
{
    m_catalog.exec(QStringLiteral("INSERT INTO snapshots (id, volume_id, backup_id, name, status, created_at, updated_at) VALUES (?,?,?,?,?,?,?)"),
                   {s.id, s.volumeId, sql::text(s.backupId), s.name, s.status, sql::now(), sql::now()});
}

namespace {
const QString kSnapshotColumns = QStringLiteral("id, volume_id, backup_id, name, status, provider_id, provider_location, provider_auth, created_at");

Snapshot snapshotFrom(const QSqlQuery &q)
{
    Snapshot s;
    s.id = q.value(0).toString();
    s.volumeId = q.value(1).toString();
    s.backupId = q.value(2).toString();
    s.name = q.value(3).toString();
    s.status = q.value(4).toString();
    s.providerId = q.value(5).toString();
    s.providerLocation = q.value(6).toString();
    s.providerAuth = q.value(7).toString();
    s.createdAt = sql::toTime(q.value(8));
    return s;
}
} // namespace

std::optional<Snapshot> SnapshotStore::find(const QString &id) const
{
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT %1 FROM snapshots WHERE id = ?").arg(kSnapshotColumns), {id});
    if (!q.next())
        return std::nullopt;
    return snapshotFrom(q);
}

QList<Snapshot> SnapshotStore::withStatus(const QString &status) const
{
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT %1 FROM snapshots WHERE status = ? AND deleted_at IS NULL ORDER BY created_at")
                                     .arg(kSnapshotColumns), {status});
    QList<Snapshot> out;
    while (q.next())
        out << snapshotFrom(q);
    return out;
}

void SnapshotStore::setStatus(const QString &id, const QString &status)
{
    m_catalog.exec(QStringLiteral("UPDATE snapshots SET status=?, updated_at=? WHERE id=?"), {status, sql::now(), id});
}

void SnapshotStore::setProvider(const QString &id, const QString &providerId, const QString &providerLocation, const QString &providerAuth)
{
    m_catalog.exec(QStringLiteral("UPDATE snapshots SET provider_id=?, provider_location=?, provider_auth=?, updated_at=? WHERE id=?"),
                   {sql::text(providerId), sql::text(providerLocation), sql::text(providerAuth), sql::now(), id});
}

void SnapshotStore::setExport(const QString &id, const QString &exportId)
{
    m_catalog.exec(QStringLiteral("UPDATE snapshots SET export_id=?, updated_at=? WHERE id=?"), {sql::text(exportId), sql::now(), id});
}

void SnapshotStore::setConnection(const QString &id, const QString &connection, const QString &providerAuth)
{
    m_catalog.exec(QStringLiteral("UPDATE snapshots SET connection=?, provider_auth=?, updated_at=? WHERE id=?"),
                   {sql::text(connection), sql::text(providerAuth), sql::now(), id});
}

void SnapshotStore::markDeleted(const QString &id)
{
    m_catalog.exec(QStringLiteral("UPDATE snapshots SET status='deleted', deleted_at=?, updated_at=? WHERE id=?"), {sql::now(), sql::now(), id});
}

} // namespace ndb
