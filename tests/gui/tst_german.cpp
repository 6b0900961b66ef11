// The German build: with the German locale the main window, its actions, the volume statuses
// the wizards and the storage nodes' settings speak German (the translation is embedded and loaded
// for the locale).
#include "support/guienv.h"

#include "backupwizard.h"
#include "historyview.h"
#include "mainwindow.h"
#include "settingsdialog.h"
#include "storagenodespage.h"
#include "uiapplication.h"
#include "uitext.h"
#include "volumemodel.h"

#include <QAbstractButton>
#include <QAction>
#include <QDockWidget>
#include <QMenuBar>
#include <QPushButton>
#include <QTabWidget>
#include <QTest>
#include <QTemporaryDir>
#include <QTreeView>
#include <QTreeWidget>

using namespace ndb;
using namespace ndbtest;

class TestGerman : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        qputenv("NDBACKUP_LANG", "de_DE");
        UiApplication::setApplicationIdentity();
        QVERIFY2(UiApplication::installTranslators(qApp), "the German translation is not embedded");
        QCOMPARE(UiApplication::uiLocale().language(), QLocale::German);
    }

    void mainWindowInGerman()
    {
        GuiEnv env;
        NDB_TRY(env.setUp());
        MainWindow window(env.engine(), env.dir() + QStringLiteral("/ndbackup.conf"));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        QCOMPARE(window.windowTitle(), QStringLiteral("Volumensicherung — ndbackup"));
        QCOMPARE(window.backupAction()->text(), QStringLiteral("&Sichern …"));
        QCOMPARE(window.restoreAction()->text(), QStringLiteral("&Wiederherstellen …"));
        QCOMPARE(window.tabs()->tabText(1), QStringLiteral("Ver&lauf"));
        QCOMPARE(window.jobsDock()->windowTitle(), QStringLiteral("Aufträge"));
        QStringList menus;
        for (QAction *a : window.menuBar()->actions())
            menus << a->text();
        QCOMPARE(menus, (QStringList{QStringLiteral("&Datei"), QStringLiteral("&Volumes"), QStringLiteral("&Ansicht"),
                                     QStringLiteral("&Hilfe")}));

        QAbstractItemModel *m = window.volumeModel();
        QCOMPARE(m->headerData(VolumeModel::SizeColumn, Qt::Horizontal).toString(), QStringLiteral("Größe"));
        QCOMPARE(m->headerData(VolumeModel::LastBackupColumn, Qt::Horizontal).toString(), QStringLiteral("Letzte Sicherung"));
        QCOMPARE(window.volumeModel()->indexOfVolume(env.inUseVolumeId(), VolumeModel::StatusColumn).data().toString(),
                 QStringLiteral("in Benutzung (angebunden)"));
        QCOMPARE(window.volumeModel()->indexOfVolume(env.availableVolumeId(), VolumeModel::StatusColumn).data().toString(),
                 QStringLiteral("verfügbar"));
        QCOMPARE(window.volumeModel()->indexOfVolume(env.availableVolumeId(), VolumeModel::LastBackupColumn).data().toString(),
                 QStringLiteral("nie"));
        QVERIFY2(window.statusText().startsWith(QStringLiteral("2 Volumes · 1 in Benutzung")), qPrintable(window.statusText()));
        // Sizes and numbers follow the German locale too (decimal comma).
        QCOMPARE(UiText::size(1536 * 1024), QStringLiteral("1,5 MiB"));
        saveScreenshot(&window, QStringLiteral("mainwindow-de"));

        // Qt's own buttons in the wizard are German as well (qtbase translation).
        BackupWizard wizard(env.engine(), window.volumeModel()->volumes(), {env.inUseVolumeId()}, &window);
        wizard.show();
        QCOMPARE(wizard.windowTitle(), QStringLiteral("Volumes sichern"));
        QCOMPARE(wizard.button(QWizard::CancelButton)->text(), QStringLiteral("Abbrechen"));
        wizard.next();
        wizard.next();
        QCOMPARE(wizard.currentId(), int(BackupWizard::ForcePageId));
        QCOMPARE(wizard.forcePage()->title(), QStringLiteral("Volumes sichern, die in Benutzung sind"));
        QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());
    }

    // Settings → Storage nodes and a node's host row (#12).
    void storageNodesInGerman()
    {
        QTemporaryDir tmp;
        EngineConfig config = EngineConfig::defaults();
        config.catalogPath = tmp.filePath(QStringLiteral("catalog.sqlite"));
        SettingsDialog dialog(config, UiSettings(), tmp.filePath(QStringLiteral("ndbackup.conf")));
        QCOMPARE(dialog.tabs()->tabText(0), QStringLiteral("&Allgemein"));
        QCOMPARE(dialog.tabs()->tabText(1), QStringLiteral("Speicherk&noten"));
        StorageNodesPage *page = dialog.storageNodesPage();
        QCOMPARE(page->addButton()->text(), QStringLiteral("Knoten &hinzufügen…"));
        QCOMPARE(page->removeButton()->text(), QStringLiteral("&Entfernen…"));
        QCOMPARE(page->list()->headerItem()->text(StorageNodesPage::FingerprintColumn), QStringLiteral("Fingerabdruck"));

        VolumeModel model;
        model.setStorageNodes({{QStringLiteral("node9"), false, QStringLiteral("connection refused")}});
        QCOMPARE(model.index(0, 0).data().toString(), QStringLiteral("Host node9 (nicht erreichbar)"));
        QCOMPARE(model.index(0, 0).data(Qt::ToolTipRole).toString(),
                 QStringLiteral("Speicherknoten node9 antwortet nicht: connection refused"));
    }
};

QTEST_MAIN(TestGerman)
#include "tst_german.moc"
