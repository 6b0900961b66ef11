#include "report/report.h"

#include "catalog/backupstore.h"
#include "catalog/catalog.h"
#include "catalog/jobstore.h"
#include "catalog/volumestore.h"
#include "model/status.h"
#include "util/units.h"

#include <QCoreApplication>
#include <QHash>
#include <QLocale>

namespace ndb {

namespace {

// Report texts are translated in the context "ndb::Report" (lupdate scans this file).
QString translated(const char *text)
{
    return QCoreApplication::translate("ndb::Report", text);
}

QString isoTime(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODate) : QString();
}

QString humanTime(const QDateTime &t)
{
    return t.isValid() ? QLocale().toString(t.toLocalTime(), QLocale::ShortFormat) : QStringLiteral("—");
}

qint64 durationSeconds(const Job &job)
{
    if (!job.startedAt.isValid() || !job.finishedAt.isValid())
        return -1;
    return job.startedAt.secsTo(job.finishedAt);
}

bool inRange(const QDateTime &t, const QDateTime &from, const QDateTime &to)
{
    if (!t.isValid())
        return false;
    if (from.isValid() && t < from)
        return false;
    if (to.isValid() && t > to)
        return false;
    return true;
}

QString escape(const QString &s)
{
    return s.toHtmlEscaped();
}

QString csvLine(const QStringList &fields)
{
    QStringList quoted;
    quoted.reserve(fields.size());
    for (const QString &f : fields)
        quoted << Report::csvField(f);
    return quoted.join(QLatin1Char(',')) + QStringLiteral("\r\n");
}

struct VolumeSummary
{
    int backups = 0;
    qint64 storedBytes = 0;
    const Backup *last = nullptr;
};

QHash<QString, VolumeSummary> summarise(const ReportData &data)
{
    QHash<QString, VolumeSummary> out;
    for (const Backup &b : data.backups) {
        VolumeSummary &s = out[b.volumeId];
        ++s.backups;
        s.storedBytes += b.storedBytes;
        if (!s.last || b.createdAt > s.last->createdAt)
            s.last = &b;
    }
    return out;
}

// The backup a job worked on, when it is in the report.
const Backup *backupOf(const ReportData &data, const QString &backupId)
{
    if (backupId.isEmpty())
        return nullptr;
    for (const Backup &b : data.backups)
        if (b.id == backupId)
            return &b;
    return nullptr;
}

// Consistency of a backup job's backup; empty for other jobs.
QString jobConsistency(const ReportData &data, const Job &j)
{
    const Backup *b = j.kind == QLatin1String("backup") ? backupOf(data, j.backupId) : nullptr;
    return b ? b->consistency : QString();
}

} // namespace

QString ReportData::volumeName(const QString &volumeId) const
{
    for (const Volume &v : volumes)
        if (v.id == volumeId)
            return v.name;
    for (const Backup &b : backups)
        if (b.volumeId == volumeId && !b.volumeName.isEmpty())
            return b.volumeName;
    return volumeId;
}

