// The main window's finish: the title names the application once; at the default size every
// column of the volume list is visible and the empty Jobs dock stays modest; geometry and dock
// state come back after a restart; the window shows at once, with "Loading volumes…", while the
// storage is slow, and fills per driver as each answers; the settings note keeps its path whole.
#include "support/guienv.h"
#include "support/slowlvm.h"

#include "engine/demopool.h"
#include "engine/engine.h"
#include "mainwindow.h"
#include "settingsdialog.h"
#include "volumemodel.h"

#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QGuiApplication>
#include <QHeaderView>
#include <QLabel>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTreeView>

#include <atomic>
#include <memory>

using namespace ndb;
using namespace ndbtest;

namespace {

const int kLvsSeconds = 3;

int volumeCount(MainWindow &w)
{
    return int(w.volumeModel()->volumes().size());
}

// Every column ends inside the list; each is as wide as its contents except the two that hold
// paths (the driver rows' Name, the Driver column), which give way elided with the whole text in
// the tooltip; the volumes' own names stay whole. (Paths hold a random temporary name: in a
// proportional font its width alone moves the sum by ten pixels.)
void checkColumnsInView(MainWindow &window, const QString &volumeId)
{
    QTreeView *view = window.volumeView();
    const int viewport = view->viewport()->width();
    for (int c = 0; c < VolumeModel::ColumnCount; ++c) {
        const QString name = window.volumeModel()->headerData(c, Qt::Horizontal).toString();
        const int right = view->header()->sectionViewportPosition(c) + view->columnWidth(c);
        QVERIFY2(right <= viewport, qPrintable(QStringLiteral("column %1 ends at %2, the list is %3 wide")
                                                   .arg(name).arg(right).arg(viewport)));
        if (c == VolumeModel::NameColumn || c == VolumeModel::DriverColumn)
            continue;
        const int contents = static_cast<QAbstractItemView *>(view)->sizeHintForColumn(c);
        QVERIFY2(view->columnWidth(c) >= contents,
                 qPrintable(QStringLiteral("column %1 is %2 wide, its contents %3").arg(name).arg(view->columnWidth(c)).arg(contents)));
    }
    const QModelIndex volume = window.filterModel()->mapFromSource(window.volumeModel()->indexOfVolume(volumeId));
    QVERIFY(volume.isValid());
    const QRect cell = view->visualRect(volume);
    const int textWidth = view->fontMetrics().horizontalAdvance(volume.data().toString());
    QVERIFY2(cell.width() >= textWidth + view->iconSize().width(),
             qPrintable(QStringLiteral("volume name cell %1 wide, its text %2").arg(cell.width()).arg(textWidth)));
    const QModelIndex driverRow = volume.parent();
    QVERIFY(driverRow.data(Qt::ToolTipRole).toString().contains(driverRow.data().toString()));
}

} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        useEnglishUi();
    }

    // The platform appends applicationDisplayName to a title that does not end with it.
    void titleNamesTheApplicationOnce()
    {
        GuiEnv env;
        NDB_TRY(env.setUp());
        MainWindow window(env.engine(), env.dir() + QStringLiteral("/ndbackup.conf"));
        const QString name = QGuiApplication::applicationDisplayName();
        QCOMPARE(name, QStringLiteral("ndbackup"));
        QCOMPARE(window.windowTitle(), QStringLiteral("Volume Backup — ndbackup"));
        QVERIFY(window.windowTitle().endsWith(name)); // so nothing is appended
        QCOMPARE(window.windowTitle().count(name), 1);
    }

    void defaultSizeShowsEveryColumn()
    {
        GuiEnv env;
        NDB_TRY(env.setUp());
        MainWindow window(env.engine(), env.dir() + QStringLiteral("/ndbackup.conf"));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QTest::qWait(50);
        QTreeView *view = window.volumeView();
        checkColumnsInView(window, env.inUseVolumeId());
        if (QTest::currentTestFailed())
            return;
        // Every row (host, pool, both volumes) is visible without scrolling.
        QModelIndex last = window.filterModel()->index(0, 0);
        while (window.filterModel()->rowCount(last) > 0)
            last = window.filterModel()->index(window.filterModel()->rowCount(last) - 1, 0, last);
        QVERIFY(view->visualRect(last).bottom() <= view->viewport()->height());
        // The empty Jobs dock does not take a third of the window.
        QVERIFY2(window.jobsDock()->width() <= window.width() / 4,
                 qPrintable(QStringLiteral("dock %1 of %2").arg(window.jobsDock()->width()).arg(window.width())));
        saveScreenshot(&window, QStringLiteral("mainwindow-default-size"));
    }

    // Pool paths and driver ids can be of any length (CI's temporary directories are longer than a
    // desk's): they are elided so that every column, the consistency last, stays in view.
    void longPathsGiveWayToTheOtherColumns()
    {
        QTemporaryDir base;
        QVERIFY(base.isValid());
        const QString deep = base.path() + QStringLiteral("/a-storage-pool-directory-whose-path-is-far-longer-than-a-desk-would-use");
        QVERIFY(QDir().mkpath(deep));
        std::unique_ptr<GuiEnv> envp;
        {
            const QByteArray saved = qgetenv("TMPDIR");
            qputenv("TMPDIR", deep.toLocal8Bit()); // GuiEnv makes its pool under TMPDIR
            const auto restore = qScopeGuard([&] { saved.isNull() ? void(qunsetenv("TMPDIR")) : void(qputenv("TMPDIR", saved)); });
            envp = std::make_unique<GuiEnv>();
            NDB_TRY(envp->setUp());
        }
        GuiEnv &env = *envp;
        MainWindow window(env.engine(), env.dir() + QStringLiteral("/ndbackup.conf"));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QTest::qWait(50);
        QTreeView *view = window.volumeView();
        QVERIFY2(static_cast<QAbstractItemView *>(view)->sizeHintForColumn(VolumeModel::NameColumn) > 360,
                 "the driver row's path is long enough to need eliding");
        checkColumnsInView(window, env.inUseVolumeId());
    }

    void geometryAndDockStateSurviveARestart()
    {
        GuiEnv env;
        NDB_TRY(env.setUp());
        const QString conf = env.dir() + QStringLiteral("/ndbackup.conf");
        {
            MainWindow window(env.engine(), conf);
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            window.resize(1200, 640);
            window.move(40, 30);
            window.removeDockWidget(window.jobsDock());
            window.addDockWidget(Qt::BottomDockWidgetArea, window.jobsDock());
            window.jobsDock()->show();
            QTest::qWait(50);
        } // closed: saved
        QVERIFY(QFile::exists(conf));
        MainWindow window(env.engine(), conf);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(window.size(), QSize(1200, 640));
        QCOMPARE(window.dockWidgetArea(window.jobsDock()), Qt::BottomDockWidgetArea);
        QVERIFY(window.jobsDock()->isVisible());

        // A hidden dock stays hidden.
        window.jobsDock()->hide();
        window.saveWindowState();
        MainWindow again(env.engine(), conf);
        again.show();
        QVERIFY(QTest::qWaitForWindowExposed(&again));
        QVERIFY(!again.jobsDock()->isVisible());
    }

    // The window is there at once and says it is loading; the fast image pool's volumes come
    // while the slow LVM volume group has not answered yet, then the LVM volume.
    void windowShowsAtOnceAndFillsPerDriver()
    {
        GuiEnv env;
        EngineConfig config;
        NDB_TRY(config = env.preparePool());
        std::unique_ptr<SlowLvm> lvm;
        NDB_TRY(lvm = std::make_unique<SlowLvm>(env.dir(), kLvsSeconds));
        config.lvmVolumeGroups = {SlowLvm::volumeGroup()};

        QElapsedTimer clock;
        clock.start();
        Engine engine(config);
        QSignalSpy perDriver(&engine, &Engine::driverInventoried);
        QSignalSpy refreshed(&engine, &Engine::volumesRefreshed);
        NDB_TRY(engine.startAsync());
        MainWindow window(&engine, env.dir() + QStringLiteral("/ndbackup.conf"));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY2(clock.elapsed() < 1000, qPrintable(QStringLiteral("the window took %1 ms").arg(clock.elapsed())));
        QVERIFY(engine.inventoryPending());
        QCOMPARE(volumeCount(window), 0);
        QVERIFY(window.volumePlaceholder()->isVisible());
        QCOMPARE(window.volumePlaceholder()->text(), QStringLiteral("Loading volumes…"));
        QVERIFY2(window.statusText().contains(QLatin1String("asking the storage")), qPrintable(window.statusText()));
        saveScreenshot(&window, QStringLiteral("mainwindow-loading"));

        // The image pool answers first (the cleanup and the lvs each take kLvsSeconds).
        QVERIFY(waitFor([&] { return volumeCount(window) == 2; }, (2 * kLvsSeconds + 20) * 1000));
        QCOMPARE(refreshed.size(), 0);
        QVERIFY(perDriver.size() >= 1);
        QCOMPARE(perDriver.first().first().toString().left(6), QStringLiteral("image:"));
        QVERIFY(!window.volumePlaceholder()->isVisible());
        QVERIFY(window.volumeModel()->indexOfVolume(SlowLvm::volumeId()).isValid() == false);

        // Then the slow volume group.
        QVERIFY(waitFor([&] { return volumeCount(window) == 3; }, (kLvsSeconds + 20) * 1000));
        QVERIFY(refreshed.wait((kLvsSeconds + 10) * 1000) || refreshed.size() == 1);
        QVERIFY(!engine.inventoryPending());
        QVERIFY(!window.volumePlaceholder()->isVisible());
        QVERIFY2(!window.statusText().contains(QLatin1String("asking the storage")), qPrintable(window.statusText()));
    }

    // What main() does before the window for a first run (the demo pool: image files, losetup)
    // runs as startAsync's prepare step on the engine's worker: the window does not wait for it,
    // and its notes come with startupFinished.
    void prepareStepRunsOnTheWorker()
    {
        GuiEnv env;
        EngineConfig config;
        NDB_TRY(config = env.preparePool());
        Engine engine(config);
        QSignalSpy started(&engine, &Engine::startupFinished);
        std::atomic<bool> onGuiThread{true};
        QElapsedTimer clock;
        clock.start();
        NDB_TRY(engine.startAsync([&onGuiThread]() -> QStringList {
            onGuiThread = QThread::currentThread() == qApp->thread();
            QThread::sleep(2);
            return {QStringLiteral("prepared")};
        }));
        MainWindow window(&engine, env.dir() + QStringLiteral("/ndbackup.conf"));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY2(clock.elapsed() < 1000, qPrintable(QStringLiteral("the window took %1 ms").arg(clock.elapsed())));
        QVERIFY(window.volumePlaceholder()->isVisible());
        QVERIFY(started.wait(30000));
        QVERIFY(!onGuiThread);
        QVERIFY2(clock.elapsed() >= 2000, "the prepare step did not run first");
        const auto report = started.first().first().value<CleanupReport>();
        QVERIFY2(report.messages.contains(QStringLiteral("prepared")), qPrintable(report.messages.join(QLatin1Char('|'))));
        QVERIFY(waitFor([&] { return volumeCount(window) == 2; }, 20000));
    }

    void settingsNoteKeepsThePathWhole()
    {
        QTemporaryDir tmp;
        // A long path of the kind word wrap broke ("/ tmp/…").
        const QString conf = tmp.path() + QStringLiteral("/a-rather-long-folder-name/another-folder/ndbackup.conf");
        SettingsDialog dialog(EngineConfig::defaults(), UiSettings(), conf);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        auto *path = dialog.findChild<QLabel *>(QStringLiteral("settingsFilePath"));
        QVERIFY2(path, "the settings file is not on a line of its own");
        QCOMPARE(path->text(), conf);
        QVERIFY(!path->wordWrap());
        QVERIFY(path->textInteractionFlags() & Qt::TextSelectableByMouse);
        QVERIFY2(path->width() >= path->sizeHint().width(),
                 qPrintable(QStringLiteral("%1 < %2").arg(path->width()).arg(path->sizeHint().width())));
        for (QLabel *l : dialog.findChildren<QLabel *>())
            if (l != path)
                QVERIFY2(!l->text().contains(conf), qPrintable(l->text()));
        saveScreenshot(&dialog, QStringLiteral("settings-dialog"));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
