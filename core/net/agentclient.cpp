#include "agentclient.h"

#include "util/error.h"

#include <QCoroNetworkReply>
#include <QCoroTimer>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QHostAddress>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QSslConfiguration>
#include <QSslError>

#include <chrono>

namespace ndb {

AgentAddress AgentAddress::parse(const QString &text)
{
    const QString t = text.trimmed();
    AgentAddress a;
    const int colon = t.lastIndexOf(QLatin1Char(':'));
    a.host = colon >= 0 ? t.left(colon) : t;
    if (colon >= 0) {
        bool ok = false;
        const uint port = t.mid(colon + 1).toUInt(&ok);
        if (!ok || port == 0 || port > 65535)
            throw InvalidInputError(QStringLiteral("'%1' is not an agent address: the port must be a number from 1 to 65535 "
                                                   "(HOST or HOST:PORT, default port %2)").arg(text).arg(kDefaultAgentPort));
        a.port = quint16(port);
    }
    static const QString allowed = QStringLiteral("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
    bool ok = !a.host.isEmpty() && a.host.size() <= 253 && !a.host.startsWith(QLatin1Char('-'));
    for (const QChar c : a.host)
        ok = ok && allowed.contains(c);
    if (!ok)
        throw InvalidInputError(QStringLiteral("'%1' is not an agent address: give HOST or HOST:PORT (a host name or IPv4 "
                                               "address, default port %2)").arg(text).arg(kDefaultAgentPort));
    return a;
}

QString AgentAddress::text() const
{
    return QStringLiteral("%1:%2").arg(host).arg(port);
}

ErrorKind errorKindFromName(const QString &name)
{
    for (ErrorKind k : {ErrorKind::Failed, ErrorKind::Refused, ErrorKind::NotFound, ErrorKind::InvalidInput,
                        ErrorKind::CorruptData, ErrorKind::Cancelled, ErrorKind::Storage, ErrorKind::Network})
        if (errorKindName(k) == name)
            return k;
    return ErrorKind::Failed;
}

struct AgentClient::Private
{
    TlsIdentity console;
    QString pinned;
    int timeoutMs = 15000;
    int operationSeconds = kDefaultAgentOperationSeconds;
    const std::atomic<bool> *cancel = nullptr;
    QNetworkAccessManager nam;
    QSslCertificate lastPeer;   // as the last handshake presented it
    bool mismatch = false;      // the last handshake presented another certificate
};

AgentClient::AgentClient(AgentAddress address, TlsIdentity console, QString pinnedFingerprint, int timeoutMs)
    : m_address(std::move(address)), d(std::make_unique<Private>())
{
    d->console = std::move(console);
    d->pinned = std::move(pinnedFingerprint);
    d->timeoutMs = timeoutMs;
}

AgentClient::~AgentClient() = default;

QNetworkReply *AgentClient::send(const QByteArray &method, const QString &path, const QJsonObject &body)
{
    // The path is sent as given (volume ids in it are percent-encoded already).
    const QUrl url = QUrl::fromEncoded(QStringLiteral("https://%1%2").arg(m_address.text(), path).toUtf8(), QUrl::StrictMode);
    QNetworkRequest request(url);
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    tls.setLocalCertificate(d->console.certificate);
    tls.setPrivateKey(d->console.key);
    // No CA: the certificate is checked against the pinned fingerprint in sslErrors below.
    tls.setPeerVerifyMode(QSslSocket::VerifyPeer);
    tls.setCaCertificates({});
    request.setSslConfiguration(tls);
    request.setTransferTimeout(d->timeoutMs);
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    const QByteArray bytes = (method == "GET" || method == "DELETE") && body.isEmpty()
                                 ? QByteArray() : QJsonDocument(body).toJson(QJsonDocument::Compact);
    if (!bytes.isEmpty() || method == "POST")
        request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    d->mismatch = false;
    QNetworkReply *reply = d->nam.sendCustomRequest(request, method, bytes);
    Private *p = d.get();
    QObject::connect(reply, &QNetworkReply::sslErrors, reply, [p, reply](const QList<QSslError> &errors) {
        QSslCertificate peer = reply->sslConfiguration().peerCertificate();
        if (peer.isNull() && !errors.isEmpty())
            peer = errors.first().certificate();
        p->lastPeer = peer;
        if (!p->pinned.isEmpty() && !peer.isNull() && certificateFingerprint(peer) == p->pinned)
            reply->ignoreSslErrors(errors);
        else
            p->mismatch = true;
    });
    // A handshake without errors would still have to present the pinned certificate.
    QObject::connect(reply, &QNetworkReply::encrypted, reply, [p, reply] {
        const QSslCertificate peer = reply->sslConfiguration().peerCertificate();
        p->lastPeer = peer;
        if (p->pinned.isEmpty() || certificateFingerprint(peer) != p->pinned) {
            p->mismatch = true;
            reply->abort();
        }
    });
    return reply;
}

QJsonObject AgentClient::finish(QNetworkReply *reply, const QByteArray &method, const QString &path)
{
    reply->deleteLater();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    // A reply aborted by its time limit is closed: nothing to read (and reading it warns).
    const QByteArray body = reply->isOpen() ? reply->readAll() : QByteArray();
    const QString what = QStringLiteral("%1 %2 on agent %3").arg(QString::fromLatin1(method), path, m_address.text());
    if (d->mismatch) {
        const QString seen = d->lastPeer.isNull() ? QStringLiteral("no certificate") : certificateFingerprint(d->lastPeer);
        throw RefusedError(QStringLiteral("agent %1 presented the certificate %2, not the pinned %3: nothing was sent. If the "
                                          "agent was reinstalled, check its fingerprint (ndbackup-agent show-fingerprint) and "
                                          "trust it again (ndbackupctl agent forget, then agent trust).")
                               .arg(m_address.text(), seen, d->pinned.isEmpty() ? QStringLiteral("(none)") : d->pinned));
    }
    if (status == 0) {
        QString hint;
        if (reply->error() == QNetworkReply::RemoteHostClosedError || reply->error() == QNetworkReply::SslHandshakeFailedError)
            hint = QStringLiteral(" (does the agent trust this console? ndbackup-agent trust-console %1)").arg(d->console.fingerprint());
        // Nothing else cancels a request: Qt reports the request's time limit as "Operation canceled".
        const QString cause = reply->error() == QNetworkReply::OperationCanceledError
                                  ? QStringLiteral("no answer to %1 within %2 s").arg(what).arg(d->timeoutMs / 1000.0, 0, 'g', 3)
                                  : reply->errorString();
        throw Error(QStringLiteral("storage node %1 is offline or unreachable: %2%3")
                        .arg(m_address.text(), cause, hint), ErrorKind::Network);
    }
    QJsonParseError parseError;
    const QJsonDocument doc = body.isEmpty() ? QJsonDocument(QJsonObject()) : QJsonDocument::fromJson(body, &parseError);
    if (status >= 400) {
        const QJsonObject error = doc.object().value(QStringLiteral("error")).toObject();
        const QString message = error.value(QStringLiteral("message")).toString();
        if (message.isEmpty())
            throw Error(QStringLiteral("%1 failed with HTTP %2").arg(what).arg(status));
        throw Error(QStringLiteral("agent %1: %2").arg(m_address.text(), message),
                    errorKindFromName(error.value(QStringLiteral("kind")).toString()));
    }
    if (!doc.isObject())
        throw Error(QStringLiteral("%1 answered something that is not a JSON object (HTTP %2)").arg(what).arg(status),
                    ErrorKind::Network);
    return doc.object();
}

QCoro::Task<QJsonObject> AgentClient::call(const char *method, QString path, QJsonObject body)
{
    QNetworkReply *reply = send(method, path, body);
    co_await reply;
    co_return finish(reply, method, path);
}

QJsonObject AgentClient::callBlocking(const QByteArray &method, const QString &path, const QJsonObject &body)
{
    QNetworkReply *reply = send(method, path, body);
    if (!reply->isFinished()) {
        QEventLoop loop;
        QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return finish(reply, method, path);
}

void AgentClient::setOperationLimit(int seconds)
{
    d->operationSeconds = std::max(1, seconds);
}

void AgentClient::setCancelFlag(const std::atomic<bool> *cancel)
{
    d->cancel = cancel;
}

QCoro::Task<QJsonObject> AgentClient::runOperation(const char *method, QString path, QJsonObject body,
                                                   std::function<void(const QString &)> accepted, bool cancellable)
{
    if (cancellable && d->cancel && d->cancel->load())
        throw CancelledError();
    const QJsonObject first = co_await call(method, path, body);
    const QJsonObject op = first.value(QStringLiteral("operation")).toObject();
    const QString id = op.value(QStringLiteral("id")).toString();
    if (id.isEmpty())
        throw Error(QStringLiteral("%1 %2 on agent %3 answered no operation").arg(QString::fromLatin1(method), path, m_address.text()));
    if (accepted)
        accepted(id);
    const QString what = QStringLiteral("%1 %2").arg(QString::fromLatin1(method), path);
    const QJsonObject ended = co_await pollOperation(op, what, cancellable);
    if (ended.value(QStringLiteral("status")).toString() == QLatin1String("failed")) {
        const QJsonObject error = ended.value(QStringLiteral("error")).toObject();
        throw Error(QStringLiteral("agent %1: %2").arg(m_address.text(), error.value(QStringLiteral("message")).toString()),
                    errorKindFromName(error.value(QStringLiteral("kind")).toString()));
    }
    co_return ended.value(QStringLiteral("result")).toObject();
}

QCoro::Task<QJsonObject> AgentClient::waitForOperation(QString id)
{
    const QJsonObject op{{QStringLiteral("id"), id}};
    const QString what = QStringLiteral("operation %1").arg(id);
    co_return co_await pollOperation(op, what, false);
}

QCoro::Task<QJsonObject> AgentClient::pollOperation(QJsonObject op, QString what, bool cancellable)
{
    const QString id = op.value(QStringLiteral("id")).toString();
    QElapsedTimer elapsed;
    elapsed.start();
    // Long operations return at once; a short interval first, then at most every second.
    int delayMs = 50;
    for (;;) {
        // The answer to the request names the operation; its result and error are in GET's.
        const QString status = op.value(QStringLiteral("status")).toString();
        if ((status == QLatin1String("succeeded") && op.contains(QStringLiteral("result")))
            || (status == QLatin1String("failed") && op.contains(QStringLiteral("error"))))
            co_return op;
        if (cancellable && d->cancel && d->cancel->load())
            throw CancelledError();
        if (elapsed.elapsed() >= qint64(d->operationSeconds) * 1000)
            throw Error(QStringLiteral("operation %1 (%2) on storage node %3 did not finish within %4 s; it may still be running "
                                       "there. Check the node's storage, or raise agent_operation_timeout_seconds.")
                            .arg(id, what, m_address.text()).arg(d->operationSeconds));
        if (status == QLatin1String("running")) {
            const std::chrono::milliseconds delay(delayMs);
            co_await QCoro::sleepFor(delay);
            delayMs = std::min(delayMs * 2, 1000);
        }
        const QString opPath = QStringLiteral("/v1/operations/") + id;
        const QJsonObject polled = co_await call("GET", opPath);
        op = polled.value(QStringLiteral("operation")).toObject();
    }
}

QCoro::Task<QSslCertificate> AgentClient::probeCertificate()
{
    d->lastPeer = QSslCertificate();
    QNetworkReply *reply = send("GET", QStringLiteral("/v1/node"), {});
    co_await reply;
    reply->deleteLater();
    if (d->lastPeer.isNull())
        throw Error(QStringLiteral("storage node %1 did not answer with TLS: %2").arg(m_address.text(), reply->errorString()),
                    ErrorKind::Network);
    co_return d->lastPeer;
}

} // namespace ndb
