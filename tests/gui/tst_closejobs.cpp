// Closing the main window while a job runs asks first, naming the jobs: "Don't close" keeps the
// job running to its end; "Cancel jobs and quit" cancels them, waits for their cleanup, then
// closes. Without jobs the window closes at once, as before.
#include "support/guienv.h"

#include "jobs/jobhandle.h"
#include "jobspanel.h"
#include "mainwindow.h"
#include "model/status.h"

#include <QMessageBox>
#include <QPushButton>
#include <QSystemTrayIcon>
#include <QTest>

using namespace ndb;
using namespace ndbtest;

class TestCloseJobs : public QObject
{
    Q_OBJECT

    // The archive (32 MiB) at 4 MB/s: about 8 s, long enough to answer a question meanwhile.
    static JobHandle *slowBackup(GuiEnv &env, const QString &name)
    {
        BackupRequest req;
        req.volumeId = env.availableVolumeId();
        req.name = name;
        req.bandwidthLimit = 4'000'000;
        return env.engine()->submitBackup(req);
    }

private Q_SLOTS:
    void initTestCase()
    {
        useEnglishUi();
    }

    void closeAsksWhileJobsRun()
    {
        GuiEnv env;
        NDB_TRY(env.setUp());
        MainWindow window(env.engine(), env.dir() + QStringLiteral("/ndbackup.conf"));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        // "Don't close": the window stays and the job runs to its end.
        JobHandle *job = nullptr;
        NDB_TRY(job = slowBackup(env, QStringLiteral("stays")));
        QVERIFY(waitFor([&] { return window.jobsPanel()->runningCount() == 1; }, 2000));
        QVERIFY(!window.close());
        QVERIFY(window.isVisible());
        QMessageBox *question = window.closeQuestion();
        QVERIFY2(question, "closing with a running job asks nothing");
        QVERIFY(question->isVisible());
        QVERIFY2(question->text().contains(QLatin1String("backup of demo-archive")), qPrintable(question->text()));
        QVERIFY2(question->text().contains(QLatin1String("1 job not finished yet")), qPrintable(question->text()));
        saveScreenshot(question, QStringLiteral("close-question"));
        auto *stay = question->findChild<QPushButton *>(QStringLiteral("dontClose"));
        QVERIFY(stay);
        QVERIFY(question->findChild<QPushButton *>(QStringLiteral("cancelJobsAndQuit")));
        // Hiding to the tray is offered only where there is a tray (none on the offscreen platform).
        QCOMPARE(question->findChild<QPushButton *>(QStringLiteral("keepRunningInTray")) != nullptr,
                 QSystemTrayIcon::isSystemTrayAvailable());
        QTest::mouseClick(stay, Qt::LeftButton);
        QVERIFY(waitFor([&] { return window.closeQuestion() == nullptr; }, 2000));
        QVERIFY(!job->isFinished());
        QVERIFY(waitFor([&] { return job->isFinished(); }, 60000));
        QCOMPARE(job->status(), JobStatus::Succeeded);
        QVERIFY(window.isVisible());

        // "Cancel jobs and quit": the job is cancelled, cleans up, then the window closes.
        NDB_TRY(job = slowBackup(env, QStringLiteral("goes")));
        QVERIFY(waitFor([&] { return window.jobsPanel()->runningCount() == 1; }, 2000));
        QVERIFY(waitFor([&] { return job->progress().bytesDone > 0; }, 30000));
        QVERIFY(!window.close());
        question = window.closeQuestion();
        QVERIFY(question);
        QVERIFY2(question->text().contains(QLatin1String("backup of demo-archive")), qPrintable(question->text()));
        auto *cancel = question->findChild<QPushButton *>(QStringLiteral("cancelJobsAndQuit"));
        QVERIFY(cancel);
        QTest::mouseClick(cancel, Qt::LeftButton);
        QVERIFY(waitFor([&] { return job->isFinished(); }, 60000));
        QCOMPARE(job->status(), JobStatus::Cancelled);
        // Closed (the last window: the application quits), not merely hidden.
        QVERIFY(waitFor([&] { return !window.isVisible(); }, 5000));
        QVERIFY(env.temporaries().isEmpty());
        QVERIFY(!window.closeQuestion());
    }

    void closesAtOnceWithoutJobs()
    {
        GuiEnv env;
        NDB_TRY(env.setUp());
        MainWindow window(env.engine(), env.dir() + QStringLiteral("/ndbackup.conf"));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.close());
        QVERIFY(!window.closeQuestion());
    }
};

QTEST_MAIN(TestCloseJobs)
#include "tst_closejobs.moc"
