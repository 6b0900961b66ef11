#pragma once
// A storage node's volumes through its agent (DESIGN data path 5): the VolumeDriver calls made
// over the agent API (app/agent/API.md), the snapshot's bytes read over NBD with TLS. The agent
// owns its temporaries and reaps them when their lease ends; this driver keeps the lease of an
// export alive while it is read (a keeper thread with its own client: the transfer blocks the
// job thread). Volume names are the agent's; the volume's host is the agent's node name.
#include "net/agentclient.h"
#include "volumes/remote/storagenodes.h"
#include "volumes/volumedriver.h"

#include <QHash>
#include <QVariantMap>

#include <memory>
#include <optional>

namespace ndb {

class JobLog;

class RemoteDriver : public VolumeDriver
{
public:
    // `location` is HOST[:PORT]; options: console_state_dir (the directory of the pins and the
    // console's identity), agent_lease_seconds (what the reader asks for each time it extends),
    // agent_operation_timeout_seconds (how long one operation on the node may take). A job's
    // cancel (the log's cancel flag) ends the wait for an operation.
    RemoteDriver(const QString &location, const QVariantMap &options, JobLog *log = nullptr);
    ~RemoteDriver() override;

    static QString driverId(const AgentAddress &address); // remote:HOST:PORT

    QString id() const override;
    QString kind() const override;
    DriverCapabilities capabilities() const override;

    QCoro::Task<QList<Volume>> listVolumes() override;
    QCoro::Task<Volume> volume(QString name) override;

    QCoro::Task<Volume> createVolume(QString name, qint64 size) override;
    QCoro::Task<void> deleteVolume(QString name) override;
    QCoro::Task<Volume> createVolumeFromSource(QString source, QString name) override;
    QCoro::Task<QString> attach(QString name) override;
    QCoro::Task<void> detach(QString name) override;
    QCoro::Task<std::unique_ptr<BlockSource>> openVolumeSource(QString name) override;
    QCoro::Task<std::unique_ptr<BlockSource>> openSnapshotSource(SnapshotHandle snapshot) override;
    // A restore target: the node's writable export of the volume (export, then connection, each
    // reported to `record` first), written over NBD while its lease is kept.
    QCoro::Task<std::unique_ptr<BlockSink>> openVolumeSink(QString name) override;
    QCoro::Task<std::unique_ptr<BlockSink>> openRecordedVolumeSink(QString name, SinkRecorder record) override;
    // Terminates the connection and removes the export (the node's volume is available again).
    QCoro::Task<void> closeVolumeSink(QString name, QJsonObject state) override;

    QCoro::Task<SnapshotHandle> createSnapshot(QString volume, QString snapshotName) override;
    QCoro::Task<void> deleteSnapshot(QString snapshotName) override;
    QCoro::Task<QString> plannedCopyConsistency(QString volume) override;
    QString copyConsistency(const QString &copyName) const override;

    QCoro::Task<QString> createExportSnapshot(SnapshotHandle snapshot) override;
    QCoro::Task<ConnectionInfo> initializeConnectionSnapshot(SnapshotHandle snapshot, QString exportId) override;
    QCoro::Task<std::unique_ptr<BlockSource>> openConnectionSource(ConnectionInfo connection) override;
    QCoro::Task<void> terminateConnectionSnapshot(SnapshotHandle snapshot, ConnectionInfo connection) override;
    QCoro::Task<void> removeExportSnapshot(SnapshotHandle snapshot) override;

    // The agent keeps its own temporaries (and reaps them); none are listed here.
    QCoro::Task<QList<TemporaryObject>> listTemporaries() override;
    // Deletes the agent's snapshot (its export and connection first); one the agent already
    // reaped counts as removed.
    QCoro::Task<void> removeTemporary(TemporaryObject object) override;

private:
    AgentClient &client();
    QString agentVolumeId(const QString &name);
    QString snapshotId(const QString &snapshotName, const QString &providerId) const;
    // The snapshot an operation made, once it ended; empty when it made none.
    QCoro::Task<QString> snapshotOfOperation(QString operationId);
    // <console state dir>/connections/<snapshot id>: libnbd's TLS directory of one connection.
    QString tlsDirectory(const QString &snapshotId) const;
    void removeTlsDirectory(const QString &snapshotId) const;
    QString makeTlsDirectory(const QString &key);
    QString nodeName() const; // "node (host:port)" once known
    Volume volumeFromAgent(const QJsonObject &o) const;
    // An NBD reader or writer of an export with its lease kept until it is closed.
    template<typename Nbd, typename Leased>
    std::unique_ptr<Leased> openLeased(const QJsonObject &data, const QString &certificatesDir, const QString &exportId,
                                       const QString &verb);

    AgentAddress m_address;
    StorageNodes m_nodes;
    std::optional<PinnedAgent> m_pin;
    int m_leaseSeconds = 60;
    int m_operationSeconds = kDefaultAgentOperationSeconds;
    JobLog *m_log = nullptr;
    std::optional<TlsIdentity> m_identity;
    std::unique_ptr<AgentClient> m_client;
    QString m_node;
    QHash<QString, QString> m_volumeIds;   // volume name -> the agent's volume id
    QHash<QString, QString> m_snapshotIds; // snapshot name -> the agent's snapshot id
    QHash<QString, QString> m_pendingOperations; // snapshot name -> the operation making it, until it answered
    QHash<QString, QString> m_copyConsistency; // snapshot name -> the node's Consistency word
};

} // namespace ndb
