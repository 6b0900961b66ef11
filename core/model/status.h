#pragma once
// Status words exactly as the specification and the catalog spell them.
#include <QString>

namespace ndb {

namespace VolumeStatus {
inline const QString Available = QStringLiteral("available");
inline const QString InUse = QStringLiteral("in-use");
inline const QString BackingUp = QStringLiteral("backing-up");
inline const QString RestoringBackup = QStringLiteral("restoring-backup");
inline const QString Error = QStringLiteral("error");
} // namespace VolumeStatus

namespace BackupStatus {
inline const QString Creating = QStringLiteral("creating");
inline const QString Available = QStringLiteral("available");
inline const QString Restoring = QStringLiteral("restoring");
inline const QString Deleting = QStringLiteral("deleting");
inline const QString Deleted = QStringLiteral("deleted");
inline const QString Error = QStringLiteral("error");
} // namespace BackupStatus

// snapshots.status words the cleanup acts on (the others: creating, available, deleted).
namespace SnapshotStatus {
inline const QString Deleting = QStringLiteral("deleting");
// Its removal failed (e.g. the storage node was unreachable): every cleanup retries it by its id.
inline const QString ErrorDeleting = QStringLiteral("error_deleting");
} // namespace SnapshotStatus

namespace JobStatus {
inline const QString Queued = QStringLiteral("queued");
inline const QString Running = QStringLiteral("running");
inline const QString Succeeded = QStringLiteral("succeeded");
inline const QString SucceededWithWarnings = QStringLiteral("succeeded-with-warnings");
inline const QString Failed = QStringLiteral("failed");
inline const QString Cancelled = QStringLiteral("cancelled");
} // namespace JobStatus

// Whether a job that ended is done (its work happened), with or without warnings.
inline bool jobSucceeded(const QString &status)
{
    return status == JobStatus::Succeeded || status == JobStatus::SucceededWithWarnings;
}

// How a backup's bytes relate to one instant of the volume (backups.consistency, the manifest's
// "consistency"): decided from what the data path really did, not from a guess beforehand.
namespace Consistency {
inline const QString Detached = QStringLiteral("detached");              // not in use: read directly
inline const QString Snapshot = QStringLiteral("snapshot");              // storage snapshot/reflink while in use: crash-consistent
inline const QString FrozenSnapshot = QStringLiteral("frozen-snapshot"); // snapshot taken with the filesystem frozen
inline const QString FrozenCopy = QStringLiteral("frozen-copy");         // temporary clone made while the filesystem was frozen
inline const QString NotPointInTime = QStringLiteral("not-point-in-time"); // copied while it may have been written
inline const QString Unknown = QStringLiteral("unknown");                // older backups, drivers that cannot tell
} // namespace Consistency

// Phases of a job, in the order a backup goes through them.
namespace Phase {
inline const QString Prepare = QStringLiteral("prepare");
inline const QString Snapshot = QStringLiteral("snapshot");
inline const QString Attach = QStringLiteral("attach");
inline const QString Transfer = QStringLiteral("transfer");
inline const QString Detach = QStringLiteral("detach");
inline const QString Cleanup = QStringLiteral("cleanup");
inline const QString Done = QStringLiteral("done");
} // namespace Phase

// The refusal the specification prescribes, verbatim.
inline const QString kForceRequiredMessage = QStringLiteral("Backing up an in-use volume must use the force flag.");

} // namespace ndb
