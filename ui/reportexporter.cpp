#include "reportexporter.h"

#include "util/error.h"

#include <QDir>
#include <QPageLayout>
#include <QPageSize>
#include <QPdfWriter>
#include <QSaveFile>
#include <QTextDocument>

namespace ndb {

void ReportExporter::writeText(const QString &text, const QString &path)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(text.toUtf8()) < 0 || !f.commit())
        throw Error(tr("Cannot write %1: %2").arg(path, f.errorString()));
}

void ReportExporter::writePdf(const QString &html, const QString &path)
{
    QPdfWriter writer(path);
    writer.setPageSize(QPageSize(QPageSize::A4));
    writer.setPageOrientation(QPageLayout::Landscape);
    writer.setPageMargins(QMarginsF(12, 12, 12, 12), QPageLayout::Millimeter);
    writer.setResolution(300);
    writer.setTitle(tr("ndbackup report"));
    writer.setCreator(QStringLiteral("ndbackup"));
    QTextDocument doc;
    QFont font = doc.defaultFont();
    font.setPointSizeF(9);
    doc.setDefaultFont(font);
    doc.setHtml(html);
    // No explicit page size: print() then lays the document out on the writer's page in points
    // and scales to its resolution, so 9 pt stays 9 pt on paper.
    doc.print(&writer);
    if (!QFileInfo(path).exists() || QFileInfo(path).size() == 0)
        throw Error(tr("Cannot write %1").arg(path));
}

QStringList ReportExporter::exportReport(const ReportData &data, const QString &directory, const QString &baseName, int formats)
{
    if (!QDir().mkpath(directory))
        throw Error(tr("Cannot create the folder %1").arg(directory));
    const QString base = QDir(directory).filePath(baseName);
    QStringList written;
    if (formats & Csv) {
        writeText(Report::historyCsv(data), base + QStringLiteral("-history.csv"));
        writeText(Report::inventoryCsv(data), base + QStringLiteral("-inventory.csv"));
        written << base + QStringLiteral("-history.csv") << base + QStringLiteral("-inventory.csv");
    }
    const QString html = (formats & (Html | Pdf)) ? Report::html(data) : QString();
    if (formats & Html) {
        writeText(html, base + QStringLiteral(".html"));
        written << base + QStringLiteral(".html");
    }
    if (formats & Pdf) {
        writePdf(html, base + QStringLiteral(".pdf"));
        written << base + QStringLiteral(".pdf");
    }
    return written;
}

} // namespace ndb
