#pragma once
// The agent's temporary snapshots and their NBD exports, with leases. Every row is in the
// agent's catalog before the object exists on the storage or a server is started, so that the
// reaper (at start: everything; on a timer: what expired) can undo whatever a crash left.
#include "agentconfig.h"
#include "net/identity.h"

#include <QHash>
#include <QJsonObject>
#include <QSslCertificate>
#include <QString>

#include <memory>

namespace ndb {

class Catalog;
class DriverSet;
class SupervisedProcess;
class TrustStore;

class ExportManager
{
public:
    ExportManager(const AgentConfig &config, Catalog &catalog, DriverSet &drivers, const TlsIdentity &identity);
    ~ExportManager(); // stops every nbdkit it started (rows stay: the next start reaps them)

    // Temporary snapshot `tempSnapshotName(backupId)` of `volumeId`. Idempotent per backup id.
    // Returns the snapshot row as JSON ({id, volume_id, backup_id, name, status, lease_expires_at}).
    QJsonObject createSnapshot(const QString &volumeId, const QString &backupId, const QString &name);
    // Tears down its export, deletes it on the storage. Idempotent; NotFoundError for an id never seen.
    void deleteSnapshot(const QString &snapshotId);

    // create_export_snapshot: {id, lease_expires_at}. Idempotent for the same console; another
    // console's export of the same snapshot is refused.
    QJsonObject createExport(const QString &snapshotId, const QString &consoleFingerprint);
    // initialize_connection_snapshot: starts nbdkit for `console` (its certificate becomes the
    // export's only CA) and returns the connection properties. Idempotent.
    QJsonObject initializeConnection(const QString &snapshotId, const QSslCertificate &console);
    // terminate_connection_snapshot / remove_export_snapshot: synchronous, idempotent.
    void terminateConnection(const QString &snapshotId, const QString &consoleFingerprint);
    void removeExport(const QString &snapshotId, const QString &consoleFingerprint);
    // New expiry of the export's (and its snapshot's) lease.
    QJsonObject extendLease(const QString &exportId, const QString &consoleFingerprint, int seconds);

    // At start: every export and temporary snapshot in the table (their servers died with the
    // previous agent). On the timer: those whose lease expired. Returns what was reaped.
    QStringList reapAll();
    QStringList reapExpired();

private:
    struct SnapshotRow;
    SnapshotRow snapshotRow(const QString &snapshotId) const; // NotFoundError when none
    QString exportOf(const QString &snapshotId, const QString &consoleFingerprint) const;
    void stopServer(const QString &exportId);
    void tearDownExport(const QString &exportId);
    void reapSnapshot(const QString &snapshotId, QStringList &reaped);
    QString leaseFromNow(int seconds) const;
    quint16 pickPort() const;

    AgentConfig m_config;
    Catalog &m_catalog;
    DriverSet &m_drivers;
    TlsIdentity m_identity;
    QHash<QString, std::shared_ptr<SupervisedProcess>> m_servers; // export id -> nbdkit
};

} // namespace ndb
