#pragma once
// One VolumeDriver per storage backend (image pool, LVM volume group, remote agent).
// Every call is a QCoro::Task so that a remote driver implements the same interface over the
// network; local drivers may complete synchronously. Failures throw ndb::Error.
#include "model/status.h"
#include "model/volume.h"
#include "volumes/blockdevice.h"

#include <QCoro/QCoroTask>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>

namespace ndb {

struct DriverCapabilities
{
    // The driver can take a point-in-time snapshot and the engine can read it at a local path
    // (data path 2). Without it, in-use volumes take the temporary-volume path (3).
    bool snapshotLocalRead = false;
    // The driver can export a snapshot through a connector (data path 4, step 2).
    bool snapshotExport = false;
};

struct SnapshotHandle
{
    QString name;             // on the storage: ndbackup-snap-<backup id>
    QString path;             // the driver's own reference (e.g. its local path); read it through openSnapshotSource()
    QString providerId;       // storage's own id (LV UUID, image file inode ...)
    QString providerLocation; // where the storage keeps it
};

// A leftover temporary object found on the storage (name starts with kTempPrefix).
struct TemporaryObject
{
    enum class Kind { Snapshot, Volume };
    Kind kind;
    QString name;
    QString backupId; // parsed from the name when it follows ndbackup-snap-/ndbackup-vol-<id>
    QString providerId = {}; // the storage's own id where the catalog knows it (a remote snapshot's)
};

// What initialize_connection_snapshot hands out for an exported snapshot (data path 4): how a
// connector reaches it. No secret is ever in it: credentials stay in files, named by reference.
struct ConnectionInfo
{
    QString driverVolumeType; // "nbd"
    QJsonObject data;         // host, port, export_name, tls
    QString exportId;
    QString authReference;    // where the credentials are (e.g. "x509:<directory>"); kept in provider_auth
};

class VolumeDriver
{
public:
    virtual ~VolumeDriver() = default;

    virtual QString id() const = 0;   // "image:/abs/pool" or "lvm:vg0"; unique in one engine
    virtual QString kind() const = 0; // "image", "lvm", "remote"
    virtual DriverCapabilities capabilities() const = 0;

    virtual QCoro::Task<QList<Volume>> listVolumes() = 0;
    virtual QCoro::Task<Volume> volume(QString name) = 0; // throws when there is none

    virtual QCoro::Task<Volume> createVolume(QString name, qint64 size) = 0;
    virtual QCoro::Task<void> deleteVolume(QString name) = 0;
    // Default data path: a new volume `name` with the contents of `source` at one instant.
    virtual QCoro::Task<Volume> createVolumeFromSource(QString source, QString name) = 0;

    // Attach for reading or writing; returns the local device path (e.g. /dev/loop3).
    virtual QCoro::Task<QString> attach(QString name) = 0;
    virtual QCoro::Task<void> detach(QString name) = 0;

    // Readers and writers of a volume's bytes. Only the driver knows where they are: a local file
    // or device today, an NBD connection or an librbd image tomorrow. A source reports its
    // allocation map where the storage knows it, so that holes are never read.
    // Data path 1: a volume nobody uses.
    virtual QCoro::Task<std::unique_ptr<BlockSource>> openVolumeSource(QString name) = 0;
    // Data path 2: a snapshot from createSnapshot().
    virtual QCoro::Task<std::unique_ptr<BlockSource>> openSnapshotSource(SnapshotHandle snapshot) = 0;
    // Data path 3: a volume attached with attach(); `attachment` is what attach() returned. The
    // default reads it as a local device (what local drivers' attach() returns).
    virtual QCoro::Task<std::unique_ptr<BlockSource>> openAttachedSource(QString name, QString attachment);
    // Restore onto a volume of this driver (existing, or just made by createVolume()).
    virtual QCoro::Task<std::unique_ptr<BlockSink>> openVolumeSink(QString name) = 0;
    // What a restore's sink sets up on the storage (a storage node's writable export and its
    // connection), reported before and after each step so that the catalog holds it first.
    using SinkRecorder = std::function<void(const QJsonObject &state)>;
    // openVolumeSink() with its steps reported to `record`; the default has no steps. Whatever
    // it reported is ended by closeVolumeSink() once the sink is closed.
    virtual QCoro::Task<std::unique_ptr<BlockSink>> openRecordedVolumeSink(QString name, SinkRecorder record);
    // Ends what openRecordedVolumeSink() set up for `name` (`state` as last reported; also what a
    // dead process left). Idempotent; the default has nothing to end.
    virtual QCoro::Task<void> closeVolumeSink(QString name, QJsonObject state);

