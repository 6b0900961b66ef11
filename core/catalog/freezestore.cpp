#include "freezestore.h"
#include "catalog.h"
#include "sqlvalue.h"

#include <QSqlQuery>

namespace ndb {

qint64 FreezeStore::add(const FreezeRecord &r)
{
    QSqlQuery q = m_catalog.exec(QStringLiteral("INSERT INTO freezes (kind, target, device, worker, guard_pid, started_at) VALUES (?,?,?,?,?,?)"),
                                 {r.kind, r.target, sql::text(r.device), currentWorkerId(), r.guardPid, sql::now()});
    return q.lastInsertId().toLongLong();
}

void FreezeStore::setGuard(qint64 id, qint64 guardPid)
{
    m_catalog.exec(QStringLiteral("UPDATE freezes SET guard_pid = ? WHERE id = ?"), {guardPid, id});
}

void FreezeStore::remove(qint64 id)
{
    m_catalog.exec(QStringLiteral("DELETE FROM freezes WHERE id = ?"), {id});
}

QList<FreezeRecord> FreezeStore::all() const
{
    QList<FreezeRecord> out;
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT id, kind, target, device, worker, guard_pid, started_at FROM freezes ORDER BY id"));
    while (q.next()) {
        FreezeRecord r;
        r.id = q.value(0).toLongLong();
        r.kind = q.value(1).toString();
        r.target = q.value(2).toString();
        r.device = q.value(3).toString();
        r.worker = q.value(4).toString();
        r.guardPid = q.value(5).toLongLong();
        r.startedAt = sql::toTime(q.value(6));
        out << r;
    }
    return out;
}

} // namespace ndb