namespace Report {

QString backupStatusText(const Backup &backup)
{
    return backup.cancelled ? QStringLiteral("cancelled") : backup.status;
}

ReportData collect(Catalog &catalog, const QDateTime &from, const QDateTime &to)
{
    ReportData data;
    data.from = from;
    data.to = to;
    data.generatedAt = QDateTime::currentDateTimeUtc();
    HistoryFilter filter;
    filter.from = from;
    filter.to = to;
    filter.limit = 100000;
    data.jobs = JobStore(catalog).list(filter);
    data.volumes = VolumeStore(catalog).all();
    for (const Backup &b : BackupStore(catalog).list({}, false))
        if (inRange(b.createdAt, from, to))
            data.backups << b;
    std::sort(data.backups.begin(), data.backups.end(),
              [](const Backup &a, const Backup &b) { return a.createdAt > b.createdAt; });
    return data;
}

QString csvField(const QString &value)
{
    if (!value.contains(QLatin1Char(',')) && !value.contains(QLatin1Char('"'))
        && !value.contains(QLatin1Char('\n')) && !value.contains(QLatin1Char('\r')))
        return value;
    QString v = value;
    v.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + v + QLatin1Char('"');
}

QString historyCsv(const ReportData &data)
{
    QString out = csvLine({QStringLiteral("id"), QStringLiteral("kind"), QStringLiteral("volume"),
                           QStringLiteral("backup"), QStringLiteral("status"), QStringLiteral("created"),
                           QStringLiteral("started"), QStringLiteral("finished"), QStringLiteral("duration_s"),
                           QStringLiteral("bytes_done"), QStringLiteral("bytes_total"), QStringLiteral("error"),
                           QStringLiteral("consistency")});
    for (const Job &j : data.jobs) {
        const qint64 d = durationSeconds(j);
        out += csvLine({QString::number(j.id), j.kind, data.volumeName(j.volumeId), j.backupId, j.status,
                        isoTime(j.createdAt), isoTime(j.startedAt), isoTime(j.finishedAt),
                        d >= 0 ? QString::number(d) : QString(), QString::number(j.bytesDone),
                        QString::number(j.bytesTotal), j.error, jobConsistency(data, j)});
    }
    return out;
}

QString inventoryCsv(const ReportData &data)
{
    const auto summary = summarise(data);
    QString out = csvLine({QStringLiteral("id"), QStringLiteral("name"), QStringLiteral("host"),
                           QStringLiteral("driver"), QStringLiteral("size"), QStringLiteral("status"),
                           QStringLiteral("backups"), QStringLiteral("last_backup"),
                           QStringLiteral("last_result"), QStringLiteral("stored_bytes"), QStringLiteral("last_consistency")});
    for (const Volume &v : data.volumes) {
        const VolumeSummary s = summary.value(v.id);
        out += csvLine({v.id, v.name, v.host, v.driverId, QString::number(v.size), v.status,
                        QString::number(s.backups), s.last ? isoTime(s.last->createdAt) : QString(),
                        s.last ? backupStatusText(*s.last) : QString(), QString::number(s.storedBytes),
                        s.last ? s.last->consistency : QString()});
    }
    return out;
}

QString html(const ReportData &data)
{
    const QLocale locale;
    const auto summary = summarise(data);
    int succeeded = 0, failed = 0, cancelled = 0, warnings = 0;
    for (const Job &j : data.jobs) {
        if (jobSucceeded(j.status)) {
            ++succeeded;
            if (j.status == JobStatus::SucceededWithWarnings)
                ++warnings;
        } else if (j.status == JobStatus::Failed)
            ++failed;
        else if (j.status == JobStatus::Cancelled)
            ++cancelled;
    }

    QString h;
    h += QStringLiteral("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">");
    h += QStringLiteral("<title>%1</title>").arg(escape(QCoreApplication::translate("ndb::Report", "ndbackup report")));
    h += QStringLiteral("<style>body{font-family:sans-serif;font-size:10pt}"
                        "table{border-collapse:collapse;width:100%}"
                        "th,td{border:1px solid #999;padding:3px 6px;text-align:left}"
                        "th{background:#dde4ee}.failed{color:#a40000}.warning{color:#8a5a00}</style></head><body>\n");
    h += QStringLiteral("<h1>%1</h1>\n").arg(escape(QCoreApplication::translate("ndb::Report", "ndbackup report")));
    h += QStringLiteral("<p>%1: %2 – %3<br>%4: %5</p>\n")
             .arg(escape(QCoreApplication::translate("ndb::Report", "Period")), escape(data.from.isValid() ? humanTime(data.from) : QCoreApplication::translate("ndb::Report", "beginning")),
                  escape(data.to.isValid() ? humanTime(data.to) : QCoreApplication::translate("ndb::Report", "now")), escape(QCoreApplication::translate("ndb::Report", "Generated")),
                  escape(humanTime(data.generatedAt)));
    h += QStringLiteral("<p>%1: %2 · %3: %4 (%9: %10) · %5: %6 · %7: %8</p>\n")
             .arg(escape(QCoreApplication::translate("ndb::Report", "Jobs")), QString::number(data.jobs.size()), escape(QCoreApplication::translate("ndb::Report", "succeeded")),
                  QString::number(succeeded), escape(QCoreApplication::translate("ndb::Report", "failed")), QString::number(failed),
                  escape(QCoreApplication::translate("ndb::Report", "cancelled")), QString::number(cancelled),
                  escape(QCoreApplication::translate("ndb::Report", "with warnings")))
             .arg(warnings);

    h += QStringLiteral("<h2>%1</h2>\n<table width=\"100%\" cellspacing=\"0\" cellpadding=\"3\" border=\"1\">\n<tr>").arg(escape(QCoreApplication::translate("ndb::Report", "Inventory")));
    for (const char *c : {QT_TRANSLATE_NOOP("ndb::Report", "Volume"), QT_TRANSLATE_NOOP("ndb::Report", "Host"),
                          QT_TRANSLATE_NOOP("ndb::Report", "Driver"), QT_TRANSLATE_NOOP("ndb::Report", "Size"),
                          QT_TRANSLATE_NOOP("ndb::Report", "Status"), QT_TRANSLATE_NOOP("ndb::Report", "Backups"),
                          QT_TRANSLATE_NOOP("ndb::Report", "Last backup"),
                          QT_TRANSLATE_NOOP("ndb::Report", "Last result"), QT_TRANSLATE_NOOP("ndb::Report", "Consistency")})
        h += QStringLiteral("<th>%1</th>").arg(escape(translated(c)));
    h += QStringLiteral("</tr>\n");
    for (const Volume &v : data.volumes) {
        const VolumeSummary s = summary.value(v.id);
        h += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td><td>%4</td><td>%5</td><td>%6</td><td>%7</td><td>%8</td><td>%9</td></tr>\n")
                 .arg(escape(v.name), escape(v.host), escape(v.driverId),
                      escape(formatSize(v.size, locale)), escape(v.status), QString::number(s.backups),
                      escape(s.last ? humanTime(s.last->createdAt) : QStringLiteral("—")),
                      escape(s.last ? backupStatusText(*s.last) : QStringLiteral("—")),
                      escape(s.last ? s.last->consistency : QStringLiteral("—")));
    }
    h += QStringLiteral("</table>\n");

    h += QStringLiteral("<h2>%1</h2>\n<table width=\"100%\" cellspacing=\"0\" cellpadding=\"3\" border=\"1\">\n<tr>").arg(escape(QCoreApplication::translate("ndb::Report", "History")));
    for (const char *c : {QT_TRANSLATE_NOOP("ndb::Report", "Job"), QT_TRANSLATE_NOOP("ndb::Report", "Kind"),
                          QT_TRANSLATE_NOOP("ndb::Report", "Volume"), QT_TRANSLATE_NOOP("ndb::Report", "Status"),
                          QT_TRANSLATE_NOOP("ndb::Report", "Started"), QT_TRANSLATE_NOOP("ndb::Report", "Duration"),
                          QT_TRANSLATE_NOOP("ndb::Report", "Bytes"), QT_TRANSLATE_NOOP("ndb::Report", "Error"),
                          QT_TRANSLATE_NOOP("ndb::Report", "Consistency")})
        h += QStringLiteral("<th>%1</th>").arg(escape(translated(c)));
    h += QStringLiteral("</tr>\n");
    for (const Job &j : data.jobs) {
        const qint64 d = durationSeconds(j);
        const QString rowClass = j.status == JobStatus::Failed ? QStringLiteral(" class=\"failed\"")
                                 : j.status == JobStatus::SucceededWithWarnings ? QStringLiteral(" class=\"warning\"")
                                                                                 : QString();
        h += QStringLiteral("<tr%9><td>%1</td><td>%2</td><td>%3</td><td>%4</td><td>%5</td><td>%6</td><td>%7</td><td>%8</td>")
                 .arg(QString::number(j.id), escape(j.kind), escape(data.volumeName(j.volumeId)), escape(j.status),
                      escape(humanTime(j.startedAt.isValid() ? j.startedAt : j.createdAt)),
                      d >= 0 ? QStringLiteral("%1 s").arg(d) : QStringLiteral("—"),
                      escape(formatSize(j.bytesDone, locale)), escape(j.error), rowClass);
        h += QStringLiteral("<td>%1</td></tr>\n").arg(escape(jobConsistency(data, j)));
    }
    h += QStringLiteral("</table>\n</body></html>\n");
    return h;
}

} // namespace Report
} // namespace ndb
