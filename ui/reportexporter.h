#pragma once
// Writes a report (core/report) to files: history and inventory CSV, HTML, and PDF rendered
// from the same HTML with QTextDocument + QPdfWriter.
#include "report/report.h"

#include <QCoreApplication>
#include <QStringList>

namespace ndb {

class ReportExporter
{
    Q_DECLARE_TR_FUNCTIONS(ndb::ReportExporter)
public:
    enum Format { Csv = 1, Html = 2, Pdf = 4 };

    // Files are <directory>/<baseName>-history.csv, -inventory.csv, .html, .pdf.
    // Returns the paths written; throws ndb::Error naming the file that could not be written.
    static QStringList exportReport(const ReportData &data, const QString &directory, const QString &baseName, int formats);
    static void writePdf(const QString &html, const QString &path);
    static void writeText(const QString &text, const QString &path);
};

} // namespace ndb
