#pragma once
// API tokens of the Cinder-compatible API (issue #13): `ndbackup-agent token create NAME` prints a
// fresh 256-bit token once; only its SHA-256 is kept, in <state_dir>/api-tokens (0600, one
// "NAME SHA256-HEX CREATED" line each). The file is read at every check, so that a `token revoke`
// takes effect on the running agent's next request.
#include <QDateTime>
#include <QList>
#include <QString>

namespace ndb {

class TokenStore
{
public:
    struct Entry
    {
        QString name;
        QByteArray hash; // lower-case hex of SHA-256(token)
        QDateTime created;
    };

    explicit TokenStore(QString file);

    // Creates token `name` (validated like every name) and returns the token itself, which is not
    // stored. RefusedError when the name exists already.
    QString create(const QString &name);
    // False when there was no token of that name.
    bool revoke(const QString &name);
    QList<Entry> entries() const;
    // The name of the token `token` is, or an empty string when it is no (longer a) valid token.
    QString authenticate(const QByteArray &token) const;

private:
    void write(const QList<Entry> &entries) const;

    QString m_file;
};

} // namespace ndb
