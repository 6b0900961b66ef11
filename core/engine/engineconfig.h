#pragma once
// Where the engine keeps its state and which storage it manages. Defaults are the embedded
// set-up: SQLite catalog and local repositories under the XDG data directory.
#include "backup/serviceoptions.h"
#include "volumes/driverregistry.h"

#include <QString>
#include <QStringList>

namespace ndb {

struct EngineConfig
{
    QString catalogPath;         // SQLite file
    QString repositoryRoot;      // each container is a directory below it
    QStringList imagePools;      // directories holding raw image volumes
    QStringList lvmVolumeGroups; // VG names managed through the LVM driver
    int maxConcurrentJobs = 2;
    QString defaultContainer = QStringLiteral("default");

    // Snapshot policy
    bool freezeFilesystems = true;   // FIFREEZE a mounted filesystem for the snapshot instant
    int freezeLimitMs = 10000;       // hard limit after which it is thawed whatever happens
    bool refuseInconsistentCopies = false; // refuse backups that would not be point-in-time copies
    int lvmSnapshotPercent = 20;     // thick snapshot copy-on-write size, share of the origin
    QString preSnapshotHook;         // program run (no shell) before the snapshot; empty = none
    QString postSnapshotHook;        // program run after it, also when it failed

    // Storage nodes: agents as HOST[:PORT] (default port 8787). Only those this console trusts
    // (pinned in consoleStateDir(), see StorageNodes) get a driver.
    QStringList agents;
    int agentLeaseSeconds = 60;      // what a reader asks its export's lease to be, each time it extends it
    int agentOperationTimeoutSeconds = 600; // how long one agent operation (a snapshot, a clone, a deletion) may take

    // $XDG_DATA_HOME/ndbackup/{catalog.sqlite,repository}; no pools.
    static EngineConfig defaults();
    // defaults() overlaid with the INI file (keys are the member names in snake_case:
    // catalog, repository_root, image_pools, lvm_volume_groups, max_concurrent_jobs,
    // default_container, freeze_filesystems, freeze_limit_ms, refuse_inconsistent_copies, lvm_snapshot_percent,
    // pre_snapshot_hook, post_snapshot_hook, agents, agent_lease_seconds, agent_operation_timeout_seconds). A missing file is not an error.
    static EngineConfig load(const QString &iniFile);
    // Throws InvalidInputError naming the file (and line) when it is a directory, unreadable or
    // not an INI file of `key = value` lines and [sections]: load() would silently ignore it.
    static void checkFile(const QString &iniFile);
    // $XDG_CONFIG_HOME/ndbackup/ndbackup.conf
    static QString defaultConfigFile();
    void save(const QString &iniFile) const;
    // The pools and volume groups by driver kind, and the options drivers read.
    DriverSettings driverSettings() const;
    // Where this console keeps its TLS identity and pinned agents: the catalog's directory.
    QString consoleStateDir() const;
    // What a BackupService needs of this configuration.
    BackupServiceOptions serviceOptions() const;
};

// checkRestoreFileTarget() against what this configuration manages (pools, repository, catalog).
QString checkRestoreFileTarget(const EngineConfig &config, const QString &path, bool overwrite);

} // namespace ndb
