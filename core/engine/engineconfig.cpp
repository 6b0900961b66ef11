#include "engineconfig.h"
#include "util/error.h"
#include "volumes/remote/storagenodes.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSettings>
#include <QStandardPaths>

namespace ndb {

EngineConfig EngineConfig::defaults()
{
    EngineConfig c;
    // GenericDataLocation honours $XDG_DATA_HOME; the application name may not be set yet.
    const QString data = QDir(QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)).filePath(QStringLiteral("ndbackup"));
    c.catalogPath = QDir(data).filePath(QStringLiteral("catalog.sqlite"));
    c.repositoryRoot = QDir(data).filePath(QStringLiteral("repository"));
    return c;
}

QString EngineConfig::defaultConfigFile()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation)).filePath(QStringLiteral("ndbackup/ndbackup.conf"));
}

EngineConfig EngineConfig::load(const QString &iniFile)
{
    EngineConfig c = defaults();
    if (iniFile.isEmpty() || !QFile::exists(iniFile))
        return c;
    QSettings s(iniFile, QSettings::IniFormat);
    c.catalogPath = s.value(QStringLiteral("catalog"), c.catalogPath).toString();
    c.repositoryRoot = s.value(QStringLiteral("repository_root"), c.repositoryRoot).toString();
    c.imagePools = s.value(QStringLiteral("image_pools"), c.imagePools).toStringList();
    c.lvmVolumeGroups = s.value(QStringLiteral("lvm_volume_groups"), c.lvmVolumeGroups).toStringList();
    c.maxConcurrentJobs = s.value(QStringLiteral("max_concurrent_jobs"), c.maxConcurrentJobs).toInt();
    c.defaultContainer = s.value(QStringLiteral("default_container"), c.defaultContainer).toString();
    c.freezeFilesystems = s.value(QStringLiteral("freeze_filesystems"), c.freezeFilesystems).toBool();
    c.freezeLimitMs = s.value(QStringLiteral("freeze_limit_ms"), c.freezeLimitMs).toInt();
    c.refuseInconsistentCopies = s.value(QStringLiteral("refuse_inconsistent_copies"), c.refuseInconsistentCopies).toBool();
    c.lvmSnapshotPercent = s.value(QStringLiteral("lvm_snapshot_percent"), c.lvmSnapshotPercent).toInt();
    c.preSnapshotHook = s.value(QStringLiteral("pre_snapshot_hook"), c.preSnapshotHook).toString();
    c.postSnapshotHook = s.value(QStringLiteral("post_snapshot_hook"), c.postSnapshotHook).toString();
    c.agents = s.value(QStringLiteral("agents"), c.agents).toStringList();
    c.agentLeaseSeconds = s.value(QStringLiteral("agent_lease_seconds"), c.agentLeaseSeconds).toInt();
    c.agentOperationTimeoutSeconds = s.value(QStringLiteral("agent_operation_timeout_seconds"), c.agentOperationTimeoutSeconds).toInt();
    return c;
}

void EngineConfig::checkFile(const QString &iniFile)
{
    const QFileInfo info(iniFile);
    if (info.isDir())
        throw InvalidInputError(QStringLiteral("configuration file %1 is a directory; give the path of an INI file").arg(iniFile));
    QFile f(iniFile);
    if (!f.open(QIODevice::ReadOnly))
        throw InvalidInputError(QStringLiteral("cannot read configuration file %1: %2").arg(iniFile, f.errorString()));
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (int i = 0; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        if (line.isEmpty() || line.startsWith(';') || line.startsWith('#'))
            continue;
        const bool section = line.startsWith('[') && line.endsWith(']');
        const int eq = line.indexOf('=');
        if (line.contains('\0') || (!section && eq <= 0))
            throw InvalidInputError(QStringLiteral("configuration file %1, line %2 is not 'key = value' or a [section]: "
                                                   "fix the file (see ndbackup.conf keys in the documentation) or use another --config")
                                        .arg(iniFile).arg(i + 1));
    }
    QSettings s(iniFile, QSettings::IniFormat);
    if (s.status() != QSettings::NoError)
        throw InvalidInputError(QStringLiteral("configuration file %1 is not a valid INI file").arg(iniFile));
}

