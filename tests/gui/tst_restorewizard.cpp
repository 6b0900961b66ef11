// The restore wizard end to end: pick a backup, restore it to a file (the bytes match the
// volume), then to the existing available volume after a confirmation that names it; an
// in-use volume is never offered as a target. Screenshots of each screen are taken here.
#include "support/guienv.h"

#include "catalog/catalog.h"
#include "engine/demopool.h"
#include "jobs/jobhandle.h"
#include "jobwidget.h"
#include "mainwindow.h"
#include "model/status.h"
#include "restorewizard.h"
#include "util/error.h"
#include "volumemodel.h"

#include <QAbstractButton>
#include <QCheckBox>
#include <QComboBox>
#include <QCryptographicHash>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QRadioButton>
#include <QMessageBox>
#include <QSqlQuery>
#include <QTreeView>
#include <QTest>

using namespace ndb;
using namespace ndbtest;

namespace {
QByteArray sha256(const QString &file, qint64 length)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash h(QCryptographicHash::Sha256);
    while (length > 0) {
        const QByteArray b = f.read(qMin<qint64>(length, 1 << 20));
        if (b.isEmpty())
            break;
        h.addData(b);
        length -= b.size();
    }
    return h.result().toHex();
}
} // namespace

class TestRestoreWizard : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        useEnglishUi();
    }

    void restoreToFileAndVolume()
    {
        GuiEnv env;
        NDB_TRY(env.setUp());
        const QString db = env.inUseVolumeId();
        const QString archive = env.availableVolumeId();
        const QString dbImage = env.imagePath(DemoPool::inUseVolumeName());
        const QString archiveImage = env.imagePath(DemoPool::availableVolumeName());
        const qint64 archiveSize = QFileInfo(archiveImage).size();
        const QByteArray archiveSum = sha256(archiveImage, archiveSize);

        // Back up the archive (32 MiB) and the database (64 MiB).
        BackupRequest r;
        r.volumeId = archive;
        r.name = QStringLiteral("archive before upgrade");
        r.description = QStringLiteral("");
        JobHandle *archiveJob = nullptr;
        NDB_TRY(archiveJob = env.engine()->submitBackup(r));
        QVERIFY(waitFor([&] { return archiveJob->isFinished(); }, 60000));
        QVERIFY2(archiveJob->status() == JobStatus::Succeeded, qPrintable(archiveJob->error()));
        const QString archiveBackup = archiveJob->resultId();
        r.volumeId = db;
        r.name = QStringLiteral("db before upgrade");
        r.force = true;
        JobHandle *dbJob = nullptr;
        NDB_TRY(dbJob = env.engine()->submitBackup(r));
        QVERIFY(waitFor([&] { return dbJob->isFinished(); }, 60000));
        QVERIFY2(dbJob->status() == JobStatus::Succeeded, qPrintable(dbJob->error()));
        const QString dbBackup = dbJob->resultId();

        MainWindow window(env.engine(), env.dir() + QStringLiteral("/ndbackup.conf"));
        window.show();
        saveScreenshot(&window, QStringLiteral("mainwindow-after-backups"));

        // 1. The database backup to a new file.
        {
            RestoreWizard wizard(env.engine(), {}, &window);
            wizard.show();
            QCOMPARE(wizard.backupPage()->selectedBackup().id, dbBackup); // the newest is preselected
            QVERIFY(wizard.backupPage()->selectBackup(archiveBackup));
            QCOMPARE(wizard.backupPage()->selectedBackup().id, archiveBackup);
            QVERIFY(wizard.backupPage()->selectBackup(dbBackup));
            QVERIFY(wizard.button(QWizard::NextButton)->isEnabled());
            saveScreenshot(&wizard, QStringLiteral("restore-wizard-backup"));
            wizard.next();
            QCOMPARE(wizard.currentId(), int(RestoreWizard::TargetPageId));
            // The in-use database volume is never offered; the archive is too small for 64 MiB.
            QCOMPARE(wizard.targetPage()->existingCombo()->count(), 0);
            // The disabled choice says why, next to it: each volume and what rules it out.
            auto *existingRadio = wizard.targetPage()->findChildren<QRadioButton *>().first();
            QVERIFY(!existingRadio->isEnabled());
            auto *reason = wizard.targetPage()->findChild<QLabel *>(QStringLiteral("existingUnavailableReason"));
            QVERIFY(reason);
            QVERIFY(reason->isVisible());
            QCOMPARE(reason->text(), wizard.targetPage()->existingUnavailableReason());
            QVERIFY2(reason->text().contains(QLatin1String("demo-database is in use")), qPrintable(reason->text()));
            QVERIFY2(reason->text().contains(QLatin1String("demo-archive is smaller")), qPrintable(reason->text()));
            QVERIFY2(reason->text().contains(QLatin1String("new volume or a file")), qPrintable(reason->text()));
            saveScreenshot(&wizard, QStringLiteral("restore-wizard-target"));
            const QString out = env.dir() + QStringLiteral("/restored-db.img");
            wizard.targetPage()->setTarget(RestoreRequest::Target::File);
            wizard.targetPage()->filePathEdit()->setText(QStringLiteral("relative.img"));
            QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());
            wizard.targetPage()->filePathEdit()->setText(out);
            QVERIFY(wizard.button(QWizard::NextButton)->isEnabled());
            wizard.next();
            QCOMPARE(wizard.currentId(), int(RestoreWizard::ConfirmPageId));
            QVERIFY(!wizard.confirmPage()->overwrites());
            QVERIFY(wizard.confirmPage()->confirmationText().contains(out));
            QVERIFY(wizard.button(QWizard::CommitButton)->isEnabled());
            wizard.next(); // commit: the job starts
            QCOMPARE(wizard.currentId(), int(RestoreWizard::ProgressPageId));
            QVERIFY(wizard.job());
            QVERIFY(wizard.progressPage()->jobWidget());
            QVERIFY(waitFor([&] { return wizard.progressPage()->isComplete(); }, 60000));
            QVERIFY2(wizard.job()->status() == JobStatus::Succeeded, qPrintable(wizard.job()->error()));
            QVERIFY(wizard.button(QWizard::FinishButton)->isEnabled());
            // Finished: only Finish, no Cancel next to it.
            QVERIFY(wizard.button(QWizard::FinishButton)->isVisible());
            QVERIFY(!wizard.button(QWizard::CancelButton)->isVisible());
            saveScreenshot(&wizard, QStringLiteral("restore-wizard-progress"));
            QCOMPARE(QFileInfo(out).size(), QFileInfo(dbImage).size());
            // The database volume was not written during the test: the file equals it.
            QCOMPARE(sha256(out, QFileInfo(out).size()), sha256(dbImage, QFileInfo(dbImage).size()));
        }

        // 2. The archive backup over the (available) archive volume, after it was changed.
        {
            QFile f(archiveImage);
            QVERIFY(f.open(QIODevice::ReadWrite));
            QVERIFY(f.write(QByteArray(1 << 20, 'X')) == (1 << 20));
            f.close();
            QVERIFY(sha256(archiveImage, archiveSize) != archiveSum);

            RestoreWizard wizard(env.engine(), archiveBackup, &window);
            wizard.show();
            QCOMPARE(wizard.backupPage()->selectedBackup().id, archiveBackup);
            wizard.next();
            QVERIFY(wizard.targetPage()->existingCombo()->count() >= 1);
            QCOMPARE(wizard.targetPage()->existingCombo()->currentData().toString(), archive);
            wizard.targetPage()->setTarget(RestoreRequest::Target::ExistingVolume);
            QVERIFY(wizard.button(QWizard::NextButton)->isEnabled());
            QVERIFY(wizard.targetPage()->existingUnavailableReason().isEmpty());
            QVERIFY(!wizard.targetPage()->findChild<QLabel *>(QStringLiteral("existingUnavailableReason"))->isVisible());
            wizard.next();
            QCOMPARE(wizard.currentId(), int(RestoreWizard::ConfirmPageId));
            QVERIFY(wizard.confirmPage()->overwrites());
            QVERIFY(wizard.confirmPage()->confirmationText().contains(QStringLiteral("<b>demo-archive</b>")));
            QVERIFY(wizard.confirmPage()->confirmationText().contains(QStringLiteral("overwritten")));
            // Not before the user confirmed that demo-archive is overwritten.
            QVERIFY(!wizard.button(QWizard::CommitButton)->isEnabled());
            wizard.confirmPage()->confirmCheckBox()->setChecked(true);
            QVERIFY(wizard.button(QWizard::CommitButton)->isEnabled());
            saveScreenshot(&wizard, QStringLiteral("restore-wizard-confirm"));
            wizard.next();
            QVERIFY(wizard.job());
            QVERIFY(waitFor([&] { return wizard.progressPage()->isComplete(); }, 60000));
            QVERIFY2(wizard.job()->status() == JobStatus::Succeeded, qPrintable(wizard.job()->error()));
            QCOMPARE(sha256(archiveImage, archiveSize), archiveSum);
        }
        QVERIFY(env.temporaries().isEmpty());
    }

    // An existing file is replaced only when the user ticked the confirmation; a file in the
    // pool (an image) is refused on the target page already.
    void overwriteFileOnlyAfterConfirmation()
    {
        GuiEnv env;
        NDB_TRY(env.setUp());
        const QString archiveImage = env.imagePath(DemoPool::availableVolumeName());
        BackupRequest r;
        r.volumeId = env.availableVolumeId();
        JobHandle *job = nullptr;
        NDB_TRY(job = env.engine()->submitBackup(r));
        QVERIFY(waitFor([&] { return job->isFinished(); }, 60000));
        QVERIFY2(job->status() == JobStatus::Succeeded, qPrintable(job->error()));
        const QString existing = env.dir() + QStringLiteral("/existing.img");
        QFile f(existing);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("keep me unless confirmed");
        f.close();

        RestoreWizard wizard(env.engine(), job->resultId());
        wizard.show();
        wizard.next();
        wizard.targetPage()->setTarget(RestoreRequest::Target::File);
        wizard.targetPage()->filePathEdit()->setText(archiveImage);
        QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());
        QVERIFY2(wizard.targetPage()->problem().contains(QLatin1String("image pool")), qPrintable(wizard.targetPage()->problem()));
        wizard.targetPage()->filePathEdit()->setText(existing);
        QVERIFY2(wizard.button(QWizard::NextButton)->isEnabled(), qPrintable(wizard.targetPage()->problem()));
        wizard.next();
        QVERIFY(wizard.confirmPage()->overwrites());
        QVERIFY(!wizard.button(QWizard::CommitButton)->isEnabled());
        QVERIFY(!wizard.request().overwrite);
        // Without the confirmation the engine refuses to replace the file.
        QVERIFY_THROWS_EXCEPTION(RefusedError, env.engine()->submitRestore(wizard.request()));
        wizard.confirmPage()->confirmCheckBox()->setChecked(true);
        QVERIFY(wizard.request().overwrite);
        wizard.next();
        QVERIFY(wizard.job());
        QVERIFY(waitFor([&] { return wizard.progressPage()->isComplete(); }, 60000));
        QVERIFY2(wizard.job()->status() == JobStatus::Succeeded, qPrintable(wizard.job()->error()));
        QCOMPARE(sha256(existing, QFileInfo(archiveImage).size()), sha256(archiveImage, QFileInfo(archiveImage).size()));
    }

    // The administrator's reset of a sticky 'error' from the volume list, after a confirmation.
    void resetVolumeStatusFromVolumeList()
    {
        GuiEnv env;
        NDB_TRY(env.setUp());
        const QString archive = env.availableVolumeId();
        auto status = [&] {
            Catalog catalog(env.engine()->config().catalogPath);
            QSqlQuery q = catalog.exec(QStringLiteral("SELECT status FROM volumes WHERE id = ?"), {archive});
            return q.next() ? q.value(0).toString() : QString();
        };
        {
            Catalog catalog(env.engine()->config().catalogPath);
            catalog.exec(QStringLiteral("UPDATE volumes SET status = 'error' WHERE id = ?"), {archive});
        }
        MainWindow window(env.engine(), env.dir() + QStringLiteral("/ndbackup.conf"));
        window.show();
        window.reloadFromCatalog();
        const QModelIndexList found = window.filterModel()->match(window.filterModel()->index(0, 0), VolumeModel::VolumeIdRole, archive,
                                                                 1, Qt::MatchRecursive | Qt::MatchExactly);
        QCOMPARE(found.size(), 1);
        window.volumeView()->selectionModel()->select(found.first(), QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        QVERIFY(window.volumeView()->actions().contains(window.resetStatusAction()));
        QVERIFY(window.resetStatusAction()->isEnabled());
        window.resetStatusAction()->trigger();
        auto *box = window.findChild<QMessageBox *>(QStringLiteral("resetStatusConfirmation"));
        QVERIFY(box);
        QVERIFY(box->text().contains(QLatin1String("demo-archive")));
        QCOMPARE(status(), QStringLiteral("error")); // nothing before the confirmation
        saveScreenshot(box, QStringLiteral("reset-volume-status"));
        box->button(QMessageBox::Yes)->click();
        QCOMPARE(status(), QStringLiteral("available"));
        HistoryFilter f;
        f.kind = QStringLiteral("reset-status");
        QCOMPARE(env.engine()->jobs(f).size(), 1);
    }
};

QTEST_MAIN(TestRestoreWizard)
#include "tst_restorewizard.moc"
