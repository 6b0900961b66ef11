#pragma once
// Words, numbers and icons the whole UI shows for statuses, phases, sizes and times, in one
// place so that every view spells them the same and every string goes through tr().
#include <QColor>
#include <QCoreApplication>
#include <QDateTime>
#include <QIcon>
#include <QString>

namespace ndb {

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
    static QString jobKind(const QString &kind);
    static QString backupStatus(const QString &status);
    static QString phase(const QString &phase);
    static QString level(const QString &level);

    static QIcon icon(const QString &name); // :/icons/<name>.svg
};

} // namespace ndb
