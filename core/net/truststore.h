#pragma once
// The peers one side trusts, pinned by certificate fingerprint (like ssh's known_hosts).
// Layout in its directory: `trusted` (one "SHA256:<hex> <label>" a line) and <hex>.pem, the
// peer's certificate, stored on its first successful handshake (nbdkit needs it as the CA file
// that verifies that peer).
#include <QList>
#include <QSslCertificate>
#include <QString>

namespace ndb {

class TrustStore
{
public:
    struct Entry
    {
        QString fingerprint; // SHA256:<hex>
        QString label;       // free text the administrator gave; may be empty
        bool haveCertificate = false;
    };

    explicit TrustStore(QString directory);

    QList<Entry> entries() const;
    bool isTrusted(const QString &fingerprint) const;
    // Adds (or relabels) a fingerprint; normalises and validates it. Returns false when it was
    // already trusted.
    bool trust(const QString &fingerprint, const QString &label = {});
    // Removes the fingerprint and its stored certificate; false when it was not trusted.
    bool forget(const QString &fingerprint);

    // Stores the certificate of a trusted peer (no-op when stored already or not trusted).
    void rememberCertificate(const QSslCertificate &certificate);
    // <dir>/<hex>.pem, empty when no certificate of that fingerprint is stored.
    QString certificatePath(const QString &fingerprint) const;

private:
    void save(const QList<Entry> &entries) const;
    QString m_directory;
};

} // namespace ndb
