// Issue #11 "Truth first" in the window: the backup wizard's summary names the data path the
// storage will really take, a job that produced a copy that is not point-in-time is not a green
// "Finished successfully" (job card, History), History and its backup details show each
// backup's consistency, and the volume list shows the newest usable backup apart from a newer
// attempt that failed or was cancelled.
#include "support/guienv.h"

#include "backupwizard.h"
#include "historyview.h"
#include "jobs/jobhandle.h"
#include "jobwidget.h"
#include "mainwindow.h"
#include "model/status.h"
#include "uitext.h"
#include "volumemodel.h"

#include <QCheckBox>
#include <QLabel>
#include <QStandardItemModel>
#include <QTableView>
#include <QTest>

using namespace ndb;
using namespace ndbtest;

class TestTruth : public QObject
{
    Q_OBJECT

    // The summary page of a wizard for the in-use demo volume, once the storage has answered.
    static QString summaryFor(GuiEnv &env)
    {
        BackupWizard wizard(env.engine(), env.engine()->volumes(), {env.inUseVolumeId()});
        wizard.show();
        wizard.next();
        wizard.next();
        wizard.forcePage()->forceCheckBox()->setChecked(true);
        wizard.next();
        if (wizard.currentId() != int(BackupWizard::SummaryPageId))
            return QStringLiteral("(not on the summary page)");
        if (!waitFor([&] { return wizard.summaryPage()->plansKnown(); }, 10000))
            return QStringLiteral("(the storage did not answer) ") + wizard.summaryPage()->summaryText();
        return wizard.summaryPage()->summaryText();
    }

private Q_SLOTS:
    void initTestCase() { useEnglishUi(); }

    void wizardSummaryNamesTheDataPath()
    {
        {
            GuiEnv env;
            NDB_TRY(env.setUp(QStringLiteral("btrfs")));
            const QString text = summaryFor(env);
            QVERIFY2(text.contains(QStringLiteral("through a temporary snapshot (reflink")), qPrintable(text));
            QVERIFY2(!text.contains(QStringLiteral("not a point-in-time")), qPrintable(text));
        }
        {
            GuiEnv env;
            NDB_TRY(env.setUp(QStringLiteral("ext4")));
            const QString text = summaryFor(env);
            QVERIFY2(text.contains(QStringLiteral("WARNING: not a point-in-time copy")), qPrintable(text));
            QVERIFY2(!text.contains(QStringLiteral("through a temporary snapshot")), qPrintable(text));
        }
    }

    // ext4 pool, in-use volume without a mounted filesystem: the job completes with warnings,
    // and neither its card nor History shows it as a green success.
    void notPointInTimeIsNotAGreenSuccess()
    {
        GuiEnv env;
        NDB_TRY(env.setUp(QStringLiteral("ext4")));
        MainWindow window(env.engine(), env.dir() + QStringLiteral("/ndbackup.conf"));
        BackupRequest request;
        request.volumeId = env.inUseVolumeId();
        request.force = true;
        JobHandle *job = nullptr;
        NDB_TRY(job = env.engine()->submitBackup(request));
        JobWidget card(job, QStringLiteral("backup"));
        QVERIFY(waitFor([&] { return job->isFinished(); }, 60000));
        QCOMPARE(job->status(), JobStatus::SucceededWithWarnings);
        // The notice (tray and status bar) is a warning: not a failure's, not a success's.
        QVERIFY(waitFor([&] { return window.lastNotification().contains(QStringLiteral("completed with warnings")); }, 5000));
        QCOMPARE(int(window.lastNotice()), int(MainWindow::Notice::Warning));
        QVERIFY(waitFor([&] { return !card.outcomeText().isEmpty(); }, 5000));
        QVERIFY2(!card.outcomeText().contains(QStringLiteral("successfully")), qPrintable(card.outcomeText()));
        QVERIFY2(card.outcomeText().contains(QStringLiteral("with warnings")), qPrintable(card.outcomeText()));

        HistoryView history(env.engine());
        history.setDateRange(QDate::currentDate().addDays(-1), QDate::currentDate().addDays(1));
        history.reload();
        auto *model = qobject_cast<QStandardItemModel *>(history.table()->model());
        QVERIFY(model);
        int row = -1;
        for (int r = 0; r < model->rowCount(); ++r)
            if (model->item(r, HistoryView::IdColumn)->data(Qt::UserRole).toLongLong() == job->id())
                row = r;
        QVERIFY(row >= 0);
        const QStandardItem *status = model->item(row, HistoryView::StatusColumn);
        QCOMPARE(status->text(), QStringLiteral("completed with warnings"));
        QVERIFY(status->foreground().color() != UiText::jobStatusColor(JobStatus::Succeeded));
        QCOMPARE(model->item(row, HistoryView::ConsistencyColumn)->text(), QStringLiteral("not a point-in-time copy"));
        // The backup's details say so too.
        QVERIFY(history.selectJob(job->id()));
        QVERIFY2(history.backupDetails()->text().contains(QStringLiteral("not a point-in-time copy")),
                 qPrintable(history.backupDetails()->text()));
        // The "succeeded" filter finds it: done is done.
        history.setStatusFilter(JobStatus::Succeeded);
        bool found = false;
        for (const Job &j : history.shownJobs())
            found = found || j.id == job->id();
        QVERIFY(found);
    }

