#include "apiserver.h"
#include "apirouter.h"
#include "net/apijson.h"
#include "net/truststore.h"
#include "util/error.h"

#include <QDebug>
#include <algorithm>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTimer>

namespace ndb {

ApiServer::ApiServer(const TlsIdentity &identity, TrustStore &trust, Handler handler, QObject *parent)
    : QObject(parent), m_trust(trust), m_handler(std::move(handler))
{
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    tls.setLocalCertificate(identity.certificate);
    tls.setPrivateKey(identity.key);
    tls.setPeerVerifyMode(QSslSocket::VerifyPeer);
    // No certificate authority vouches for a console: only pinned fingerprints do. Without this,
    // a console certificate from any public CA would pass the chain check unasked.
    tls.setCaCertificates({});
    // Verification errors (every console certificate is self-signed) stop the handshake until we
    // decide: a pinned certificate continues it, anything else ends it with a TLS alert.
    tls.setHandshakeMustInterruptOnError(true);
    m_server.setSslConfiguration(tls);
    m_server.setHandshakeTimeout(10000);

    connect(&m_server, &QSslServer::handshakeInterruptedOnError, this, [this](QSslSocket *socket, const QSslError &error) {
        if (trusted(error.certificate()) || onlyMissingCertificate({error}))
            socket->continueInterruptedHandshake();
        else
            qInfo().noquote() << QStringLiteral("refused a TLS client from %1: %2 (certificate %3 is not a trusted console)")
                                     .arg(socket->peerAddress().toString(), error.errorString(),
                                          error.certificate().isNull() ? QStringLiteral("none")
                                                                       : certificateFingerprint(error.certificate()));
    });
    connect(&m_server, &QSslServer::sslErrors, this, [this](QSslSocket *socket, const QList<QSslError> &errors) {
        if (trusted(socket->peerCertificate()) || (socket->peerCertificate().isNull() && onlyMissingCertificate(errors)))
            socket->ignoreSslErrors(errors);
    });
    connect(&m_server, &QSslServer::pendingConnectionAvailable, this, &ApiServer::accept);
}

bool ApiServer::trusted(const QSslCertificate &certificate) const
{
    return !certificate.isNull() && m_trust.isTrusted(certificateFingerprint(certificate));
}

bool ApiServer::onlyMissingCertificate(const QList<QSslError> &errors)
{
    return !errors.isEmpty() && std::all_of(errors.begin(), errors.end(), [](const QSslError &e) {
        return e.error() == QSslError::NoPeerCertificate && e.certificate().isNull();
    });
}

void ApiServer::listen(const QHostAddress &address, quint16 port)
{
    if (!m_server.listen(address, port))
        throw Error(QStringLiteral("cannot listen on %1:%2: %3").arg(address.toString()).arg(port).arg(m_server.errorString()),
                    ErrorKind::Network);
}

void ApiServer::accept()
{
    while (QTcpSocket *next = m_server.nextPendingConnection()) {
        auto *socket = qobject_cast<QSslSocket *>(next);
        // Checked once more after the handshake, whatever path it took: a certificate presented
        // must be a trusted console's; none at all is a token client.
        const bool withCertificate = socket && !socket->peerCertificate().isNull();
        if (!socket || !socket->isEncrypted() || (withCertificate && !trusted(socket->peerCertificate()))) {
            next->abort();
            next->deleteLater();
            continue;
        }
        try {
            // nbdkit needs the certificate itself as the CA that verifies this console.
            if (withCertificate)
                m_trust.rememberCertificate(socket->peerCertificate());
        } catch (const Error &e) {
            qWarning().noquote() << e.message();
        }
        m_buffers.insert(socket, {});
        // An idle connection is closed after a minute; each request restarts the clock.
        auto *idle = new QTimer(socket);
        idle->setSingleShot(true);
        idle->setInterval(60000);
        connect(idle, &QTimer::timeout, socket, [socket] { socket->disconnectFromHost(); });
        idle->start();
        connect(socket, &QSslSocket::readyRead, this, [this, socket, idle] {
            idle->start();
            readRequests(socket);
        });
        connect(socket, &QSslSocket::disconnected, this, [this, socket] {
            m_buffers.remove(socket);
            socket->deleteLater();
        });
        readRequests(socket);
    }
}

void ApiServer::readRequests(QSslSocket *socket)
{
    auto it = m_buffers.find(socket);
    if (it == m_buffers.end())
        return;
    it->append(socket->readAll());
    while (true) {
        const HttpParseResult parsed = parseHttpRequest(*it);
        if (parsed.state == HttpParseResult::State::NeedMore)
            return;
        if (parsed.state == HttpParseResult::State::Error) {
            // Framing is lost: answer and close.
            socket->write(httpResponse(parsed.status, apiErrorBody(errorKindName(ErrorKind::InvalidInput),
                                                                   QString::fromUtf8(parsed.message)),
                                       "application/json", true));
            socket->disconnectFromHost();
            m_buffers.remove(socket);
            return;
        }
        it->remove(0, parsed.consumed);
        const ApiReply reply = m_handler(parsed.request, socket->peerCertificate());
        const bool close = parsed.request.header("connection").toLower() == "close";
        socket->write(httpResponse(reply.status, reply.body, "application/json", close, reply.headers));
        if (close) {
            socket->disconnectFromHost();
            m_buffers.remove(socket);
            return;
        }
        it = m_buffers.find(socket);
        if (it == m_buffers.end())
            return;
    }
}

} // namespace ndb
