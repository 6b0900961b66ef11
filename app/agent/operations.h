#pragma once
// The agent's long operations (API.md: a POST answers 202 at once, the console polls
// GET /v1/operations/{id}). They live in the agent's catalog, so a poll after a restart still
// answers; one that was running when the agent died reads `failed`.
#include "util/error.h"

#include <QJsonObject>
#include <QString>

namespace ndb {

class Catalog;

class OperationStore
{
public:
    explicit OperationStore(Catalog &catalog) : m_catalog(catalog) {}

    // A new operation of `kind` (e.g. "snapshot"), running; returns its id.
    QString start(const QString &kind);
    void succeed(const QString &id, const QJsonObject &result);
    void fail(const QString &id, ErrorKind kind, const QString &message);
    // {id, status, result?, error?}; NotFoundError when there is none.
    QJsonObject get(const QString &id) const;
    // At start: what the previous run left running failed with it. Returns how many.
    int failInterrupted();

private:
    Catalog &m_catalog;
};

// {"operation": {"id", "status"}}: the 202 answer that starts one.
QJsonObject operationReference(const QString &id, const QString &status);

} // namespace ndb