    // The volume list: "Last backup" is the newest usable backup with its consistency; a newer
    // attempt that gave nothing usable is shown apart, as the last attempt with its time.
    void volumeListSeparatesUsableBackupAndLastAttempt()
    {
        Volume v;
        v.id = QStringLiteral("image:/pool/db");
        v.driverId = QStringLiteral("image:/pool");
        v.name = QStringLiteral("db");
        v.status = VolumeStatus::InUse;
        const QDateTime older = QDateTime::currentDateTime().addSecs(-3600);
        const QDateTime newer = QDateTime::currentDateTime().addSecs(-60);
        Backup good;
        good.id = QStringLiteral("b-good");
        good.volumeId = v.id;
        good.status = BackupStatus::Available;
        good.consistency = Consistency::FrozenCopy;
        good.createdAt = older;
        Backup cancelled;
        cancelled.id = QStringLiteral("b-cancelled");
        cancelled.volumeId = v.id;
        cancelled.status = BackupStatus::Error;
        cancelled.cancelled = true;
        cancelled.failReason = QStringLiteral("cancelled");
        cancelled.createdAt = newer;
        Job goodJob;
        goodJob.id = 1;
        goodJob.kind = QStringLiteral("backup");
        goodJob.volumeId = v.id;
        goodJob.backupId = good.id;
        goodJob.status = JobStatus::Succeeded;
        goodJob.createdAt = older;
        Job cancelledJob = goodJob;
        cancelledJob.id = 2;
        cancelledJob.backupId = cancelled.id;
        cancelledJob.status = JobStatus::Cancelled;
        cancelledJob.error = QStringLiteral("cancelled by user");
        cancelledJob.createdAt = newer;

        VolumeModel model;
        model.setInventory({v}, {cancelled, good}, {cancelledJob, goodJob});
        QCOMPARE(model.indexOfVolume(v.id, VolumeModel::LastBackupColumn).data().toString(), UiText::dateTime(older));
        QCOMPARE(model.indexOfVolume(v.id, VolumeModel::ConsistencyColumn).data().toString(), UiText::consistency(Consistency::FrozenCopy));
        const QString attempt = model.indexOfVolume(v.id, VolumeModel::ResultColumn).data().toString();
        QVERIFY2(attempt.contains(UiText::jobStatus(JobStatus::Cancelled)) && attempt.contains(UiText::dateTime(newer)), qPrintable(attempt));

        // Without the job rows (e.g. history pruned) the cancelled record still reads "cancelled".
        model.setInventory({v}, {cancelled, good}, {});
        QCOMPARE(model.indexOfVolume(v.id, VolumeModel::LastBackupColumn).data().toString(), UiText::dateTime(older));
        QVERIFY(model.indexOfVolume(v.id, VolumeModel::ResultColumn).data().toString().contains(UiText::jobStatus(JobStatus::Cancelled)));

        // When the newest attempt is the usable backup, its result is shown plainly.
        model.setInventory({v}, {good}, {goodJob});
        QCOMPARE(model.indexOfVolume(v.id, VolumeModel::ResultColumn).data().toString(), UiText::jobStatus(JobStatus::Succeeded));
    }
};

QTEST_MAIN(TestTruth)
#include "tst_truth.moc"
