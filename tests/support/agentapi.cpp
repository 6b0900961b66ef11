#include "agentapi.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QSslConfiguration>
#include <QSslSocket>

namespace ndbtest {

QJsonObject ApiResponse::json() const
{
    return QJsonDocument::fromJson(body).object();
}

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
    socket.write(bytes);
    QByteArray in;
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        const qsizetype end = in.indexOf("\r\n\r\n");
        if (end >= 0) {
            qsizetype length = 0;
            for (const QByteArray &line : in.left(end).split('\n'))
                if (line.toLower().startsWith("content-length:"))
                    length = line.mid(15).trimmed().toLongLong();
            if (in.size() >= end + 4 + length) {
                response.status = in.mid(9, 3).toInt();
                response.body = in.mid(end + 4, length);
                return response;
            }
        }
        if (socket.state() != QAbstractSocket::ConnectedState && socket.bytesAvailable() == 0)
            break;
        if (socket.waitForReadyRead(500))
            in += socket.readAll();
    }
    response.transportError = socket.errorString().isEmpty() ? QStringLiteral("no response") : socket.errorString();
    return response;
}

} // namespace ndbtest
