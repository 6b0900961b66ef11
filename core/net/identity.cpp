#include "identity.h"
#include "util/error.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QRegularExpression>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace ndb {

namespace {

template<typename T, void (*F)(T *)>
struct Deleter
{
    void operator()(T *p) const { F(p); }
};
using PKeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

void addExtension(X509 *cert, int nid, const QByteArray &value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.constData());
    if (!ext)
        throw Error(QStringLiteral("cannot create certificate extension %1").arg(QString::fromLatin1(value)));
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

QByteArray bioBytes(BIO *bio)
{
    char *data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return QByteArray(data, int(size));
}

// A P-256 key and a self-signed certificate valid for 20 years. basicConstraints CA:TRUE with
// keyCertSign, because the peer's TLS library (GnuTLS in nbdkit) uses it as its own trust anchor.
std::pair<QByteArray, QByteArray> createPem(const QString &commonName, const QStringList &altNames)
{
    PKeyPtr key(EVP_EC_gen("P-256"));
    if (!key)
        throw Error(QStringLiteral("cannot generate a key pair (OpenSSL EVP_EC_gen failed)"));
    X509Ptr cert(X509_new());
    X509_set_version(cert.get(), 2);
    unsigned char serial[16];
    QByteArray random = QCryptographicHash::hash(QByteArray::number(QDateTime::currentMSecsSinceEpoch())
                                                     + QFile::encodeName(commonName) + QByteArray::number(qint64(::getpid())),
                                                 QCryptographicHash::Sha256);
    memcpy(serial, random.constData(), sizeof serial);
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 20L * 365 * 24 * 3600);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME *name = X509_get_subject_name(cert.get());
    const QByteArray cn = commonName.toUtf8().left(64);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char *>(cn.constData()), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char *>("ndbackup"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    addExtension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
    addExtension(cert.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment,keyCertSign");
    addExtension(cert.get(), NID_ext_key_usage, "serverAuth,clientAuth");
    addExtension(cert.get(), NID_subject_key_identifier, "hash");
    QStringList sans;
    for (const QString &alt : altNames) {
        if (alt.isEmpty())
            continue;
        const QString entry = QHostAddress(alt).isNull() ? QStringLiteral("DNS:") + alt : QStringLiteral("IP:") + alt;
        if (!sans.contains(entry))
            sans << entry;
    }
    if (!sans.isEmpty())
        addExtension(cert.get(), NID_subject_alt_name, sans.join(QLatin1Char(',')).toLatin1());
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
        throw Error(QStringLiteral("cannot sign the certificate (OpenSSL X509_sign failed)"));

    BioPtr keyBio(BIO_new(BIO_s_mem()));
    BioPtr certBio(BIO_new(BIO_s_mem()));
    if (!PEM_write_bio_PrivateKey(keyBio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr)
        || !PEM_write_bio_X509(certBio.get(), cert.get()))
        throw Error(QStringLiteral("cannot encode the new key pair as PEM"));
    return {bioBytes(certBio.get()), bioBytes(keyBio.get())};
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    return file.readAll();
}

} // namespace

void writePemFile(const QString &path, const QByteArray &pem, bool secret)
{
    QFile::remove(path);
    QFile file(path);
    const QFile::Permissions mode = secret ? (QFile::ReadOwner | QFile::WriteOwner)
                                           : (QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther);
    if (!file.open(QIODevice::WriteOnly | QIODevice::NewOnly, mode) || file.write(pem) != pem.size() || !file.flush())
        throw Error(QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
}

QString certificateFingerprint(const QSslCertificate &certificate)
{
    return QStringLiteral("SHA256:") + QString::fromLatin1(certificate.digest(QCryptographicHash::Sha256).toHex());
}

QString normalizeFingerprint(const QString &text)
{
    QString hex = text.trimmed();
    if (hex.startsWith(QLatin1String("SHA256:"), Qt::CaseInsensitive))
        hex = hex.mid(7);
    hex.remove(QLatin1Char(':'));
    hex = hex.toLower();
    static const QRegularExpression sha256(QStringLiteral("^[0-9a-f]{64}$"));
    if (!sha256.match(hex).hasMatch())
        throw InvalidInputError(QStringLiteral("'%1' is not a certificate fingerprint: expected SHA256: followed by 64 hex "
                                               "digits, as `ndbackup-agent show-fingerprint` prints it")
                                    .arg(text.left(100)));
    return QStringLiteral("SHA256:") + hex;
}

QString TlsIdentity::fingerprint() const
{
    return certificateFingerprint(certificate);
}

TlsIdentity TlsIdentity::loadOrCreate(const QString &directory, const QString &commonName, const QStringList &subjectAltNames)
{
    TlsIdentity identity;
    identity.certificatePath = QDir(directory).filePath(QStringLiteral("identity-cert.pem"));
    identity.keyPath = QDir(directory).filePath(QStringLiteral("identity-key.pem"));
    const bool haveCert = QFileInfo::exists(identity.certificatePath);
    const bool haveKey = QFileInfo::exists(identity.keyPath);
    if (haveCert != haveKey)
        throw Error(QStringLiteral("%1 exists but %2 does not: the identity is incomplete; restore the missing file from a "
                                   "backup, or remove both to create a new identity (every peer must then be enrolled again)")
                        .arg(haveCert ? identity.certificatePath : identity.keyPath,
                             haveCert ? identity.keyPath : identity.certificatePath));
    if (!haveCert) {
        if (!QDir().mkpath(directory))
            throw Error(QStringLiteral("cannot create directory %1").arg(directory));
        ::chmod(QFile::encodeName(directory).constData(), 0700);
        const auto [certPem, keyPem] = createPem(commonName, subjectAltNames);
        writePemFile(identity.keyPath, keyPem, true);
        writePemFile(identity.certificatePath, certPem, false);
    }
    identity.certificate = QSslCertificate(readFile(identity.certificatePath), QSsl::Pem);
    identity.key = QSslKey(readFile(identity.keyPath), QSsl::Ec, QSsl::Pem);
    if (identity.certificate.isNull() || identity.key.isNull())
        throw Error(QStringLiteral("%1 or %2 is not a PEM certificate / EC private key").arg(identity.certificatePath, identity.keyPath));
    return identity;
}

} // namespace ndb
