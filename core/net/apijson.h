#pragma once
// Strict JSON for the agent API: request bodies are objects whose fields are named and typed,
// an unknown field is an error (a typo must not be silently ignored), and every error has one
// shape: {"error":{"kind":"<errorKindName>","message":"..."}}. Pure functions over bytes.
#include "util/error.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonObject>
#include <QStringList>

namespace ndb {

// Parses `body` as one JSON object with only `allowedFields`; throws InvalidInputError saying what
// is wrong (not JSON and where, not an object, which field is unknown). An empty body is {}.
QJsonObject parseJsonObjectBody(QByteArrayView body, const QStringList &allowedFields);
// Field accessors that check the type; a missing required field or a wrong type is InvalidInputError.
QString jsonString(const QJsonObject &object, const QString &field, bool required = true);
qint64 jsonInteger(const QJsonObject &object, const QString &field, qint64 minimum, qint64 maximum, bool required = true);

// {"error":{"kind":...,"message":...}} and the HTTP status for a kind
// (invalid 400, not-found 404, refused 409, anything else 500).
QByteArray apiErrorBody(const QString &kind, const QString &message);
int httpStatusFor(ErrorKind kind);

} // namespace ndb
