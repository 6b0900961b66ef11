#include "apijson.h"

#include <QJsonDocument>
#include <QJsonParseError>
#include <QJsonValue>

#include <cmath>

namespace ndb {

QJsonObject parseJsonObjectBody(QByteArrayView body, const QStringList &allowedFields)
{
    if (body.trimmed().isEmpty())
        return {};
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(body.toByteArray(), &error);
    if (error.error != QJsonParseError::NoError)
        throw InvalidInputError(QStringLiteral("the request body is not valid JSON: %1 at byte %2")
                                    .arg(error.errorString()).arg(error.offset));
    if (!document.isObject())
        throw InvalidInputError(QStringLiteral("the request body must be a JSON object"));
    const QJsonObject object = document.object();
    for (auto it = object.begin(); it != object.end(); ++it)
        if (!allowedFields.contains(it.key()))
            throw InvalidInputError(QStringLiteral("unknown field '%1' in the request body (allowed: %2)")
                                        .arg(it.key().left(100),
                                             allowedFields.isEmpty() ? QStringLiteral("none") : allowedFields.join(QStringLiteral(", "))));
    return object;
}

QString jsonString(const QJsonObject &object, const QString &field, bool required)
{
    const QJsonValue value = object.value(field);
    if (value.isUndefined()) {
        if (required)
            throw InvalidInputError(QStringLiteral("the request body lacks the field '%1'").arg(field));
        return {};
    }
    if (!value.isString())
        throw InvalidInputError(QStringLiteral("the field '%1' must be a string").arg(field));
    return value.toString();
}

qint64 jsonInteger(const QJsonObject &object, const QString &field, qint64 minimum, qint64 maximum, bool required)
{
    const QJsonValue value = object.value(field);
    if (value.isUndefined()) {
        if (required)
            throw InvalidInputError(QStringLiteral("the request body lacks the field '%1'").arg(field));
        return minimum;
    }
    const double number = value.toDouble(std::nan(""));
    if (!value.isDouble() || std::floor(number) != number)
        throw InvalidInputError(QStringLiteral("the field '%1' must be an integer").arg(field));
    if (number < double(minimum) || number > double(maximum))
        throw InvalidInputError(QStringLiteral("the field '%1' must be between %2 and %3").arg(field).arg(minimum).arg(maximum));
    return qint64(number);
}

QByteArray apiErrorBody(const QString &kind, const QString &message)
{
    return QJsonDocument(QJsonObject{{QStringLiteral("error"),
                                      QJsonObject{{QStringLiteral("kind"), kind}, {QStringLiteral("message"), message}}}})
        .toJson(QJsonDocument::Compact);
}

int httpStatusFor(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::InvalidInput:
        return 400;
    case ErrorKind::NotFound:
        return 404;
    case ErrorKind::Refused:
        return 409;
    default:
        return 500;
    }
}

} // namespace ndb
