// The backup wizard on real image volumes: an in-use volume keeps Next disabled on the force
// page until force is checked; the job then runs, its progress widget advances and the volume
// shows backing-up and then in-use again. Available volumes are never asked for force.
#include "support/guienv.h"

#include "backupwizard.h"
#include "engine/demopool.h"
#include "jobs/jobhandle.h"
#include "jobspanel.h"
#include "jobwidget.h"
#include "mainwindow.h"
#include "model/status.h"
#include "volumemodel.h"

#include <QAbstractButton>
#include <QCheckBox>
#include <QDockWidget>
#include <QLineEdit>
#include <QTreeView>
#include <QSpinBox>
#include <QTest>

using namespace ndb;
using namespace ndbtest;

class TestBackupWizard : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        useEnglishUi();
    }

    void availableVolumeSkipsForcePage()
    {
        GuiEnv env;
        NDB_TRY(env.setUp());
        const QString archive = env.availableVolumeId();
        BackupWizard wizard(env.engine(), env.engine()->volumes(), {archive});
        wizard.show();
        QCOMPARE(wizard.currentId(), int(BackupWizard::VolumesPageId));
        QVERIFY(wizard.button(QWizard::NextButton)->isEnabled());
        wizard.next();
        QCOMPARE(wizard.currentId(), int(BackupWizard::DetailsPageId));
        wizard.next();
        // Straight to the summary: force is not asked for an available volume.
        QCOMPARE(wizard.currentId(), int(BackupWizard::SummaryPageId));
        QVERIFY(!wizard.anyInUse());

        // Nothing chosen: Next is disabled on the first page.
        BackupWizard empty(env.engine(), env.engine()->volumes(), {});
        empty.show();
        QVERIFY(!empty.button(QWizard::NextButton)->isEnabled());
        empty.volumesPage()->setChecked(archive, true);
        QVERIFY(empty.button(QWizard::NextButton)->isEnabled());
    }

    void inUseVolumeNeedsForceThenRuns()
    {
        GuiEnv env;
        NDB_TRY(env.setUp());
        MainWindow window(env.engine(), env.dir() + QStringLiteral("/ndbackup.conf"));
        window.jobsPanel()->setKeepFinishedFor(60000);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        const QString db = env.inUseVolumeId();
        QCOMPARE(window.volumeModel()->volume(db).status, VolumeStatus::InUse);

        BackupWizard wizard(env.engine(), window.volumeModel()->volumes(), {db}, &window);
        wizard.show();
        wizard.next(); // details
        QCOMPARE(wizard.currentId(), int(BackupWizard::DetailsPageId));
        wizard.detailsPage()->nameEdit()->setText(QStringLiteral("nightly db"));
        // 16 MB/s over 64 MiB: several seconds, so progress is seen advancing.
        wizard.detailsPage()->bandwidthSpin()->setValue(16);
        QVERIFY(wizard.button(QWizard::NextButton)->isEnabled());
        wizard.next();
        QCOMPARE(wizard.currentId(), int(BackupWizard::ForcePageId));
        QVERIFY(wizard.anyInUse());
        QAbstractButton *next = wizard.button(QWizard::NextButton);
        QVERIFY2(!next->isEnabled(), "Next must stay disabled until force is checked");
        QVERIFY(!wizard.forcePage()->isComplete());
        saveScreenshot(&wizard, QStringLiteral("backup-wizard-force"));
        wizard.forcePage()->forceCheckBox()->setChecked(true);
        QVERIFY(next->isEnabled());
        wizard.forcePage()->forceCheckBox()->setChecked(false);
        QVERIFY(!next->isEnabled());
        QTest::mouseClick(wizard.forcePage()->forceCheckBox(), Qt::LeftButton,
                          {}, QPoint(8, wizard.forcePage()->forceCheckBox()->height() / 2));
        QVERIFY(wizard.forcePage()->forceCheckBox()->isChecked());
        QVERIFY(next->isEnabled());
        wizard.next();
        QCOMPARE(wizard.currentId(), int(BackupWizard::SummaryPageId));
        QVERIFY(wizard.summaryPage()->summaryText().contains(QStringLiteral("demo-database")));

        wizard.accept();
        QVERIFY2(wizard.launchErrors().isEmpty(), qPrintable(wizard.launchErrors().join(QLatin1Char('\n'))));
        QCOMPARE(wizard.launchedJobs().size(), 1);
        JobHandle *job = wizard.launchedJobs().first();

        // The job shows up in the jobs panel through Engine::jobSubmitted.
        QVERIFY(waitFor([&] { return window.jobsPanel()->widgetFor(job->id()) != nullptr; }, 2000));
        JobWidget *w = window.jobsPanel()->widgetFor(job->id());

        QList<int> percents;
        bool sawBackingUp = false;
        bool screenshot = false;
        const bool done = waitFor([&] {
            if (percents.isEmpty() || percents.last() != w->percent())
                percents << w->percent();
            if (window.volumeModel()->volume(db).status == VolumeStatus::BackingUp)
                sawBackingUp = true;
            if (!screenshot && w->percent() >= 30 && !w->isFinished()) {
                screenshot = true;
                window.volumeView()->selectionModel()->clear();
                saveScreenshot(&window, QStringLiteral("mainwindow"));
                saveScreenshot(window.jobsDock(), QStringLiteral("jobs-panel"));
            }
            return w->isFinished();
        }, 120000);
        QVERIFY2(done, "backup job did not finish in time");
        QVERIFY2(job->status() == JobStatus::Succeeded, qPrintable(job->status() + QStringLiteral(": ") + job->error()));
        QVERIFY2(sawBackingUp, "the volume never showed backing-up while the job ran");
        // Progress was seen advancing in steps, not only jumping to the end.
        int rising = 0;
        for (int i = 1; i < percents.size(); ++i)
            if (percents[i] > percents[i - 1])
                ++rising;
        QVERIFY2(rising >= 3, qPrintable(QStringLiteral("percent values seen: %1")
                                             .arg([&] { QStringList s; for (int p : percents) s << QString::number(p); return s.join(QLatin1Char(',')); }())));
        QCOMPARE(w->percent(), 100);
        QCOMPARE(w->stepState(Phase::Transfer), QStringLiteral("done"));
        QCOMPARE(w->stepState(Phase::Cleanup), QStringLiteral("done"));
        QVERIFY(w->outcomeText().contains(QStringLiteral("successfully")));

        // In use again, and the last backup is shown with its result.
        QVERIFY(waitFor([&] { return window.volumeModel()->volume(db).status == VolumeStatus::InUse; }, 5000));
        const QModelIndex result = window.volumeModel()->indexOfVolume(db, VolumeModel::ResultColumn);
        QCOMPARE(result.data().toString(), QStringLiteral("succeeded"));
        QVERIFY(env.temporaries().isEmpty());
    }
};

QTEST_MAIN(TestBackupWizard)
#include "tst_backupwizard.moc"
