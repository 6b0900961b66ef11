#include "testcerts.h"

#include "util/error.h"

#include <QDir>
#include <QFile>
#include <QProcess>

namespace ndbtest {

namespace {

void copyFile(const QString &from, const QString &to)
{
    QFile::remove(to);
    if (!QFile::copy(from, to))
        throw ndb::Error(QStringLiteral("cannot copy %1 to %2").arg(from, to));
    QFile::setPermissions(to, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
}

// <role>-cert.pem and <role>-key.pem = `own`, ca-cert.pem = the one certificate trusted.
QString makeTlsDir(const QString &dir, const QString &role, const TestIdentity &own, const TestIdentity &trusted)
{
    if (!QDir().mkpath(dir))
        throw ndb::Error(QStringLiteral("cannot create %1").arg(dir));
    copyFile(own.certFile, dir + QLatin1Char('/') + role + QStringLiteral("-cert.pem"));
    copyFile(own.keyFile, dir + QLatin1Char('/') + role + QStringLiteral("-key.pem"));
    copyFile(trusted.certFile, dir + QStringLiteral("/ca-cert.pem"));
    return dir;
}

} // namespace

TestIdentity makeSelfSignedIdentity(const QString &dir, const QString &name, const QString &ip)
{
    TestIdentity identity{dir + QLatin1Char('/') + name + QStringLiteral("-cert.pem"),
                          dir + QLatin1Char('/') + name + QStringLiteral("-key.pem")};
    QProcess openssl;
    openssl.setProcessChannelMode(QProcess::MergedChannels);
    openssl.start(QStringLiteral("openssl"),
                  {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("ec"),
                   QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:P-256"), QStringLiteral("-nodes"),
                   QStringLiteral("-keyout"), identity.keyFile, QStringLiteral("-out"), identity.certFile,
                   QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-subj"), QStringLiteral("/CN=") + name,
                   QStringLiteral("-addext"), QStringLiteral("basicConstraints=critical,CA:TRUE"),
                   QStringLiteral("-addext"), QStringLiteral("keyUsage=critical,digitalSignature,keyCertSign"),
                   QStringLiteral("-addext"), QStringLiteral("subjectAltName=IP:") + ip});
    if (!openssl.waitForFinished(30000) || openssl.exitStatus() != QProcess::NormalExit || openssl.exitCode() != 0)
        throw ndb::Error(QStringLiteral("openssl req for %1 failed: %2 %3")
                             .arg(name, openssl.errorString(), QString::fromLocal8Bit(openssl.readAll())));
    return identity;
}

QString makeServerTlsDir(const QString &dir, const TestIdentity &server, const TestIdentity &trustedClient)
{
    return makeTlsDir(dir, QStringLiteral("server"), server, trustedClient);
}

QString makeClientTlsDir(const QString &dir, const TestIdentity &client, const TestIdentity &pinnedServer)
{
    return makeTlsDir(dir, QStringLiteral("client"), client, pinnedServer);
}

} // namespace ndbtest
