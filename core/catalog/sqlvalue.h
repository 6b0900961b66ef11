#pragma once
// Conversions between model values and SQL columns, shared by the stores.
#include <QDateTime>
#include <QString>
#include <QVariant>

namespace ndb::sql {

inline QVariant text(const QString &s) { return s.isNull() ? QVariant(QMetaType(QMetaType::QString)) : QVariant(s); }
// Qt binds a null QString as SQL NULL; NOT NULL text columns get "" instead.
inline QVariant nonNull(const QString &s) { return s.isNull() ? QVariant(QStringLiteral("")) : QVariant(s); }
inline QVariant time(const QDateTime &t) { return t.isValid() ? QVariant(t.toUTC().toString(Qt::ISODateWithMs)) : QVariant(QMetaType(QMetaType::QString)); }
inline QString now() { return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs); }
inline QDateTime toTime(const QVariant &v)
{
    if (v.isNull())
        return {};
    QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
    t.setTimeSpec(Qt::UTC);
    return t;
}

} // namespace ndb::sql
