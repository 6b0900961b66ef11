#include "names.h"
#include "error.h"

#include <QRegularExpression>

namespace ndb {

void validateName(const QString &name, const QString &what)
{
    if (name.isEmpty())
        throw InvalidInputError(QStringLiteral("%1 name must not be empty").arg(what));
    if (name.size() > 128)
        throw InvalidInputError(QStringLiteral("%1 name is %2 characters long; at most 128 are allowed")
                        .arg(what).arg(name.size()));
    static const QRegularExpression allowed(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._+-]*$"));
    if (!allowed.match(name).hasMatch() || name.contains(QLatin1String("..")))
        throw InvalidInputError(QStringLiteral("invalid %1 name '%2': use letters, digits, '.', '_', '+', '-', "
                                   "starting with a letter or digit, without '..'")
                        .arg(what, name));
}

void validateUserName(const QString &name, const QString &what)
{
    validateName(name, what);
    if (name.startsWith(QLatin1String(kTempPrefix)))
        throw InvalidInputError(QStringLiteral("invalid %1 name '%2': the prefix '%3' is reserved for temporary objects")
                        .arg(what, name, QLatin1String(kTempPrefix)));
}

void validateText(const QString &text, const QString &what, int maxLength)
{
    if (text.size() > maxLength)
        throw InvalidInputError(QStringLiteral("%1 is %2 characters long; at most %3 are allowed")
                        .arg(what).arg(text.size()).arg(maxLength));
    for (QChar c : text)
        if (c.category() == QChar::Other_Control)
            throw InvalidInputError(QStringLiteral("%1 must not contain control characters").arg(what));
}

} // namespace ndb
