#include "tokenstore.h"

#include "util/error.h"
#include "util/names.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSaveFile>

namespace ndb {

namespace {
QByteArray tokenHash(const QByteArray &token)
{
    return QCryptographicHash::hash(token, QCryptographicHash::Sha256).toHex();
}

// Compares every byte whatever the first difference: how long a check takes tells nothing.
bool sameHash(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}
} // namespace

TokenStore::TokenStore(QString file) : m_file(std::move(file)) {}

QList<TokenStore::Entry> TokenStore::entries() const
{
    QList<Entry> result;
    QFile f(m_file);
    if (!f.exists())
        return result;
    if (!f.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("cannot read the API tokens %1: %2").arg(m_file, f.errorString()));
    for (const QByteArray &line : f.readAll().split('\n')) {
        const QList<QByteArray> fields = line.trimmed().split(' ');
        if (fields.size() != 3 || fields[1].size() != 64)
            continue; // blank or damaged: never a match
        result.append({QString::fromUtf8(fields[0]), fields[1], QDateTime::fromString(QString::fromLatin1(fields[2]), Qt::ISODate)});
    }
    return result;
}

void TokenStore::write(const QList<Entry> &entries) const
{
    QDir().mkpath(QFileInfo(m_file).absolutePath());
    QSaveFile f(m_file);
    // Hashes only, but still nobody else's business: 0600 before any byte is written.
    if (!f.open(QIODevice::WriteOnly) || !f.setPermissions(QFile::ReadOwner | QFile::WriteOwner))
        throw Error(QStringLiteral("cannot write the API tokens %1: %2").arg(m_file, f.errorString()));
    for (const Entry &e : entries)
        f.write(e.name.toUtf8() + ' ' + e.hash + ' ' + e.created.toUTC().toString(Qt::ISODate).toLatin1() + '\n');
    if (!f.commit())
        throw Error(QStringLiteral("cannot write the API tokens %1: %2").arg(m_file, f.errorString()));
}

QString TokenStore::create(const QString &name)
{
    validateName(name, QStringLiteral("token"));
    QList<Entry> all = entries();
    for (const Entry &e : all)
        if (e.name == name)
            throw RefusedError(QStringLiteral("a token named '%1' exists already; revoke it first (token revoke %1) or "
                                              "choose another name").arg(name));
    quint32 words[8];
    QRandomGenerator::system()->fillRange(words);
    const QByteArray token = QByteArray(reinterpret_cast<const char *>(words), sizeof words).toHex();
    all.append({name, tokenHash(token), QDateTime::currentDateTimeUtc()});
    write(all);
    return QString::fromLatin1(token);
}

bool TokenStore::revoke(const QString &name)
{
    QList<Entry> all = entries();
    const qsizetype before = all.size();
    all.removeIf([&](const Entry &e) { return e.name == name; });
    if (all.size() == before)
        return false;
    write(all);
    return true;
}

QString TokenStore::authenticate(const QByteArray &token) const
{
    if (token.isEmpty() || token.size() > 512)
        return {};
    const QByteArray hash = tokenHash(token);
    QString name;
    for (const Entry &e : entries())
        if (sameHash(e.hash, hash))
            name = e.name;
    return name;
}

} // namespace ndb