void EngineConfig::save(const QString &iniFile) const
{
    QDir().mkpath(QFileInfo(iniFile).absolutePath());
    QSettings s(iniFile, QSettings::IniFormat);
    s.setValue(QStringLiteral("catalog"), catalogPath);
    s.setValue(QStringLiteral("repository_root"), repositoryRoot);
    s.setValue(QStringLiteral("image_pools"), imagePools);
    s.setValue(QStringLiteral("lvm_volume_groups"), lvmVolumeGroups);
    s.setValue(QStringLiteral("max_concurrent_jobs"), maxConcurrentJobs);
    s.setValue(QStringLiteral("default_container"), defaultContainer);
    s.setValue(QStringLiteral("freeze_filesystems"), freezeFilesystems);
    s.setValue(QStringLiteral("freeze_limit_ms"), freezeLimitMs);
    s.setValue(QStringLiteral("refuse_inconsistent_copies"), refuseInconsistentCopies);
    s.setValue(QStringLiteral("lvm_snapshot_percent"), lvmSnapshotPercent);
    s.setValue(QStringLiteral("pre_snapshot_hook"), preSnapshotHook);
    s.setValue(QStringLiteral("post_snapshot_hook"), postSnapshotHook);
    s.setValue(QStringLiteral("agents"), agents);
    s.setValue(QStringLiteral("agent_lease_seconds"), agentLeaseSeconds);
    s.setValue(QStringLiteral("agent_operation_timeout_seconds"), agentOperationTimeoutSeconds);
    s.sync();
}

DriverSettings EngineConfig::driverSettings() const
{
    DriverSettings s;
    s.locations.insert(QStringLiteral("image"), imagePools);
    s.locations.insert(QStringLiteral("lvm"), lvmVolumeGroups);
    s.options = {{QStringLiteral("freeze_filesystems"), freezeFilesystems},
                 {QStringLiteral("freeze_limit_ms"), freezeLimitMs},
                 {QStringLiteral("lvm_snapshot_percent"), lvmSnapshotPercent},
                 {QStringLiteral("pre_snapshot_hook"), preSnapshotHook},
                 {QStringLiteral("post_snapshot_hook"), postSnapshotHook},
                 {QStringLiteral("console_state_dir"), consoleStateDir()},
                 {QStringLiteral("agent_lease_seconds"), agentLeaseSeconds},
                 {QStringLiteral("agent_operation_timeout_seconds"), agentOperationTimeoutSeconds}};
    // A driver per configured agent this console trusts; the others are named by the front end.
    QStringList remote;
    try {
        const StorageNodes nodes(consoleStateDir());
        for (const QString &text : agents) {
            const AgentAddress address = AgentAddress::parse(text);
            if (nodes.find(address) && !remote.contains(address.text()))
                remote << address.text();
        }
    } catch (const Error &) {
        // A bad address or an unreadable pin file: the front end's checks say what is wrong.
    }
    s.locations.insert(QStringLiteral("remote"), remote);
    return s;
}

QString EngineConfig::consoleStateDir() const
{
    return StorageNodes::stateDirFor(catalogPath);
}

BackupServiceOptions EngineConfig::serviceOptions() const
{
    return {repositoryRoot, defaultContainer, ProtectedPaths{imagePools, repositoryRoot, catalogPath}, refuseInconsistentCopies};
}

QString checkRestoreFileTarget(const EngineConfig &config, const QString &path, bool overwrite)
{
    return checkRestoreFileTarget(config.serviceOptions().protectedPaths, path, overwrite);
}

} // namespace ndb
