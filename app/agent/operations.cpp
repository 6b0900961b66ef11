#include "operations.h"
#include "catalog/catalog.h"
#include "util/names.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QSqlQuery>
#include <QUuid>

namespace ndb {

namespace {
QString now()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}
} // namespace

QString OperationStore::start(const QString &kind)
{
    const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    m_catalog.exec(QStringLiteral("INSERT INTO operations (id, kind, status, worker, created_at, updated_at) "
                                  "VALUES (?, ?, 'running', ?, ?, ?)"),
                   {id, kind, currentWorkerId(), now(), now()});
    return id;
}

void OperationStore::succeed(const QString &id, const QJsonObject &result)
{
    m_catalog.exec(QStringLiteral("UPDATE operations SET status = 'succeeded', result = ?, updated_at = ? WHERE id = ?"),
                   {QString::fromUtf8(QJsonDocument(result).toJson(QJsonDocument::Compact)), now(), id});
}

void OperationStore::fail(const QString &id, ErrorKind kind, const QString &message)
{
    m_catalog.exec(QStringLiteral("UPDATE operations SET status = 'failed', error_kind = ?, error_message = ?, updated_at = ? "
                                  "WHERE id = ?"),
                   {errorKindName(kind), message, now(), id});
}

QJsonObject OperationStore::get(const QString &id) const
{
    validateName(id, QStringLiteral("operation id"));
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT status, result, error_kind, error_message FROM operations WHERE id = ?"),
                                 {id});
    if (!q.next())
        throw NotFoundError(QStringLiteral("no operation with id '%1' on this node").arg(id));
    QJsonObject operation{{QStringLiteral("id"), id}, {QStringLiteral("status"), q.value(0).toString()}};
    if (!q.value(1).isNull())
        operation[QStringLiteral("result")] = QJsonDocument::fromJson(q.value(1).toString().toUtf8()).object();
    if (!q.value(2).isNull())
        operation[QStringLiteral("error")] = QJsonObject{{QStringLiteral("kind"), q.value(2).toString()},
                                                         {QStringLiteral("message"), q.value(3).toString()}};
    return operation;
}

int OperationStore::failInterrupted()
{
    return m_catalog
        .exec(QStringLiteral("UPDATE operations SET status = 'failed', error_kind = ?, error_message = ?, updated_at = ? "
                             "WHERE status = 'running'"),
              {errorKindName(ErrorKind::Failed),
               QStringLiteral("the agent restarted during the operation; temporaries it had begun were reaped at the "
                              "restart: check the volumes (GET /v1/volumes) and start it again"),
               now()})
        .numRowsAffected();
}

QJsonObject operationReference(const QString &id, const QString &status)
{
    return QJsonObject{{QStringLiteral("operation"), QJsonObject{{QStringLiteral("id"), id}, {QStringLiteral("status"), status}}}};
}

} // namespace ndb
