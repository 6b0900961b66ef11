// ndbackup: the desktop application. Everything lives in libndbackup-ui; this only wires up
// the engine and the main window.
#include "engine/demopool.h"
#include "engine/engine.h"
#include "mainwindow.h"
#include "uiapplication.h"
#include "util/error.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>
#include <QStatusBar>

#include <functional>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QCoreApplication::setApplicationVersion(QStringLiteral(NDBACKUP_VERSION));
    ndb::UiApplication::setApplicationIdentity();
    ndb::UiApplication::installTranslators(&app);

    QCommandLineParser parser;
    parser.setApplicationDescription(QCoreApplication::translate("main", "Back up block volumes without detaching them."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption demo(QStringLiteral("demo"),
                                  QCoreApplication::translate("main", "Use a demo image pool with an attached and an available volume."));
    const QCommandLineOption config(QStringLiteral("config"), QCoreApplication::translate("main", "Read settings from <file>."),
                                    QStringLiteral("file"), ndb::EngineConfig::defaultConfigFile());
    parser.addOption(demo);
    parser.addOption(config);
    parser.process(app);

    const QString configFile = parser.value(config);
    ndb::EngineConfig engineConfig = ndb::EngineConfig::load(configFile);
    QStringList notes;
    // A first run without any storage shows the demo pool rather than an empty window. Creating
    // it runs losetup: that happens on the engine's worker, after the window is shown.
    std::function<QStringList()> prepare;
    if (parser.isSet(demo) || (engineConfig.imagePools.isEmpty() && engineConfig.lvmVolumeGroups.isEmpty())) {
        const QString poolPath = ndb::DemoPool::defaultPoolPath();
        if (!engineConfig.imagePools.contains(poolPath))
            engineConfig.imagePools << poolPath;
        notes << QCoreApplication::translate("main", "Demo pool: %1").arg(poolPath);
        prepare = [poolPath]() -> QStringList {
            try {
                return ndb::DemoPool::create(poolPath).warnings;
            } catch (const ndb::Error &e) {
                return {QCoreApplication::translate("main", "The demo pool could not be created: %1").arg(e.message())};
            }
        };
    }

    ndb::Engine engine(engineConfig);
    try {
        engine.startAsync(prepare); // opens the catalog now; the demo pool, cleanup and inventory follow on a worker
    } catch (const ndb::Error &e) {
        QMessageBox::critical(nullptr, QCoreApplication::translate("main", "ndbackup cannot start"),
                              QCoreApplication::translate("main", "The engine could not start:\n%1\n\nSettings file: %2")
                                  .arg(e.message(), configFile));
        return 1;
    }

    ndb::MainWindow window(&engine, configFile);
    window.show();
    auto showNotes = [&window](const QStringList &notes) {
        if (!notes.isEmpty())
            window.statusBar()->showMessage(notes.join(QStringLiteral(" · ")), 20000);
    };
    showNotes(notes);
    QObject::connect(&engine, &ndb::Engine::startupFinished, &window, [showNotes, notes](const ndb::CleanupReport &report) {
        showNotes(notes + report.messages);
    });
    return app.exec();
}
