#include "agentapi.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QSslConfiguration>
#include <QSslSocket>

namespace ndbtest {

QByteArray agentRequestBytes(const QByteArray &method, const QString &path, const QString &host, const QByteArray &body,
                             const QByteArray &contentType)
{
    QByteArray bytes = method + ' ' + path.toUtf8() + " HTTP/1.1\r\nHost: " + host.toUtf8() + "\r\nConnection: close\r\n";
    if (!body.isEmpty() || method == "POST")
        bytes += "Content-Type: " + contentType + "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n";
    return bytes + "\r\n" + body;
}

ApiResponse agentExchange(const QString &host, quint16 port, const ndb::TlsIdentity *console,
                          const QString &agentFingerprint, const QByteArray &bytes, int timeoutMs)
{
    ApiResponse response;
    QSslSocket socket;
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    if (console && !console->certificate.isNull()) {
        tls.setLocalCertificate(console->certificate);
        tls.setPrivateKey(console->key);
    }
    tls.setPeerVerifyMode(QSslSocket::VerifyNone); // pinned below by fingerprint
    socket.setSslConfiguration(tls);
    socket.connectToHostEncrypted(host, port);
    if (!socket.waitForEncrypted(10000)) {
        response.transportError = socket.errorString();
        return response;
    }
    if (ndb::certificateFingerprint(socket.peerCertificate()) != agentFingerprint) {
        response.transportError = QStringLiteral("the agent's certificate is not the pinned one");
        return response;
    }
    return exchangeHttp(socket, bytes, timeoutMs);
}

} // namespace ndbtest
