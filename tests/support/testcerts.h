#pragma once
// Self-signed X.509 identities for TLS tests, made with the `openssl` command in a temp dir,
// laid out the way nbdkit (--tls-certificates) and libnbd (nbd_set_tls_certificates) read them.
// Each certificate is its own CA (CA:TRUE, keyCertSign, digitalSignature) with a SAN IP, so GnuTLS
// accepts the pinned self-signed certificate as the only trust anchor. Branch `agent` builds the
// product's identities in core/net; these stand in for them until both meet.
#include <QString>

namespace ndbtest {

struct TestIdentity
{
    QString certFile;
    QString keyFile;
};

// Writes `<dir>/<name>-cert.pem` and `<dir>/<name>-key.pem` (EC P-256, valid two days). Throws
// ndb::Error when openssl fails.
TestIdentity makeSelfSignedIdentity(const QString &dir, const QString &name, const QString &ip = QStringLiteral("127.0.0.1"));

// A server directory for nbdkit: server-cert.pem/server-key.pem = `server`, ca-cert.pem = the
// client certificate it accepts. Returns the directory.
QString makeServerTlsDir(const QString &dir, const TestIdentity &server, const TestIdentity &trustedClient);
// A client directory for libnbd: client-cert.pem/client-key.pem = `client`, ca-cert.pem = the
// pinned server certificate. Returns the directory.
QString makeClientTlsDir(const QString &dir, const TestIdentity &client, const TestIdentity &pinnedServer);

} // namespace ndbtest
