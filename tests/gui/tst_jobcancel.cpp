// Cancel from the jobs panel: the job ends cancelled, its temporaries are gone from the storage,
// the volume is in use again and the panel says so in words.
#include "support/guienv.h"

#include "backupwizard.h"
#include "jobs/jobhandle.h"
#include "jobspanel.h"
#include "jobwidget.h"
#include "mainwindow.h"
#include "model/status.h"
#include "volumemodel.h"

#include <QCheckBox>
#include <QPushButton>
#include <QSpinBox>
#include <QTest>

using namespace ndb;
using namespace ndbtest;

class TestJobCancel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        useEnglishUi();
    }

    void cancelFromJobsPanel()
    {
        GuiEnv env;
        NDB_TRY(env.setUp());
        MainWindow window(env.engine(), env.dir() + QStringLiteral("/ndbackup.conf"));
        window.jobsPanel()->setKeepFinishedFor(60000);
        window.show();
        const QString db = env.inUseVolumeId();

        BackupWizard wizard(env.engine(), window.volumeModel()->volumes(), {db}, &window);
        wizard.show();
        wizard.next();
        wizard.detailsPage()->bandwidthSpin()->setValue(4); // 64 MiB at 4 MB/s: ~16 s
        wizard.next();
        QCOMPARE(wizard.currentId(), int(BackupWizard::ForcePageId));
        wizard.forcePage()->forceCheckBox()->setChecked(true);
        wizard.next();
        wizard.accept();
        QCOMPARE(wizard.launchedJobs().size(), 1);
        JobHandle *job = wizard.launchedJobs().first();
        QVERIFY(waitFor([&] { return window.jobsPanel()->widgetFor(job->id()) != nullptr; }, 2000));
        JobWidget *w = window.jobsPanel()->widgetFor(job->id());

        // Cancel in the middle of the transfer, while the temporary snapshot exists.
        QVERIFY2(waitFor([&] { return w->currentPhase() == Phase::Transfer && w->percent() >= 5; }, 60000),
                 qPrintable(QStringLiteral("phase %1, %2%").arg(w->currentPhase()).arg(w->percent())));
        QVERIFY(!env.temporaries().isEmpty()); // the snapshot being read
        QCOMPARE(window.volumeModel()->volume(db).status, VolumeStatus::BackingUp);
        QVERIFY(w->cancelButton()->isEnabled());
        QTest::mouseClick(w->cancelButton(), Qt::LeftButton);

        QVERIFY2(waitFor([&] { return w->isFinished(); }, 60000), "cancelled job did not end");
        QCOMPARE(job->status(), JobStatus::Cancelled);
        QVERIFY(w->percent() < 100);
        QVERIFY2(w->outcomeText().contains(QStringLiteral("Cancelled")), qPrintable(w->outcomeText()));
        QCOMPARE(w->stepState(Phase::Cleanup), QStringLiteral("done"));
        QVERIFY2(env.temporaries().isEmpty(), qPrintable(env.temporaries().join(QLatin1Char(' '))));
        QVERIFY(waitFor([&] { return window.volumeModel()->volume(db).status == VolumeStatus::InUse; }, 5000));

        // The history has it as cancelled, and the backup record is not restorable.
        HistoryFilter f;
        f.volumeId = db;
        const QList<Job> jobs = env.engine()->jobs(f);
        QCOMPARE(jobs.size(), 1);
        QCOMPARE(jobs.first().status, JobStatus::Cancelled);
        for (const Backup &b : env.engine()->backups(db))
            QVERIFY(b.status != BackupStatus::Available);

        // It leaves the panel after its moment of fame.
        window.jobsPanel()->setKeepFinishedFor(0);
        BackupWizard again(env.engine(), window.volumeModel()->volumes(), {env.availableVolumeId()}, &window);
        again.show();
        again.next();
        again.next();
        again.accept();
        JobHandle *second = again.launchedJobs().value(0);
        QVERIFY(second);
        QVERIFY(waitFor([&] { return second->isFinished(); }, 60000));
        QCOMPARE(second->status(), JobStatus::Succeeded);
        QVERIFY(waitFor([&] { return window.jobsPanel()->widgetFor(second->id()) == nullptr; }, 2000));
    }
};

QTEST_MAIN(TestJobCancel)
#include "tst_jobcancel.moc"
