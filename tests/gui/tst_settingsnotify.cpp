// Settings are written to the config file (engine keys and the GUI's [gui] group) and read back;
// a failing job shows its reason in words in the jobs panel and raises a notification.
#include "support/guienv.h"

#include "backupwizard.h"
#include "jobs/jobhandle.h"
#include "jobspanel.h"
#include "jobwidget.h"
#include "mainwindow.h"
#include "model/status.h"
#include "settingsdialog.h"
#include "volumemodel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QLineEdit>
#include <QTest>

using namespace ndb;
using namespace ndbtest;

class TestSettingsNotify : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        useEnglishUi();
    }

    void settingsRoundTrip()
    {
        QTemporaryDir tmp;
        const QString file = tmp.filePath(QStringLiteral("ndbackup.conf"));
        EngineConfig config = EngineConfig::defaults();
        config.imagePools = {tmp.filePath(QStringLiteral("pool"))};
        UiSettings ui;
        SettingsDialog dialog(config, ui, file);
        dialog.show();
        dialog.repositoryEdit()->setText(tmp.filePath(QStringLiteral("repo")));
        dialog.notifySuccessBox()->setChecked(true);
        QVERIFY(dialog.saveSettings());
        const EngineConfig loaded = EngineConfig::load(file);
        QCOMPARE(loaded.repositoryRoot, tmp.filePath(QStringLiteral("repo")));
        QCOMPARE(loaded.imagePools, config.imagePools);
        const UiSettings loadedUi = UiSettings::load(file);
        QVERIFY(loadedUi.notifyOnSuccess);
        QVERIFY(loadedUi.notifyOnFailure);
        // Saving the engine's settings again keeps the GUI's group.
        loaded.save(file);
        QVERIFY(UiSettings::load(file).notifyOnSuccess);
    }

    void failureShowsReasonAndNotifies()
    {
        GuiEnv env;
        NDB_TRY(env.setUp());
        // A container whose directory is a plain file cannot be opened: the job fails.
        QFile blocker(env.engine()->config().repositoryRoot + QStringLiteral("/broken"));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.write("not a repository");
        blocker.close();

        MainWindow window(env.engine(), env.dir() + QStringLiteral("/ndbackup.conf"));
        window.jobsPanel()->setKeepFinishedFor(60000);
        window.show();
        BackupWizard wizard(env.engine(), window.volumeModel()->volumes(), {env.availableVolumeId()}, &window);
        wizard.show();
        wizard.next();
        auto *container = wizard.detailsPage()->findChild<QComboBox *>();
        QVERIFY(container);
        container->setCurrentText(QStringLiteral("broken"));
        wizard.next();
        QCOMPARE(wizard.currentId(), int(BackupWizard::SummaryPageId));
        wizard.accept();
        JobHandle *job = wizard.launchedJobs().value(0);
        QVERIFY2(job, qPrintable(wizard.launchErrors().join(QLatin1Char('\n'))));
        QVERIFY(waitFor([&] { return job->isFinished(); }, 60000));
        QCOMPARE(job->status(), JobStatus::Failed);
        QVERIFY(!job->error().isEmpty());
        JobWidget *w = window.jobsPanel()->widgetFor(job->id());
        QVERIFY(w);
        QVERIFY(waitFor([&] { return w->isFinished(); }, 2000));
        QVERIFY2(w->outcomeText().startsWith(QStringLiteral("Failed: ")), qPrintable(w->outcomeText()));
        QVERIFY2(w->outcomeText().contains(job->error()), qPrintable(w->outcomeText()));
        QVERIFY2(window.lastNotification().contains(job->error()), qPrintable(window.lastNotification()));
        saveScreenshot(w, QStringLiteral("job-failed"));
        // The volume is back to available, the failure is in its last-backup result.
        QVERIFY(waitFor([&] {
            return window.volumeModel()->volume(env.availableVolumeId()).status == VolumeStatus::Available;
        }, 5000));
        QCOMPARE(window.volumeModel()->indexOfVolume(env.availableVolumeId(), VolumeModel::ResultColumn).data().toString(),
                 QStringLiteral("failed"));
        QCOMPARE(window.volumeModel()->indexOfVolume(env.availableVolumeId(), VolumeModel::ResultColumn)
                     .data(Qt::ToolTipRole).toString(), job->error());
    }
};

QTEST_MAIN(TestSettingsNotify)
#include "tst_settingsnotify.moc"
