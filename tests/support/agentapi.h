#pragma once
// One request to an ndbackup-agent's API as a console makes it: mutual TLS with the console's
// identity (or none), the agent's certificate pinned by fingerprint (no CA), one HTTP/1.1
// exchange with `Connection: close`. Blocking, with a deadline; for tests only.
#include "net/identity.h"
#include "support/agentclient.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace ndbtest {

using ApiResponse = HttpAnswer; // status 0: refused at the handshake, cut, or not the pinned agent

// Sends `bytes` (a whole request) to host:port. `console` may be null: no client certificate.
// `timeoutMs` bounds the wait for the answer (an agent under emulation answers slowly).
ApiResponse agentExchange(const QString &host, quint16 port, const ndb::TlsIdentity *console,
                          const QString &agentFingerprint, const QByteArray &bytes, int timeoutMs = 20000);
// METHOD path with a JSON body (POST always carries Content-Type and Content-Length).
QByteArray agentRequestBytes(const QByteArray &method, const QString &path, const QString &host,
                             const QByteArray &body = {}, const QByteArray &contentType = "application/json");

} // namespace ndbtest
