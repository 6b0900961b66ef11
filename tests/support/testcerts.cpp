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
    if (!QDir().mkpath(dir))
        throw ndb::Error(QStringLiteral("cannot create %1").arg(dir));
    copyFile(server.certFile, dir + QStringLiteral("/server-cert.pem"));
    copyFile(server.keyFile, dir + QStringLiteral("/server-key.pem"));
    copyFile(trustedClient.certFile, dir + QStringLiteral("/ca-cert.pem"));
    return dir;
}

QString makeClientTlsDir(const QString &dir, const TestIdentity &client, const TestIdentity &pinnedServer)
{
    if (!QDir().mkpath(dir))
        throw ndb::Error(QStringLiteral("cannot create %1").arg(dir));
    copyFile(client.certFile, dir + QStringLiteral("/client-cert.pem"));
    copyFile(client.keyFile, dir + QStringLiteral("/client-key.pem"));
    copyFile(pinnedServer.certFile, dir + QStringLiteral("/ca-cert.pem"));
    return dir;
}

} // namespace ndbtest
