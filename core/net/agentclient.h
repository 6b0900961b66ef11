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

#include <atomic>
#include <functional>
#include <memory>

class QNetworkReply;

namespace ndb {

inline constexpr quint16 kDefaultAgentPort = 8787;
inline constexpr int kDefaultAgentOperationSeconds = 600;

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
    // (throws the operation's error when it failed). `accepted` gets the operation's id before
    // the first poll (so that it can be recorded). The wait ends with an error naming the node and
    // the operation after the operation limit, and with CancelledError once the cancel flag is set
    // (the operation itself goes on on the node: wait for it with waitForOperation to undo it).
    // `cancellable` false: for undoing (a deletion runs to its end even in a cancelled job).
    QCoro::Task<QJsonObject> runOperation(const char *method, QString path, QJsonObject body = {},
                                          std::function<void(const QString &)> accepted = {}, bool cancellable = true);
    // Polls the operation `id` until it ends (under the operation limit, never cancelled: for
    // undoing what it made); returns the ended operation ({"status","result"|"error"}).
    QCoro::Task<QJsonObject> waitForOperation(QString id);
    // How long one operation may take (default 10 minutes); the flag a job's cancel sets (may be null).
    void setOperationLimit(int seconds);
    void setCancelFlag(const std::atomic<bool> *cancel);
    // The same request, blocking this thread in a local event loop: only for a thread that has
    // nothing else to do (the lease keeper).
    QJsonObject callBlocking(const QByteArray &method, const QString &path, const QJsonObject &body = {});

    // The agent's certificate as its TLS handshake presents it, whoever it is: for enrolment
    // (show it, then pin it). Throws Network when nothing answers with TLS.
    QCoro::Task<QSslCertificate> probeCertificate();

private:
    QNetworkReply *send(const QByteArray &method, const QString &path, const QJsonObject &body);
    QJsonObject finish(QNetworkReply *reply, const QByteArray &method, const QString &path);
    QCoro::Task<QJsonObject> pollOperation(QJsonObject op, QString what, bool cancellable);

    struct Private;
    AgentAddress m_address;
    std::unique_ptr<Private> d;
};

// An ErrorKind from its errorKindName(); Failed for a name that is not one.
ErrorKind errorKindFromName(const QString &name);

} // namespace ndb
