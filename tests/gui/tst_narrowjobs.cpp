// German job cards in a narrow Jobs dock (260 px): every part of a card (title, buttons, the
// steps up to "Aufräumen", the progress bar, the texts) lies inside the visible dock and no label
// is cut off; the steps wrap. German plural forms too. Screenshot: jobcard-narrow-de.png.
#include "support/guienv.h"

#include "jobs/jobhandle.h"
#include "jobspanel.h"
#include "jobwidget.h"
#include "mainwindow.h"
#include "model/status.h"
#include "uiapplication.h"

#include <QAbstractButton>
#include <QDockWidget>
#include <QFile>
#include <QLabel>
#include <QProgressBar>
#include <QScrollArea>
#include <QTest>

using namespace ndb;
using namespace ndbtest;

class TestNarrowJobs : public QObject
{
    Q_OBJECT

    // Every visible part of `card` inside the scroll area's viewport and at its full size.
    static QStringList clipped(JobWidget *card, QWidget *viewport)
    {
        QStringList out;
        const QRect visible = viewport->rect();
        const QRect cardRect(card->mapTo(viewport, QPoint(0, 0)), card->size());
        if (cardRect.left() < visible.left() || cardRect.right() > visible.right())
            out << QStringLiteral("card %1 wider than the dock (%2 > %3)").arg(card->objectName()).arg(card->width()).arg(visible.width());
        for (QWidget *child : card->findChildren<QWidget *>()) {
            if (!child->isVisibleTo(card))
                continue;
            const QRect r(child->mapTo(card, QPoint(0, 0)), child->size());
            QString name = child->metaObject()->className();
            if (auto *l = qobject_cast<QLabel *>(child))
                name += QStringLiteral(" '%1'").arg(l->text());
            if (auto *b = qobject_cast<QAbstractButton *>(child))
                name += QStringLiteral(" '%1'").arg(b->text());
            if (!card->rect().contains(r))
                out << QStringLiteral("%1 outside the card: %2,%3 %4x%5 in %6x%7")
                           .arg(name).arg(r.x()).arg(r.y()).arg(r.width()).arg(r.height()).arg(card->width()).arg(card->height());
            if (auto *l = qobject_cast<QLabel *>(child)) {
                if (!l->wordWrap() && l->width() < l->sizeHint().width())
                    out << QStringLiteral("%1 cut off: %2 < %3").arg(name).arg(l->width()).arg(l->sizeHint().width());
                if (l->wordWrap() && l->height() < l->heightForWidth(l->width()))
                    out << QStringLiteral("%1 cut off at the bottom").arg(name);
            } else if (auto *b = qobject_cast<QAbstractButton *>(child)) {
                if (b->width() < b->minimumSizeHint().width())
                    out << QStringLiteral("%1 squeezed").arg(name);
            }
        }
        return out;
    }

private Q_SLOTS:
    void initTestCase()
    {
        qputenv("NDBACKUP_LANG", "de_DE");
        UiApplication::setApplicationIdentity();
        QVERIFY2(UiApplication::installTranslators(qApp), "the German translation is not embedded");
    }

    void germanPlurals()
    {
        auto tr = [](const char *context, const char *source, int n) {
            return QCoreApplication::translate(context, source, nullptr, n);
        };
        QCOMPARE(tr("ndb::MainWindow", "%n job(s) running", 1), QStringLiteral("1 Auftrag läuft"));
        QCOMPARE(tr("ndb::MainWindow", "%n job(s) running", 2), QStringLiteral("2 Aufträge laufen"));
        QCOMPARE(tr("ndb::MainWindow", "%n job(s) not finished yet:", 1), QStringLiteral("1 Auftrag ist noch nicht fertig:"));
        QCOMPARE(tr("ndb::MainWindow", "%n job(s) not finished yet:", 2), QStringLiteral("2 Aufträge sind noch nicht fertig:"));
    }

    void cardsFitNarrowDock()
    {
        GuiEnv env;
        NDB_TRY(env.setUp());
        MainWindow window(env.engine(), env.dir() + QStringLiteral("/ndbackup.conf"));
        window.jobsPanel()->setKeepFinishedFor(60000);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.resizeDocks({window.jobsDock()}, {260}, Qt::Horizontal);
        QVERIFY(waitFor([&] { return window.jobsDock()->width() <= 270; }, 2000));

        // A running backup (all steps shown) and a failed one (a long reason).
        BackupRequest req;
        req.volumeId = env.inUseVolumeId();
        req.force = true;
        req.name = QStringLiteral("schmal");
        req.bandwidthLimit = 4'000'000;
        JobHandle *running = nullptr;
        NDB_TRY(running = env.engine()->submitBackup(req));
        QVERIFY(QFile::remove(env.imagePath(QStringLiteral("demo-archive"))));
        BackupRequest doomed;
        doomed.volumeId = env.availableVolumeId();
        doomed.name = QStringLiteral("verloren");
        JobHandle *failed = nullptr;
        NDB_TRY(failed = env.engine()->submitBackup(doomed));
        QVERIFY(waitFor([&] { return failed->isFinished(); }, 60000));
        QCOMPARE(failed->status(), JobStatus::Failed);
        JobWidget *card = window.jobsPanel()->widgetFor(running->id());
        QVERIFY(card);
        QVERIFY(waitFor([&] { return card->currentPhase() == Phase::Transfer && card->percent() >= 3; }, 60000));
        QTest::qWait(300); // progress text and layout settle

        auto *scroll = window.jobsPanel()->findChild<QScrollArea *>();
        QVERIFY(scroll);
        saveScreenshot(window.jobsDock(), QStringLiteral("jobcard-narrow-de"));
        QStringList problems;
        for (JobWidget *w : window.jobsPanel()->jobWidgets())
            problems << clipped(w, scroll->viewport());
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
        // The steps wrapped rather than ran off: "Aufräumen" is on the card.
        bool cleanupShown = false;
        for (QLabel *l : card->findChildren<QLabel *>())
            cleanupShown |= l->text() == QStringLiteral("Aufräumen") && l->isVisible();
        QVERIFY(cleanupShown);
        running->cancel();
        QVERIFY(waitFor([&] { return running->isFinished(); }, 60000));
    }
};

QTEST_MAIN(TestNarrowJobs)
#include "tst_narrowjobs.moc"
