#include "volumestore.h"
#include "catalog.h"
#include "sqlvalue.h"
#include "model/status.h"

#include <QSqlQuery>

namespace ndb {

namespace {
const QString kColumns = QStringLiteral("id, driver_id, name, host, size, status, previous_status, path, uuid, attached_to, status_worker");

Volume readVolume(const QSqlQuery &q)
{
    Volume v;
    v.id = q.value(0).toString();
    v.driverId = q.value(1).toString();
    v.name = q.value(2).toString();
    v.host = q.value(3).toString();
    v.size = q.value(4).toLongLong();
    v.status = q.value(5).toString();
    v.previousStatus = q.value(6).toString();
    v.path = q.value(7).toString();
    v.uuid = q.value(8).toString();
    v.attachedTo = q.value(9).toString();
    return v;
}

bool isEngineStatus(const QString &status)
{
    return status == VolumeStatus::BackingUp || status == VolumeStatus::RestoringBackup;
}
} // namespace

Volume VolumeStore::upsertFromInventory(const Volume &volume)
{
    Volume result = volume;
    m_catalog.transaction([&] {
        QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT status, previous_status, status_worker FROM volumes WHERE id = ?"), {volume.id});
        if (q.next()) {
            const QString status = q.value(0).toString();
            const QString worker = q.value(2).toString();
            const bool held = isEngineStatus(status) && workerIsAlive(worker);
            if (held || status == VolumeStatus::Error) {
                result.status = status;
                result.previousStatus = q.value(1).toString();
            }
            m_catalog.exec(QStringLiteral("UPDATE volumes SET driver_id=?, name=?, host=?, size=?, status=?, path=?, uuid=?, attached_to=?, updated_at=? WHERE id=?"),
                           {volume.driverId, volume.name, sql::nonNull(volume.host), volume.size, result.status, sql::text(volume.path),
                            sql::text(volume.uuid), sql::text(volume.attachedTo), sql::now(), volume.id});
        } else {
            m_catalog.exec(QStringLiteral("INSERT INTO volumes (id, driver_id, name, host, size, status, path, uuid, attached_to, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"),
                           {volume.id, volume.driverId, volume.name, sql::nonNull(volume.host), volume.size, volume.status, sql::text(volume.path),
                            sql::text(volume.uuid), sql::text(volume.attachedTo), sql::now(), sql::now()});
        }
    });
    return result;
}

void VolumeStore::removeMissing(const QString &driverId, const QStringList &presentIds)
{
    m_catalog.transaction([&] {
        QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT id, status FROM volumes WHERE driver_id = ?"), {driverId});
        QStringList gone;
        while (q.next())
            if (!presentIds.contains(q.value(0).toString()) && !isEngineStatus(q.value(1).toString()))
                gone << q.value(0).toString();
        for (const QString &id : gone)
            m_catalog.exec(QStringLiteral("DELETE FROM volumes WHERE id = ?"), {id});
    });
}

std::optional<Volume> VolumeStore::find(const QString &id) const
{
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT %1 FROM volumes WHERE id = ?").arg(kColumns), {id});
    if (!q.next())
        return std::nullopt;
    return readVolume(q);
}

QList<Volume> VolumeStore::all() const
{
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT %1 FROM volumes ORDER BY host, driver_id, name").arg(kColumns));
    QList<Volume> out;
    while (q.next())
        out << readVolume(q);
    return out;
}

bool VolumeStore::beginOperation(const Volume &volume, const QString &newStatus)
{
    bool ok = false;
    m_catalog.transaction([&] {
        QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT status, COALESCE(status_worker, '') FROM volumes WHERE id = ?"), {volume.id});
        QString seenStatus = volume.status;
        QString seenWorker;
        if (!q.next()) {
            m_catalog.exec(QStringLiteral("INSERT INTO volumes (id, driver_id, name, host, size, status, path, uuid, attached_to, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"),
                           {volume.id, volume.driverId, volume.name, sql::nonNull(volume.host), volume.size, volume.status, sql::text(volume.path),
                            sql::text(volume.uuid), sql::text(volume.attachedTo), sql::now(), sql::now()});
        } else {
            seenStatus = q.value(0).toString();
            seenWorker = q.value(1).toString();
            if (isEngineStatus(seenStatus) && workerIsAlive(seenWorker))
                return; // another live operation holds it
        }
        // Compare and swap: only from the status (and holder) just seen, so that of two engines
        // (or an engine and an agent's export) that both saw it free, exactly one wins.
        QString update = QStringLiteral("UPDATE volumes SET previous_status=?, status=?, status_worker=?, updated_at=? "
                                     "WHERE id=? AND status=? AND COALESCE(status_worker, '')=COALESCE(?, '')");
        if (newStatus == VolumeStatus::RestoringBackup)
            update += QStringLiteral(" AND NOT EXISTS (SELECT 1 FROM snapshots WHERE snapshots.volume_id = volumes.id AND "
                                  "snapshots.deleted_at IS NULL AND snapshots.lease_expires_at IS NOT NULL)");
        ok = m_catalog.exec(update, {volume.status, newStatus, currentWorkerId(), sql::now(), volume.id, seenStatus, seenWorker})
                 .numRowsAffected() == 1;
    });
    return ok;
}

QString VolumeStore::holderOf(const QString &id, bool readersToo) const
{
    QSqlQuery exported = m_catalog.exec(QStringLiteral("SELECT console_fingerprint FROM exports WHERE volume_id = ?"), {id});
    if (exported.next())
        return QStringLiteral("a console's restore (the volume is exported writable to console %1)")
            .arg(exported.value(0).toString().left(23));
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT status, status_worker FROM volumes WHERE id = ?"), {id});
    if (q.next() && isEngineStatus(q.value(0).toString()) && workerIsAlive(q.value(1).toString()))
        return QStringLiteral("a %1 job (status %2, process %3)")
            .arg(q.value(0).toString() == VolumeStatus::BackingUp ? QStringLiteral("backup") : QStringLiteral("restore"),
                 q.value(0).toString(), q.value(1).toString());
    if (readersToo) {
        QSqlQuery copies = m_catalog.exec(QStringLiteral("SELECT name FROM snapshots WHERE volume_id = ? AND deleted_at IS NULL AND "
                                                         "lease_expires_at IS NOT NULL"),
                                          {id});
        if (copies.next())
            return QStringLiteral("a console's backup (temporary copy %1)").arg(copies.value(0).toString());
    }
    return QString();
}

void VolumeStore::restorePreviousStatus(const QString &id)
{
    m_catalog.exec(QStringLiteral("UPDATE volumes SET status = COALESCE(previous_status, status), status_worker = NULL, updated_at = ? WHERE id = ?"),
                   {sql::now(), id});
}

void VolumeStore::setStatus(const QString &id, const QString &status)
{
    m_catalog.exec(QStringLiteral("UPDATE volumes SET status = ?, status_worker = NULL, updated_at = ? WHERE id = ?"), {status, sql::now(), id});
}

bool VolumeStore::resetStatus(const QString &id, const QString &status)
{
    bool ok = false;
    m_catalog.transaction([&] {
        QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT status, status_worker FROM volumes WHERE id = ?"), {id});
        if (q.next() && isEngineStatus(q.value(0).toString()) && workerIsAlive(q.value(1).toString()))
            return;
        m_catalog.exec(QStringLiteral("UPDATE volumes SET status = ?, previous_status = NULL, status_worker = NULL, updated_at = ? WHERE id = ?"),
                       {status, sql::now(), id});
        ok = true;
    });
    return ok;
}

} // namespace ndb
