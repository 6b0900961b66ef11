#pragma once
// Where the engine keeps its state and which storage it manages. Defaults are the embedded
// set-up: SQLite catalog and local repositories under the XDG data directory.
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

    // $XDG_DATA_HOME/ndbackup/{catalog.sqlite,repository}; no pools.
    static EngineConfig defaults();
    // defaults() overlaid with the INI file (keys: catalog, repository_root, image_pools,
    // lvm_volume_groups, max_concurrent_jobs, default_container). A missing file is not an error.
    static EngineConfig load(const QString &iniFile);
    // $XDG_CONFIG_HOME/ndbackup/ndbackup.conf
    static QString defaultConfigFile();
    void save(const QString &iniFile) const;
};

} // namespace ndb
