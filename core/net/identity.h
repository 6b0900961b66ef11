#pragma once
// The TLS identity of an agent or a console: a key pair and a self-signed X.509 certificate,
// created with OpenSSL's libcrypto on first use, and the SHA-256 fingerprint by which peers pin
// it (enrolment works like ssh host keys: the administrator compares fingerprints once).
#include <QByteArray>
#include <QSslCertificate>
#include <QSslKey>
#include <QString>
#include <QStringList>

namespace ndb {

struct TlsIdentity
{
    QString certificatePath; // PEM, 0644
    QString keyPath;         // PEM, 0600
    QSslCertificate certificate;
    QSslKey key;

    QString fingerprint() const;

    // Loads <dir>/identity-cert.pem + identity-key.pem, creating both (dir 0700, key 0600) when
    // neither exists. The certificate names `commonName` and carries `subjectAltNames` (host
    // names and IP addresses) so that TLS clients that check the host name (libnbd) accept it.
    // Throws ndb::Error when only one of them exists, or they are unreadable.
    static TlsIdentity loadOrCreate(const QString &directory, const QString &commonName,
                                    const QStringList &subjectAltNames = {});
};

// Writes a PEM file (replacing one that exists), created with its final permissions (0600 when
// `secret`, else 0644) before any byte is in it. Throws ndb::Error.
void writePemFile(const QString &path, const QByteArray &pem, bool secret);

// "SHA256:<64 lower-case hex digits>" of the certificate's DER encoding.
QString certificateFingerprint(const QSslCertificate &certificate);
// Normalises a fingerprint an administrator typed ("SHA256:AB:cd..." or bare hex) to the form
// above; throws InvalidInputError saying what is expected otherwise.
QString normalizeFingerprint(const QString &text);

} // namespace ndb
