#pragma once
// History and inventory reports as text (CSV, HTML). Shared by the GUI's report dialog and the
// CLI; no widgets here. PDF is rendered from the HTML by the GUI (it needs QtGui).
#include "model/backup.h"
#include "model/job.h"
#include "model/volume.h"

#include <QDateTime>
#include <QList>
#include <QString>

namespace ndb {

class Catalog;

// Everything one report covers, gathered once so that every format shows the same rows.
struct ReportData
{
    QDateTime from; // inclusive; invalid = open
    QDateTime to;   // inclusive; invalid = open
    QDateTime generatedAt;
    QList<Job> jobs;       // jobs created in the range, newest first
    QList<Volume> volumes; // current inventory
    QList<Backup> backups; // backups created in the range, newest first

    // Convenience: the name of a volume id, or the id itself when the volume is gone.
    QString volumeName(const QString &volumeId) const;
};

namespace Report {

// Front ends ask Engine::report(), which passes its catalog connection.
ReportData collect(Catalog &catalog, const QDateTime &from, const QDateTime &to);

// One row per job: id, kind, volume, backup, status, created, started, finished, duration_s,
// bytes_done, bytes_total, error, consistency (of a backup job's backup). RFC 4180 quoting, UTF-8, CRLF line ends.
QString historyCsv(const ReportData &data);
// One row per volume: id, name, host, driver, size, status, backups, last_backup, last_result,
// stored_bytes (in the range), last_consistency.
QString inventoryCsv(const ReportData &data);
// A self-contained HTML document with a summary, the inventory and the history (both sections).
QString html(const ReportData &data);

// A backup's status as people read it: "cancelled" for a cancelled one (catalog status `error`).
QString backupStatusText(const Backup &backup);

// Quotes one CSV field when needed.
QString csvField(const QString &value);

} // namespace Report
} // namespace ndb
