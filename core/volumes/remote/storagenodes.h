#pragma once
// The console's side of trust in storage nodes (API.md "Trust"): the console's own TLS identity
// and the agents it pinned, both in files beside its catalog (<dir>/identity/, key 0600;
// <dir>/agents/agents.json and <hex>.pem, each agent's certificate as pinned). Files rather than
// the catalog: a pin belongs to this console's key, which is a file on this machine, while a
// catalog may be shared by several consoles (PostgreSQL), each with its own key.
// This is also the API a settings page uses: pinned(), states() (online or not), probe(),
// trust(), forget().
#include "net/agentclient.h"
#include "net/identity.h"

#include <QCoro/QCoroTask>
#include <QList>
#include <QSslCertificate>
#include <QString>

#include <optional>

namespace ndb {

struct PinnedAgent
{
    AgentAddress address;
    QString fingerprint; // SHA256:<hex>
    QString node;        // the agent's node name, as it last told it (may be empty)
    QString label;
};

struct AgentState
{
    PinnedAgent agent;
    bool online = false;
    QString problem; // why it is offline
};

class StorageNodes
{
public:
    explicit StorageNodes(QString stateDirectory);
    // The console's state directory for a catalog file: its directory.
    static QString stateDirFor(const QString &catalogPath);

    QString stateDirectory() const { return m_dir; }
    // Made on first use (P-256, self-signed). Throws ndb::Error.
    TlsIdentity identity() const;

    QList<PinnedAgent> pinned() const;
    std::optional<PinnedAgent> find(const AgentAddress &address) const;
    // The agent's certificate as pinned (PEM), for libnbd's ca-cert.pem.
    QString certificatePath(const QString &fingerprint) const;
    // Pins `certificate` for `agent.address` (replacing an earlier pin of that address).
    void pin(PinnedAgent agent, const QSslCertificate &certificate);
    void setNodeName(const AgentAddress &address, const QString &node);
    // False when the address was not pinned.
    bool forget(const AgentAddress &address);

    // Network (each call makes its own client in the calling thread):
    // The certificate an agent presents now, trusted or not.
    QCoro::Task<QSslCertificate> probe(AgentAddress address) const;
    // Every pinned agent asked for its node (GET /v1/node); the node name is kept up to date.
    QCoro::Task<QList<AgentState>> states();

private:
    void save(const QList<PinnedAgent> &agents) const;
    QString m_dir;
};

} // namespace ndb
