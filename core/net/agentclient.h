#pragma once
// The console's HTTPS client of an agent (app/agent/API.md): mutual TLS with the console's
// certificate, the agent's certificate accepted only when its SHA-256 fingerprint is the pinned
// one (no CA is involved), JSON bodies, the agent's {"error":{kind,message}} mapped to ndb::Error
// with the agent's sentence, a time limit on every request, and polling of 202 operations.
// Over QNetworkAccessManager: one client lives in (and is used from) one thread.
#include "net/identity.h"
#include "util/error.h"

#include <QCoro/QCoroTask>
#include <QJsonObject>
#include <QSslCertificate>
#include <QString>

#include <memory>

class QNetworkReply;

namespace ndb {

inline constexpr quint16 kDefaultAgentPort = 8787;

// Where an agent listens: "HOST[:PORT]" (port 8787 when left out).
struct AgentAddress
{
    QString host;
    quint16 port = kDefaultAgentPort;

    // Throws InvalidInputError saying what is expected.
    static AgentAddress parse(const QString &text);
    QString text() const; // host:port
    bool operator==(const AgentAddress &other) const = default;
};

class AgentClient
{
public:
    // `pinnedFingerprint` empty: nothing is trusted (probeCertificate() only).
    AgentClient(AgentAddress address, TlsIdentity console, QString pinnedFingerprint, int timeoutMs = 15000);
    ~AgentClient();
    AgentClient(const AgentClient &) = delete;
    AgentClient &operator=(const AgentClient &) = delete;

    const AgentAddress &address() const { return m_address; }

    // Callers pass named locals, not temporaries, as arguments of a co_await (GCC 12 destroys
    // some of those twice); `method` is a string literal.
    // One request; the answer's JSON object ({} for 204). Throws ndb::Error: the agent's error
    // with its kind and sentence, Network when it cannot be reached or does not answer in time,
    // Refused when its certificate is not the pinned one.
    QCoro::Task<QJsonObject> call(const char *method, QString path, QJsonObject body = {});
    // A request answered 202 with an operation: polls it until it ends; returns its "result"
    // (throws the operation's error when it failed).
    QCoro::Task<QJsonObject> runOperation(const char *method, QString path, QJsonObject body = {});
    // The same request, blocking this thread in a local event loop: only for a thread that has
    // nothing else to do (the lease keeper).
    QJsonObject callBlocking(const QByteArray &method, const QString &path, const QJsonObject &body = {});

    // The agent's certificate as its TLS handshake presents it, whoever it is: for enrolment
    // (show it, then pin it). Throws Network when nothing answers with TLS.
    QCoro::Task<QSslCertificate> probeCertificate();

private:
    QNetworkReply *send(const QByteArray &method, const QString &path, const QJsonObject &body);
    QJsonObject finish(QNetworkReply *reply, const QByteArray &method, const QString &path);

    struct Private;
    AgentAddress m_address;
    std::unique_ptr<Private> d;
};

// An ErrorKind from its errorKindName(); Failed for a name that is not one.
ErrorKind errorKindFromName(const QString &name);

} // namespace ndb
