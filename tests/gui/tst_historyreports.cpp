// History lists a finished job with its events and charts its backups; the reports dialog
// exports CSV, HTML and PDF whose contents are checked (the PDF through pdftotext).
#include "support/guienv.h"

#include "backupchartview.h"
#include "historyview.h"
#include "jobs/jobhandle.h"
#include "mainwindow.h"
#include "model/status.h"
#include "reportexporter.h"
#include "reportsdialog.h"
#include "util/commandrunner.h"
#include "util/error.h"

#include <QFile>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTest>
#include <QTreeWidget>
#include <QtCharts/QChart>

using namespace ndb;
using namespace ndbtest;

namespace {
QString readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

JobHandle *runBackup(Engine *engine, const QString &volumeId, const QString &name, bool force)
{
    BackupRequest r;
    r.volumeId = volumeId;
    r.name = name;
    r.description = QStringLiteral("weekly"); // (a null description is refused by the catalog)
    r.force = force;
    JobHandle *job = engine->submitBackup(r);
    waitFor([job] { return job->isFinished(); }, 120000);
    return job;
}
} // namespace

class TestHistoryReports : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        useEnglishUi();
        if (QStandardPaths::findExecutable(QStringLiteral("pdftotext")).isEmpty())
            QFAIL("pdftotext (poppler-utils) is needed to check the PDF report; install it");
    }

    void historyAndReports()
    {
        GuiEnv env;
        NDB_TRY(env.setUp());
        const QString db = env.inUseVolumeId();
        const QString archive = env.availableVolumeId();
        JobHandle *first = nullptr, *second = nullptr, *third = nullptr;
        NDB_TRY(first = runBackup(env.engine(), db, QStringLiteral("db monday"), true));
        NDB_TRY(second = runBackup(env.engine(), archive, QStringLiteral("archive monday"), false));
        NDB_TRY(third = runBackup(env.engine(), db, QStringLiteral("db tuesday"), true));
        QVERIFY2(first->status() == JobStatus::Succeeded, qPrintable(first->error()));
        QVERIFY2(second->status() == JobStatus::Succeeded, qPrintable(second->error()));
        QCOMPARE(second->status(), JobStatus::Succeeded);
        QCOMPARE(third->status(), JobStatus::Succeeded);
        // A refused request (no force) creates nothing, so it is not in the history either.
        BackupRequest refused;
        refused.volumeId = db;
        refused.name = QStringLiteral("refused");
        QVERIFY_THROWS_EXCEPTION(Error, env.engine()->submitBackup(refused));

        MainWindow window(env.engine(), env.dir() + QStringLiteral("/ndbackup.conf"));
        window.resize(1200, 720);
        window.show();
        window.showHistory();
        HistoryView *history = window.historyView();
        QCOMPARE(history->shownJobs().size(), 3);
        QVERIFY(history->selectJob(first->id()));
        QTreeWidget *log = history->eventLog();
        QVERIFY2(log->topLevelItemCount() >= 3, qPrintable(QString::number(log->topLevelItemCount())));
        QStringList phases, messages;
        for (int i = 0; i < log->topLevelItemCount(); ++i) {
            phases << log->topLevelItem(i)->text(1);
            messages << log->topLevelItem(i)->text(3);
        }
        QVERIFY2(phases.contains(QStringLiteral("Snapshot")) || phases.contains(QStringLiteral("Attach")),
                 qPrintable(phases.join(QLatin1Char(','))));
        QVERIFY2(phases.contains(QStringLiteral("Transfer")), qPrintable(phases.join(QLatin1Char(','))));
        QVERIFY2(phases.contains(QStringLiteral("Cleanup")), qPrintable(phases.join(QLatin1Char(','))));
        saveScreenshot(&window, QStringLiteral("history"));

        // Filters: by volume, by status.
        history->setVolumeFilter(archive);
        QCOMPARE(history->shownJobs().size(), 1);
        QCOMPARE(history->shownJobs().first().id, second->id());
        history->setVolumeFilter(QString());
        history->setStatusFilter(JobStatus::Failed);
        QCOMPARE(history->shownJobs().size(), 0);
        history->setStatusFilter(JobStatus::Succeeded);
        QCOMPARE(history->shownJobs().size(), 3);
        history->setDateRange(QDate::currentDate().addDays(-10), QDate::currentDate().addDays(-5));
        QCOMPARE(history->shownJobs().size(), 0);
        history->setDateRange(QDate::currentDate().addDays(-1), QDate::currentDate());
        QCOMPARE(history->shownJobs().size(), 3);
        history->setStatusFilter(QString());

        // Charts: one line per volume, in both charts.
        QCOMPARE(history->chart()->seriesCount(), 2);
        QCOMPARE(history->chart()->durationChart()->series().size(), 2);
        history->tabs()->setCurrentIndex(1);
        saveScreenshot(&window, QStringLiteral("history-charts"));
        history->tabs()->setCurrentIndex(0);

        // Reports.
        ReportsDialog dialog(env.engine(), &window);
        dialog.setRange(QDate::currentDate().addDays(-1), QDate::currentDate());
        const QString outDir = env.dir() + QStringLiteral("/reports");
        dialog.setDirectory(outDir);
        dialog.setFormats(ReportExporter::Csv | ReportExporter::Html | ReportExporter::Pdf);
        dialog.show();
        const QStringList files = dialog.exportNow();
        QVERIFY2(dialog.lastError().isEmpty(), qPrintable(dialog.lastError()));
        QCOMPARE(files.size(), 4);

        const QString history_csv = readAll(outDir + QLatin1Char('/') + dialog.baseName() + QStringLiteral("-history.csv"));
        const QStringList rows = history_csv.split(QStringLiteral("\r\n"), Qt::SkipEmptyParts);
        QCOMPARE(rows.size(), 4); // header + 3 jobs
        QVERIFY(rows.first().startsWith(QStringLiteral("id,kind,volume,backup,status")));
        QVERIFY2(rows.first().endsWith(QStringLiteral(",consistency")), qPrintable(rows.first()));
        int dbRows = 0;
        for (const QString &row : rows.mid(1)) {
            QVERIFY2(row.contains(QStringLiteral(",backup,")) && row.contains(QStringLiteral(",succeeded,")), qPrintable(row));
            if (row.contains(QStringLiteral(",demo-database,")))
                ++dbRows;
            // Each backup's consistency (btrfs pool: a reflink snapshot of the in-use volume, the
            // available one read directly).
            QVERIFY2(row.endsWith(QLatin1String(row.contains(QStringLiteral(",demo-database,")) ? ",snapshot" : ",detached")), qPrintable(row));
        }
        QCOMPARE(dbRows, 2);
        const QString inventory = readAll(outDir + QLatin1Char('/') + dialog.baseName() + QStringLiteral("-inventory.csv"));
        QVERIFY(inventory.contains(QStringLiteral(",demo-database,")));
        QVERIFY(inventory.contains(QStringLiteral(",demo-archive,")));
        QVERIFY2(inventory.contains(QStringLiteral(",in-use,2,")), qPrintable(inventory));
        QVERIFY2(inventory.contains(QStringLiteral(",available,1,")), qPrintable(inventory));
        QVERIFY2(inventory.startsWith(QStringLiteral("id,")) && inventory.section(QStringLiteral("\r\n"), 0, 0).endsWith(QStringLiteral(",last_consistency")),
                 qPrintable(inventory));

        const QString html = readAll(outDir + QLatin1Char('/') + dialog.baseName() + QStringLiteral(".html"));
        QVERIFY(html.startsWith(QStringLiteral("<!DOCTYPE html>")));
        QVERIFY(html.contains(QStringLiteral("<h2>Inventory</h2>")));
        QVERIFY(html.contains(QStringLiteral("<h2>History</h2>")));
        QCOMPARE(html.count(QStringLiteral("<td>demo-database</td>")), 3); // inventory + 2 jobs
        QCOMPARE(html.count(QStringLiteral("<td>succeeded</td>")), 3);
        QCOMPARE(html.count(QStringLiteral("<th>Consistency</th>")), 2); // inventory and history
        QVERIFY(html.contains(QStringLiteral("<td>snapshot</td>")) && html.contains(QStringLiteral("<td>detached</td>")));

        const QString pdf = outDir + QLatin1Char('/') + dialog.baseName() + QStringLiteral(".pdf");
        QVERIFY(readAll(pdf).startsWith(QStringLiteral("%PDF-")));
        const CommandResult text = CommandRunner::run(QStringLiteral("pdftotext"),
                                                      {QStringLiteral("-layout"), pdf, QStringLiteral("-")});
        QVERIFY2(text.ok(), qPrintable(text.errorText()));
        const QString pdfText = QString::fromUtf8(text.stdOut);
        QVERIFY2(pdfText.contains(QStringLiteral("ndbackup report")), qPrintable(pdfText));
        QVERIFY(pdfText.contains(QStringLiteral("Inventory")));
        QVERIFY(pdfText.contains(QStringLiteral("demo-archive")));
        QCOMPARE(pdfText.count(QStringLiteral("demo-database")), 3);
        QCOMPARE(pdfText.count(QStringLiteral("succeeded")), 4); // summary line + 3 rows
        saveScreenshot(&dialog, QStringLiteral("reports-dialog"));
        // The PDF's first page as a picture, to be looked at (pdftoppm is part of poppler-utils too).
        const QString shots = screenshotDir();
        const CommandResult page = CommandRunner::run(QStringLiteral("pdftoppm"),
                                                      {QStringLiteral("-png"), QStringLiteral("-r"), QStringLiteral("70"),
                                                       QStringLiteral("-singlefile"), QStringLiteral("-f"), QStringLiteral("1"),
                                                       pdf, shots + QStringLiteral("/report-pdf")});
        QVERIFY2(page.ok(), qPrintable(page.errorText()));

        // A period without jobs still writes valid files, with no job rows.
        dialog.setRange(QDate::currentDate().addDays(-20), QDate::currentDate().addDays(-10));
        dialog.setFormats(ReportExporter::Csv);
        QCOMPARE(dialog.exportNow().size(), 2);
        QCOMPARE(readAll(outDir + QLatin1Char('/') + dialog.baseName() + QStringLiteral("-history.csv"))
                     .split(QStringLiteral("\r\n"), Qt::SkipEmptyParts).size(), 1);
    }

    void csvQuoting()
    {
        QCOMPARE(Report::csvField(QStringLiteral("plain")), QStringLiteral("plain"));
        QCOMPARE(Report::csvField(QStringLiteral("a,b")), QStringLiteral("\"a,b\""));
        QCOMPARE(Report::csvField(QStringLiteral("say \"hi\"")), QStringLiteral("\"say \"\"hi\"\"\""));
        QCOMPARE(Report::csvField(QStringLiteral("two\nlines")), QStringLiteral("\"two\nlines\""));
    }
};

QTEST_MAIN(TestHistoryReports)
#include "tst_historyreports.moc"
