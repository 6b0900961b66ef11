#include "uitext.h"

#include "backup/backupplan.h"
#include "model/backup.h"
#include "model/status.h"
#include "util/units.h"

#include <QLocale>

namespace ndb {

QString UiText::size(qint64 bytes)
{
    return formatSize(bytes, QLocale());
}

QString UiText::rate(double bytesPerSecond)
{
    return formatRate(bytesPerSecond, QLocale());
}

QString UiText::duration(qint64 seconds)
{
    if (seconds < 0)
        return QStringLiteral("—");
    const qint64 h = seconds / 3600, m = (seconds / 60) % 60, s = seconds % 60;
    if (h > 0)
        return QStringLiteral("%1:%2:%3").arg(h).arg(m, 2, 10, QLatin1Char('0')).arg(s, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(m).arg(s, 2, 10, QLatin1Char('0'));
}

QString UiText::dateTime(const QDateTime &t)
{
    return t.isValid() ? QLocale().toString(t.toLocalTime(), QLocale::ShortFormat) : QStringLiteral("—");
}

QString UiText::volumeStatus(const QString &status)
{
    if (status == VolumeStatus::InUse)
        return tr("in use (attached)");
    if (status == VolumeStatus::Available)
        return tr("available");
    if (status == VolumeStatus::BackingUp)
        return tr("backing up");
    if (status == VolumeStatus::RestoringBackup)
        return tr("restoring");
    if (status == VolumeStatus::Error)
        return tr("error");
    return status.isEmpty() ? tr("unknown") : status;
}

QIcon UiText::volumeStatusIcon(const QString &status)
{
    if (status == VolumeStatus::InUse)
        return icon(QStringLiteral("status-in-use"));
    if (status == VolumeStatus::Available)
        return icon(QStringLiteral("status-available"));
    if (status == VolumeStatus::BackingUp)
        return icon(QStringLiteral("status-backing-up"));
    if (status == VolumeStatus::RestoringBackup)
        return icon(QStringLiteral("status-restoring"));
    if (status == VolumeStatus::Error)
        return icon(QStringLiteral("status-error"));
    return icon(QStringLiteral("status-unknown"));
}

QColor UiText::volumeStatusColor(const QString &status)
{
    if (status == VolumeStatus::InUse)
        return QColor(0x20, 0x4a, 0x87);
    if (status == VolumeStatus::Available)
        return QColor(0x3a, 0x7a, 0x04);
    if (status == VolumeStatus::BackingUp)
        return QColor(0x9a, 0x6a, 0x00);
    if (status == VolumeStatus::RestoringBackup)
        return QColor(0x5c, 0x35, 0x66);
    if (status == VolumeStatus::Error)
        return QColor(0xa4, 0x00, 0x00);
    return QColor(0x55, 0x57, 0x53);
}

QString UiText::jobStatus(const QString &status)
{
    if (status == JobStatus::Queued)
        return tr("queued");
    if (status == JobStatus::Running)
        return tr("running");
    if (status == JobStatus::Succeeded)
        return tr("succeeded");
    if (status == JobStatus::SucceededWithWarnings)
        return tr("completed with warnings");
    if (status == JobStatus::Failed)
        return tr("failed");
    if (status == JobStatus::Cancelled)
        return tr("cancelled");
    return status;
}

QIcon UiText::jobStatusIcon(const QString &status)
{
    if (status == JobStatus::Succeeded)
        return icon(QStringLiteral("step-done"));
    if (status == JobStatus::SucceededWithWarnings)
        return icon(QStringLiteral("step-warning"));
    if (status == JobStatus::Failed)
        return icon(QStringLiteral("step-failed"));
    if (status == JobStatus::Cancelled)
        return icon(QStringLiteral("cancel"));
    if (status == JobStatus::Running)
        return icon(QStringLiteral("step-active"));
    return icon(QStringLiteral("step-pending"));
}

QColor UiText::jobStatusColor(const QString &status)
{
    if (status == JobStatus::Succeeded)
        return QColor(0x3a, 0x7a, 0x04);
    if (status == JobStatus::SucceededWithWarnings)
        return QColor(0x8a, 0x5a, 0x00);
    if (status == JobStatus::Cancelled)
        return QColor(0x9a, 0x6a, 0x00);
    if (status == JobStatus::Failed)
        return QColor(0xa4, 0x00, 0x00);
    return QColor(0x55, 0x57, 0x53);
}

QString UiText::jobOutcome(const QString &status, const QString &error)
{
    if (status == JobStatus::Succeeded)
        return tr("Finished successfully.");
    if (status == JobStatus::SucceededWithWarnings)
        return error.isEmpty() ? tr("Finished with warnings.") : tr("Finished with warnings: %1").arg(error);
    if (status == JobStatus::Cancelled)
        return tr("Cancelled. Temporary snapshots and volumes were removed.");
    return error.isEmpty() ? tr("Failed for an unknown reason.") : tr("Failed: %1").arg(error);
}

QString UiText::jobKind(const QString &kind)
{
    if (kind == QLatin1String("backup"))
        return tr("backup");
    if (kind == QLatin1String("restore"))
        return tr("restore");
    if (kind == QLatin1String("verify"))
        return tr("verify");
    if (kind == QLatin1String("delete"))
        return tr("delete");
    if (kind == QLatin1String("gc"))
        return tr("garbage collection");
    if (kind == QLatin1String("cleanup"))
        return tr("cleanup");
    return kind;
}

QString UiText::backupStatus(const QString &status)
{
    if (status == BackupStatus::Creating)
        return tr("creating");
    if (status == BackupStatus::Available)
        return tr("available");
    if (status == BackupStatus::Restoring)
        return tr("restoring");
    if (status == BackupStatus::Deleting)
        return tr("deleting");
    if (status == BackupStatus::Deleted)
        return tr("deleted");
    if (status == BackupStatus::Error)
        return tr("error");
    return status;
}

QString UiText::backupStatus(const Backup &backup)
{
    return backup.cancelled ? tr("cancelled") : backupStatus(backup.status);
}

QString UiText::consistency(const QString &consistency)
{
    if (consistency == Consistency::Detached)
        return tr("not in use, read directly");
    if (consistency == Consistency::Snapshot)
        return tr("crash-consistent snapshot");
    if (consistency == Consistency::FrozenSnapshot)
        return tr("snapshot, filesystem frozen");
    if (consistency == Consistency::FrozenCopy)
        return tr("copy, filesystem frozen");
    if (consistency == Consistency::NotPointInTime)
        return tr("not a point-in-time copy");
    return tr("unknown");
}

QString UiText::consistencyDescription(const QString &consistency)
{
    if (consistency == Consistency::Detached)
        return tr("The volume was not in use and was read directly.");
    if (consistency == Consistency::Snapshot)
        return tr("A storage snapshot taken while the volume was in use: one instant, as after a power cut "
                  "(crash-consistent).");
    if (consistency == Consistency::FrozenSnapshot)
        return tr("A storage snapshot taken while the volume's filesystem was frozen: one consistent instant.");
    if (consistency == Consistency::FrozenCopy)
        return tr("A temporary copy made while the volume's filesystem was frozen: one consistent instant.");
    if (consistency == Consistency::NotPointInTime)
        return tr("Copied while the volume was in use and may have been written: blocks written during the copy "
                  "may or may not be in it. This backup is not a point-in-time copy.");
    return tr("Not recorded (a backup made before ndbackup recorded this).");
}

QColor UiText::consistencyColor(const QString &consistency)
{
    if (consistency == Consistency::NotPointInTime)
        return QColor(0x8a, 0x5a, 0x00);
    return {};
}

QString UiText::backupPlan(const BackupPlan &plan)
{
    QString path;
    if (plan.dataPath == DataPath::Volume)
        path = tr("read directly (the volume is not in use)");
    else if (plan.consistency == Consistency::FrozenSnapshot)
        path = tr("through a temporary snapshot, with the filesystem frozen for that instant");
    else if (plan.consistency == Consistency::FrozenCopy)
        path = tr("through a temporary clone made with the filesystem frozen");
    else if (plan.consistency == Consistency::Snapshot)
        path = plan.dataPath == DataPath::Snapshot ? tr("through a temporary snapshot (reflink or storage snapshot; crash-consistent)")
                                                   : tr("through a temporary clone (one instant; crash-consistent)");
    else if (plan.consistency == Consistency::NotPointInTime)
        path = tr("WARNING: not a point-in-time copy: the storage cannot snapshot this volume and no filesystem on it "
                  "can be frozen, so it is copied while it may be written");
    else
        path = plan.dataPath == DataPath::Snapshot ? tr("through a temporary snapshot") : tr("through a temporary clone");
    return path;
}

QString UiText::phase(const QString &phase)
{
    if (phase == Phase::Prepare)
        return tr("Prepare");
    if (phase == Phase::Snapshot)
        return tr("Snapshot");
    if (phase == Phase::Attach)
        return tr("Attach");
    if (phase == Phase::Transfer)
        return tr("Transfer");
    if (phase == Phase::Detach)
        return tr("Detach");
    if (phase == Phase::Cleanup)
        return tr("Cleanup");
    if (phase == Phase::Done)
        return tr("Done");
    return phase;
}

QString UiText::level(const QString &level)
{
    if (level == QLatin1String("info"))
        return tr("info");
    if (level == QLatin1String("warning"))
        return tr("warning");
    if (level == QLatin1String("error"))
        return tr("error");
    if (level == QLatin1String("command"))
        return tr("command");
    return level;
}

QIcon UiText::icon(const QString &name)
{
    return QIcon(QStringLiteral(":/icons/%1.svg").arg(name));
}

} // namespace ndb
