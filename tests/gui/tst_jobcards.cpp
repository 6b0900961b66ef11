// Job cards in the Jobs panel (English): a failed job stays with its full reason until dismissed,
// a job that succeeded with warnings is amber and stays too, a restore says what it writes, and
// sizes are binary units (32 MiB volume = "32.0 MiB") in the GUI, the CLI and the event log.
#include "support/ctlrunner.h"
#include "support/guienv.h"

#include "jobs/jobhandle.h"
#include "jobspanel.h"
#include "jobwidget.h"
#include "mainwindow.h"
#include "model/status.h"
#include "uitext.h"
#include "volumemodel.h"

#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QLabel>
#include <QProcess>
#include <QPushButton>
#include <QRegularExpression>
#include <QStatusBar>
#include <QTest>

using namespace ndb;
using namespace ndbtest;

class TestJobCards : public QObject
{
    Q_OBJECT

    static QLabel *jobsLabel(MainWindow &window)
    {
        for (QLabel *l : window.statusBar()->findChildren<QLabel *>())
            if (l->text().contains(QLatin1String("running")))
                return l;
        return nullptr;
    }

private Q_SLOTS:
    void initTestCase()
    {
        useEnglishUi();
    }

    // "%n job(s)" reads as English: 1 job, 2 jobs (the English .ts carries the plural forms).
    void englishPlurals()
    {
        auto tr = [](const char *context, const char *source, int n) {
            return QCoreApplication::translate(context, source, nullptr, n);
        };
        QCOMPARE(tr("ndb::MainWindow", "%n job(s) running", 0), QStringLiteral("0 jobs running"));
        QCOMPARE(tr("ndb::MainWindow", "%n job(s) running", 1), QStringLiteral("1 job running"));
        QCOMPARE(tr("ndb::MainWindow", "%n job(s) running", 2), QStringLiteral("2 jobs running"));
        QCOMPARE(tr("ndb::MainWindow", "%n volume(s)", 1), QStringLiteral("1 volume"));
        QCOMPARE(tr("ndb::MainWindow", "%n volume(s)", 2), QStringLiteral("2 volumes"));
        QCOMPARE(tr("ndb::HistoryView", "Event log of job %1 (%n event(s))", 14), QStringLiteral("Event log of job %1 (14 events)"));
        QCOMPARE(tr("ndb::HistoryView", "Event log of job %1 (%n event(s))", 1), QStringLiteral("Event log of job %1 (1 event)"));
        QCOMPARE(tr("ndb::ReportsDialog", "Written (%n job(s)):", 1), QStringLiteral("Written (1 job):"));
    }

    void failedCardStaysUntilDismissed()
    {
        GuiEnv env;
        NDB_TRY(env.setUp());
        MainWindow window(env.engine(), env.dir() + QStringLiteral("/ndbackup.conf"));
        window.jobsPanel()->setKeepFinishedFor(0);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY2(window.statusText().startsWith(QStringLiteral("2 volumes · 1 in use · 0 busy")), qPrintable(window.statusText()));
        QVERIFY(jobsLabel(window));
        QCOMPARE(jobsLabel(window)->text(), QStringLiteral("0 jobs running"));

        // The archive's image disappears behind the catalog's back: its backup fails on the storage.
        const QString archive = env.availableVolumeId();
        QVERIFY(QFile::remove(env.imagePath(QStringLiteral("demo-archive"))));
        BackupRequest req;
        req.volumeId = archive;
        req.name = QStringLiteral("doomed");
        JobHandle *job = nullptr;
        NDB_TRY(job = env.engine()->submitBackup(req));
        QVERIFY(waitFor([&] { return window.jobsPanel()->widgetFor(job->id()) != nullptr; }, 2000));
        JobWidget *w = window.jobsPanel()->widgetFor(job->id());
        QVERIFY(waitFor([&] { return job->isFinished(); }, 60000));
        QCOMPARE(job->status(), JobStatus::Failed);
        QVERIFY(!job->error().isEmpty());

        // Still there after the time a succeeded card would have left, with the whole reason.
        QTest::qWait(500);
        QVERIFY2(window.jobsPanel()->widgetFor(job->id()) == w, "the failed job's card left the panel");
        QVERIFY(w->needsAttention());
        QVERIFY2(w->outcomeText().contains(job->error()), qPrintable(w->outcomeText()));
        bool selectable = false;
        for (QLabel *l : w->findChildren<QLabel *>())
            if (l->text() == w->outcomeText())
                selectable = l->wordWrap() && (l->textInteractionFlags() & Qt::TextSelectableByMouse);
        QVERIFY2(selectable, "the reason is wrapped and can be selected (copied)");
        QVERIFY(w->dismissButton()->isVisible());
        saveScreenshot(window.jobsDock(), QStringLiteral("jobcard-failed"));

        QTest::mouseClick(w->dismissButton(), Qt::LeftButton);
        QVERIFY(waitFor([&] { return window.jobsPanel()->widgetFor(job->id()) == nullptr; }, 2000));
    }

