#pragma once
// Our thin adapter over Qt's TLS server (QSslServer; Qt 6.4's QHttpServer is a technical
// preview): TLS 1.2+; a client certificate, when one is presented, is accepted only when its
// fingerprint is pinned in the trust store and refused at the handshake otherwise; a client
// without one (the Cinder-compatible API's, which sends a token) gets through with a null
// certificate, and the router lets it nowhere near /v1. HTTP/1.1 framing through the pure
// parser in core/net; each complete request goes to the handler with the console's cert.
#include "net/httpmessage.h"
#include "net/identity.h"

#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QSslServer>

#include <functional>

namespace ndb {

class TrustStore;
struct ApiReply;

class ApiServer : public QObject
{
    Q_OBJECT
public:
    using Handler = std::function<ApiReply(const HttpRequest &, const QSslCertificate &)>;
    ApiServer(const TlsIdentity &identity, TrustStore &trust, Handler handler, QObject *parent = nullptr);

    // Throws ndb::Error saying why it cannot listen.
    void listen(const QHostAddress &address, quint16 port);
    quint16 port() const { return m_server.serverPort(); }

private:
    bool trusted(const QSslCertificate &certificate) const;
    // No certificate at all is no error of its own: such a client is one of the token API's.
    static bool onlyMissingCertificate(const QList<QSslError> &errors);
    void accept();
    void readRequests(QSslSocket *socket);

    TrustStore &m_trust;
    Handler m_handler;
    QSslServer m_server;
    QHash<QSslSocket *, QByteArray> m_buffers;
};

} // namespace ndb
