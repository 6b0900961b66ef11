#pragma once
// The agent's temporary copies (snapshots, or cloned volumes where the pool cannot snapshot) and
// their NBD exports, and writable exports of volumes (restore targets), with leases. Every row is
// in the agent's catalog before the object exists on the storage or a server is started, so that
// the reaper (at start: everything; on a timer: what expired) can undo whatever a crash left.
//
// One object per thread: the event loop's one starts and stops the nbdkit servers; the storage
// worker's (storageworker.h) makes and deletes the copies on the storage.
#include "agentconfig.h"
#include "net/identity.h"

#include <QHash>
#include <QJsonObject>
#include <QSet>
#include <QSslCertificate>
#include <QString>

#include <memory>
#include <optional>

namespace ndb {

class Catalog;
class DriverSet;
class SupervisedProcess;
class TrustStore;
class VolumeDriver;
struct Volume;

// A volume as GET /v1/volumes lists it: {id, name, driver, pool, size, status, attachment}.
QJsonObject volumeJson(const VolumeDriver &driver, const Volume &volume);

class ExportManager
{
public:
    ExportManager(const AgentConfig &config, Catalog &catalog, DriverSet &drivers, const TlsIdentity &identity);
    ~ExportManager(); // stops every nbdkit it started (rows stay: the next start reaps them)

    Catalog &catalog() const { return m_catalog; }
    // The driver with id `driverId` (as GET /v1/node lists it); NotFoundError when none.
    VolumeDriver &driverById(const QString &driverId) const;

    // The cheap checks of a copy request, made before an operation is queued: the volume id
    // names a driver of this node, the backup id is valid, and the volume is not a restore target.
    void checkCopyRequest(const QString &volumeId, const QString &backupId) const;
    // Temporary copy of `volumeId` for `backupId`, idempotent per backup id: a snapshot
    // `ndbackup-snap-<backup id>` (kind "snapshot") where the driver can snapshot, else a cloned
    // volume `ndbackup-vol-<backup id>` (kind "volume"). Returns the row as JSON
    // ({id, kind, volume_id, backup_id, name, status, consistency, lease_expires_at}).
    QJsonObject createSnapshot(const QString &volumeId, const QString &backupId, const QString &name);
    // Worker: a new volume `name` of `size` bytes on driver `driverId` (a restore target);
    // returns it as volumeJson(). Refused when one of that name exists.
    QJsonObject createVolume(const QString &driverId, const QString &name, qint64 size);
    // Event loop: tears down the copy's exports and marks it `deleting` (no new export can
    // start); false when it is already deleted. NotFoundError for an id never seen.
    bool beginDelete(const QString &snapshotId);
    // Worker: deletes it on the storage. Idempotent.
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

    // The same four for an `available` volume itself, exported WRITABLE (a restore target): it
    // reads `restoring-backup` while the export exists.
    QJsonObject createVolumeExport(const QString &volumeId, const QString &consoleFingerprint);
    QJsonObject initializeVolumeConnection(const QString &volumeId, const QSslCertificate &console);
    void terminateVolumeConnection(const QString &volumeId, const QString &consoleFingerprint);
    void removeVolumeExport(const QString &volumeId, const QString &consoleFingerprint);
    // Volume ids with a writable export now.
    QSet<QString> restoringVolumes() const;

    // GET /v1/snapshots/{id}: the copy as the operation returned it, with `problem` (the driver's
    // sentence, empty when sound): what a console asks after a read error.
    QJsonObject snapshotState(const QString &snapshotId) const;

    // New expiry of the export's (and its snapshot's) lease; refused with the driver's sentence
    // when the snapshot went bad (the reader extends it while it reads).
    QJsonObject extendLease(const QString &exportId, const QString &consoleFingerprint, int seconds);

    // At start: every export and temporary copy in the table (their servers died with the
    // previous agent). Returns what was reaped.
    QStringList reapAll();
    // On the timer, event loop: the exports whose lease expired (their servers stopped).
    QStringList reapExpiredExports();
    // On the timer, worker: the temporary copies whose lease expired, deleted on the storage.
    QStringList reapExpired();

private:
    struct SnapshotRow;
    SnapshotRow snapshotRow(const QString &snapshotId) const; // NotFoundError when none
    QJsonObject snapshotJson(const QString &snapshotId) const;
    // The driver's sentence when the copy went bad (an LVM snapshot that overflowed, a snapshot
    // whose image is gone): VolumeDriver::snapshotProblem(); empty when it is sound.
    QString copyProblem(const SnapshotRow &row) const;
    // Throws (storage) with that sentence, so the console's job names it instead of an EIO.
    void checkCopy(const SnapshotRow &row) const;
    // The driver of `volumeId` and the volume, which must be one the driver lists (no path is
    // ever built from a request's text); NotFoundError otherwise.
    std::pair<VolumeDriver *, Volume> listedVolume(const QString &volumeId) const;
    // The export of `column` (snapshot_id or volume_id) = `value` for this console; empty when none.
    QString exportOf(const QString &column, const QString &value, const QString &consoleFingerprint) const;
    // The holder (status_worker) of `volumeId` while its row reads restoring-backup, live or not.
    std::optional<QString> restoreWorker(const QString &volumeId) const;
    // Whether a live process (the node's engine, this agent's writable export) restores it.
    bool restoreHolder(const QString &volumeId) const;
    QString exportToOther(const QString &column, const QString &value, const QString &consoleFingerprint) const;
    QString insertExport(const QString &column, const QString &value, bool writable, const QString &consoleFingerprint);
    // Starts nbdkit for export `exportId` serving `path` (read-only unless `writable`); returns
    // the connection properties. Idempotent while its server runs.
    QJsonObject startServer(const QString &exportId, const QString &path, const QString &exportName, bool writable,
                            const QSslCertificate &console);
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
