#include "truststore.h"
#include "identity.h"
#include "util/error.h"
#include "util/names.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <sys/stat.h>

namespace ndb {

namespace {
QString hexOf(const QString &fingerprint)
{
    return fingerprint.mid(7); // after "SHA256:"
}
} // namespace

TrustStore::TrustStore(QString directory) : m_directory(std::move(directory)) {}

QList<TrustStore::Entry> TrustStore::entries() const
{
    QList<Entry> result;
    QFile file(QDir(m_directory).filePath(QStringLiteral("trusted")));
    if (!file.open(QIODevice::ReadOnly))
        return result;
    while (!file.atEnd()) {
        const QString line = QString::fromUtf8(file.readLine()).trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')))
            continue;
        const qsizetype space = line.indexOf(QLatin1Char(' '));
        Entry entry;
        try {
            entry.fingerprint = normalizeFingerprint(space < 0 ? line : line.left(space));
        } catch (const Error &) {
            continue; // a line someone broke by hand trusts nobody
        }
        entry.label = space < 0 ? QString() : line.mid(space + 1).trimmed();
        entry.haveCertificate = !certificatePath(entry.fingerprint).isEmpty();
        result << entry;
    }
    return result;
}

bool TrustStore::isTrusted(const QString &fingerprint) const
{
    for (const Entry &entry : entries())
        if (entry.fingerprint == fingerprint)
            return true;
    return false;
}

bool TrustStore::trust(const QString &fingerprint, const QString &label)
{
    const QString normalized = normalizeFingerprint(fingerprint);
    validateText(label, QStringLiteral("label"), 200);
    QList<Entry> list = entries();
    for (Entry &entry : list)
        if (entry.fingerprint == normalized) {
            if (!label.isEmpty() && entry.label != label) {
                entry.label = label;
                save(list);
            }
            return false;
        }
    list << Entry{normalized, label.simplified(), false};
    save(list);
    return true;
}

bool TrustStore::forget(const QString &fingerprint)
{
    const QString normalized = normalizeFingerprint(fingerprint);
    QList<Entry> list = entries();
    const auto removed = list.removeIf([&](const Entry &e) { return e.fingerprint == normalized; });
    if (removed == 0)
        return false;
    save(list);
    QFile::remove(QDir(m_directory).filePath(hexOf(normalized) + QStringLiteral(".pem")));
    return true;
}

void TrustStore::rememberCertificate(const QSslCertificate &certificate)
{
    const QString fingerprint = certificateFingerprint(certificate);
    if (!isTrusted(fingerprint) || !certificatePath(fingerprint).isEmpty())
        return;
    QSaveFile file(QDir(m_directory).filePath(hexOf(fingerprint) + QStringLiteral(".pem")));
    if (!file.open(QIODevice::WriteOnly) || file.write(certificate.toPem()) < 0 || !file.commit())
        throw Error(QStringLiteral("cannot store the certificate of console %1 in %2: %3")
                        .arg(fingerprint, m_directory, file.errorString()));
}

QString TrustStore::certificatePath(const QString &fingerprint) const
{
    const QString path = QDir(m_directory).filePath(hexOf(fingerprint) + QStringLiteral(".pem"));
    return QFileInfo::exists(path) ? path : QString();
}

void TrustStore::save(const QList<Entry> &list) const
{
    if (!QDir().mkpath(m_directory))
        throw Error(QStringLiteral("cannot create directory %1").arg(m_directory));
    ::chmod(QFile::encodeName(m_directory).constData(), 0700);
    QSaveFile file(QDir(m_directory).filePath(QStringLiteral("trusted")));
    QByteArray text = "# fingerprint label — managed by ndbackup-agent trust-console / forget-console\n";
    for (const Entry &entry : list)
        text += (entry.fingerprint + QLatin1Char(' ') + entry.label).trimmed().toUtf8() + '\n';
    if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size() || !file.commit())
        throw Error(QStringLiteral("cannot write %1: %2").arg(file.fileName(), file.errorString()));
}

} // namespace ndb