    // The engine says "succeeded-with-warnings" (e.g. not a point-in-time copy): amber, stays.
    void warningsCardStays()
    {
        JobsPanel panel(nullptr);
        panel.setKeepFinishedFor(0);
        panel.resize(460, 400);
        panel.show();
        JobHandle handle(4711, QStringLiteral("backup"), QStringLiteral("demo-database"));
        panel.addJob(&handle);
        JobWidget *w = panel.widgetFor(4711);
        QVERIFY(w);
        QVERIFY(!w->dismissButton()->isVisible());
        handle.onFinished(JobStatus::SucceededWithWarnings, QStringLiteral("not a point-in-time copy: the filesystem could not be frozen"), {});
        QTest::qWait(300);
        QVERIFY2(panel.widgetFor(4711) == w, "the card of a job with warnings left the panel");
        QVERIFY(w->needsAttention());
        QVERIFY2(w->outcomeText().startsWith(QStringLiteral("Finished with warnings: not a point-in-time copy")), qPrintable(w->outcomeText()));
        QVERIFY(!w->outcomeText().contains(QLatin1String("successfully")));
        QCOMPARE(w->percent(), 100);
        QVERIFY(w->dismissButton()->isVisible());
        for (QLabel *l : w->findChildren<QLabel *>())
            if (l->text() == w->outcomeText())
                QVERIFY2(l->styleSheet().contains(UiText::jobStatusColor(JobStatus::SucceededWithWarnings).name())
                             && !l->styleSheet().contains(UiText::jobStatusColor(JobStatus::Succeeded).name()),
                         qPrintable(l->styleSheet()));
        QTest::mouseClick(w->dismissButton(), Qt::LeftButton);
        QVERIFY(waitFor([&] { return panel.widgetFor(4711) == nullptr; }, 2000));
    }

    // One convention: binary units for sizes in the GUI, the CLI and the event log; MB/s for rates.
    // A restore's card says it writes to the target (nothing is "stored" by a restore).
    void sizesAndRestoreWords()
    {
        GuiEnv env;
        NDB_TRY(env.setUp());
        MainWindow window(env.engine(), env.dir() + QStringLiteral("/ndbackup.conf"));
        window.jobsPanel()->setKeepFinishedFor(60000);
        window.show();
        const QString archive = env.availableVolumeId();
        QCOMPARE(window.volumeModel()->indexOfVolume(archive, VolumeModel::SizeColumn).data().toString(),
                 QStringLiteral("32.0 MiB"));
        QCOMPARE(UiText::rate(4e6), QStringLiteral("4.0 MB/s"));

        // The CLI on the same pool says the same.
        QVERIFY2(!ctlPath().isEmpty() && QFile::exists(ctlPath()), qPrintable(ctlPath()));
        QProcess ctl;
        ctl.start(ctlPath(), {QStringLiteral("--catalog"), env.dir() + QStringLiteral("/cli.sqlite"),
                              QStringLiteral("--repository-root"), env.dir() + QStringLiteral("/cli-repository"),
                              QStringLiteral("--pool"), env.poolPath(), QStringLiteral("volumes")});
        QVERIFY(ctl.waitForFinished(60000));
        const QString listing = QString::fromUtf8(ctl.readAllStandardOutput());
        QVERIFY2(ctl.exitCode() == 0, qPrintable(listing + QString::fromUtf8(ctl.readAllStandardError())));
        const QString archiveLine = listing.split(QLatin1Char('\n')).filter(QStringLiteral("demo-archive")).value(0);
        QVERIFY2(archiveLine.contains(QLatin1String("32.0 MiB")), qPrintable(listing));

        BackupRequest req;
        req.volumeId = archive;
        req.name = QStringLiteral("units");
        req.bandwidthLimit = 16'000'000; // several progress events
        JobHandle *backup = nullptr;
        NDB_TRY(backup = env.engine()->submitBackup(req));
        QVERIFY(waitFor([&] { return backup->isFinished(); }, 60000));
        QCOMPARE(backup->status(), JobStatus::Succeeded);
        QStringList messages;
        for (const JobEvent &e : env.engine()->jobEvents(backup->id()))
            messages << e.message;
        const QString log = messages.join(QLatin1Char('\n'));
        QVERIFY2(log.contains(QLatin1String("32.0 MiB")), qPrintable(log));
        static const QRegularExpression decimalSize(QStringLiteral("\\d \\b(kB|MB|GB)\\b(?!/s)"));
        QVERIFY2(!log.contains(decimalSize), qPrintable(log));

        RestoreRequest restore;
        restore.backupId = backup->resultId();
        restore.target = RestoreRequest::Target::File;
        restore.filePath = env.dir() + QStringLiteral("/restored.img");
        JobHandle *job = nullptr;
        NDB_TRY(job = env.engine()->submitRestore(restore));
        QVERIFY(waitFor([&] { return window.jobsPanel()->widgetFor(job->id()) != nullptr; }, 2000));
        JobWidget *w = window.jobsPanel()->widgetFor(job->id());
        QStringList seen;
        connect(job, &JobHandle::progressChanged, this, [&] { seen << w->detailsText(); });
        QVERIFY(waitFor([&] { return job->isFinished(); }, 60000));
        QCOMPARE(job->status(), JobStatus::Succeeded);
        seen << w->detailsText();
        const QString all = seen.join(QLatin1Char('\n'));
        QVERIFY2(all.contains(QLatin1String("written 32.0 MiB of 32.0 MiB to the target")), qPrintable(all));
        QVERIFY2(!all.contains(QLatin1String("stored")), qPrintable(all));
    }
};

QTEST_MAIN(TestJobCards)
#include "tst_jobcards.moc"