    // Only when capabilities().snapshotLocalRead (or snapshotExport).
    virtual QCoro::Task<SnapshotHandle> createSnapshot(QString volume, QString snapshotName) = 0;
    virtual QCoro::Task<void> deleteSnapshot(QString snapshotName) = 0;
    // Empty while the snapshot is sound; otherwise why it cannot be trusted (e.g. copy-on-write
    // area overflowed). Checked during (from the job thread, between progress ticks, never from a
    // reader thread) and after a transfer.
    virtual QString snapshotProblem(const QString &snapshotName) { return {}; }

    // How a copy (temporary snapshot or volume) of `volume` made now would hold its data, in
    // Consistency words: the backup plan and the refusal of copies that are not point-in-time ask
    // this, the copy itself then records what really happened (copyConsistency()).
    virtual QCoro::Task<QString> plannedCopyConsistency(QString volume) { co_return Consistency::Unknown; }
    // How the snapshot or temporary volume `copyName` this driver object made was really taken
    // (the freeze held or not); Unknown when it did not make it.
    virtual QString copyConsistency(const QString &copyName) const { return Consistency::Unknown; }

    // Data path 4 (only when capabilities().snapshotExport), the specification's step-2 calls on a
    // snapshot from createSnapshot(); each idempotent. The defaults refuse.
    // create_export_snapshot: returns the export's id.
    virtual QCoro::Task<QString> createExportSnapshot(SnapshotHandle snapshot);
    // initialize_connection_snapshot: the connection properties of the export.
    virtual QCoro::Task<ConnectionInfo> initializeConnectionSnapshot(SnapshotHandle snapshot, QString exportId);
    // A reader of the connection; keeps what the export needs alive (its lease) until it is closed.
    virtual QCoro::Task<std::unique_ptr<BlockSource>> openConnectionSource(ConnectionInfo connection);
    // terminate_connection_snapshot (synchronous): the connection and its credentials are gone.
    virtual QCoro::Task<void> terminateConnectionSnapshot(SnapshotHandle snapshot, ConnectionInfo connection);
    // remove_export_snapshot (synchronous).
    virtual QCoro::Task<void> removeExportSnapshot(SnapshotHandle snapshot);

    // Temporary objects with the reserved prefix, for cleanup without the catalog.
    virtual QCoro::Task<QList<TemporaryObject>> listTemporaries() = 0;
    // Remove a temporary object whatever state it is in (detaching it first). Idempotent.
    virtual QCoro::Task<void> removeTemporary(TemporaryObject object) = 0;
    // Removes other leftovers of processes that died (e.g. an image pool's reflink probe files);
    // returns what was removed. Never touches what a live process uses.
    virtual QCoro::Task<QStringList> removeLeftovers() { co_return QStringList(); }

    // Where a driver hands the storage's id of a temporary it is still waiting for (an agent's
    // operation id) to the catalog, before it waits: a cancel or a crash then removes it by id.
    // Set by the orchestration around one call; empty otherwise.
    using ProviderIdRecorder = std::function<void(const QString &temporaryName, const QString &providerId)>;
    void setProviderIdRecorder(ProviderIdRecorder recorder) { m_recordProviderId = std::move(recorder); }

protected:
    void recordProviderId(const QString &temporaryName, const QString &providerId) const
    {
        if (m_recordProviderId)
            m_recordProviderId(temporaryName, providerId);
    }

private:
    ProviderIdRecorder m_recordProviderId;
};

// Names of temporary objects; the prefix lets cleanup find them without the catalog.
QString tempSnapshotName(const QString &backupId);
QString tempVolumeName(const QString &backupId);
// Parses a temporary name; returns false when `name` is not one of ours.
bool parseTemporaryName(const QString &name, TemporaryObject &out);

} // namespace ndb
