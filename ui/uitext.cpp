#include "uitext.h"

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
    if (status == JobStatus::Failed)
        return icon(QStringLiteral("step-failed"));
    if (status == JobStatus::Cancelled)
        return icon(QStringLiteral("cancel"));
    if (status == JobStatus::Running)
        return icon(QStringLiteral("step-active"));
    return icon(QStringLiteral("step-pending"));
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
