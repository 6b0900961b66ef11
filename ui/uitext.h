#pragma once
// Words, numbers and icons the whole UI shows for statuses, phases, sizes and times, in one
// place so that every view spells them the same and every string goes through tr().
#include <QColor>
#include <QCoreApplication>
#include <QDateTime>
#include <QIcon>
#include <QString>

namespace ndb {

struct Backup;
struct BackupPlan;

class UiText
{
    Q_DECLARE_TR_FUNCTIONS(ndb::UiText)
public:
    static QString size(qint64 bytes);
    static QString rate(double bytesPerSecond);
    static QString duration(qint64 seconds); // "1:05:03", "4:12", "0:07"; "—" when < 0
    static QString dateTime(const QDateTime &t);

    // Volume status: text that reads without colour, an icon with its own shape, a colour.
    static QString volumeStatus(const QString &status);
    static QIcon volumeStatusIcon(const QString &status);
    static QColor volumeStatusColor(const QString &status);

    static QString jobStatus(const QString &status);
    static QIcon jobStatusIcon(const QString &status);
    // Green only for a clean success; "completed with warnings" has its own amber.
    static QColor jobStatusColor(const QString &status);
    // The sentence a finished job's card shows ("Finished successfully." ...).
    static QString jobOutcome(const QString &status, const QString &error);
    static QString jobKind(const QString &kind);
    static QString backupStatus(const QString &status);
    static QString backupStatus(const Backup &backup); // "cancelled" for a cancelled one
    // How a backup's copy was taken (Consistency): a few words, and a sentence for tooltips.
    static QString consistency(const QString &consistency);
    static QString consistencyDescription(const QString &consistency);
    static QColor consistencyColor(const QString &consistency);
    // The data path a backup will take, as the backup wizard's summary says it.
    static QString backupPlan(const BackupPlan &plan);
    static QString phase(const QString &phase);
    static QString level(const QString &level);

    static QIcon icon(const QString &name); // :/icons/<name>.svg
};

} // namespace ndb
