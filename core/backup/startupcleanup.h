#pragma once
// Undoes what a crashed process left: at every engine start (and on `ndbackupctl cleanup`).
// Rows owned by a live process (GUI and CLI may run side by side) are left alone.
#include "backup/cleanupreport.h"

#include <QCoro/QCoroTask>

namespace ndb {

class Catalog;
class DriverSet;
class VolumeDriver;
struct TemporaryObject;

class StartupCleanup
{
public:
    StartupCleanup(QString repositoryRoot, Catalog &catalog, DriverSet &drivers)
        : m_repositoryRoot(std::move(repositoryRoot)), m_catalog(catalog), m_drivers(drivers) {}

    QCoro::Task<CleanupReport> run();

private:
    QCoro::Task<void> retryFailedSnapshotRemovals(CleanupReport &report);
    QCoro::Task<void> resetCreatingBackups(CleanupReport &report);
    // Removes a recorded temporary snapshot; its row (if any) becomes deleted, or 'error_deleting'
    // for the next cleanup when the storage refuses or cannot be reached.
    QCoro::Task<void> removeRecordedSnapshot(VolumeDriver &driver, TemporaryObject snapshot, QString rowId, QString note,
                                             CleanupReport &report);
    QCoro::Task<void> resetRestores(CleanupReport &report);
    QCoro::Task<void> endVolumeSinks(CleanupReport &report);
    QCoro::Task<void> finishDeletes(CleanupReport &report);
    QCoro::Task<void> removeOrphanTemporaries(CleanupReport &report);
    bool heldByLease(const QString &temporaryName) const;
    QCoro::Task<void> removeDriverLeftovers(CleanupReport &report);
    void thawDeadFreezes(CleanupReport &report);
    void resetVolumes(CleanupReport &report);
    void removePartialFiles(CleanupReport &report);
    void failDeadJobs();

    const QString m_repositoryRoot; // where the containers of the backups it resets are
    Catalog &m_catalog;
    DriverSet &m_drivers;
};

} // namespace ndb
