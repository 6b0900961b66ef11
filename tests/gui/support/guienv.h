#pragma once
// What every GUI test stands on: a real image pool on a loop-mounted btrfs (reflink snapshots)
// in a QTemporaryDir, made by DemoPool: "demo-database" attached to a loop device (in-use) and
// "demo-archive" detached (available); an engine with its catalog and repository there too.
// Everything is undone by the destructor, also when a test failed.
#include "support/scratchfs.h"

#include "engine/engine.h"
#include "model/volume.h"

#include <QString>
#include <QTemporaryDir>
#include <memory>

class QWidget;

namespace ndbtest {

class GuiEnv
{
public:
    GuiEnv() = default;
    ~GuiEnv();

    // Builds the pool and starts the engine. Throws (ndb::Error) when anything is missing.
    void setUp(const QString &filesystem = QStringLiteral("btrfs"));
    // Builds the pool only and returns the engine configuration setUp() would start with
    // (catalog and repository in dir()), for a test that creates and starts its own engine.
    ndb::EngineConfig preparePool(const QString &filesystem = QStringLiteral("btrfs"));

    ndb::Engine *engine() const { return m_engine.get(); }
    QString dir() const { return m_tmp.path(); }
    QString poolPath() const { return m_pool; }
    QString inUseVolumeId() const;     // demo-database
    QString availableVolumeId() const; // demo-archive
    ndb::Volume volume(const QString &id) const;
    QString imagePath(const QString &name) const;

    // Temporary snapshots/volumes the engine left on the storage (ndbackup-* in the pool, and
    // what the driver reports). Empty when everything was cleaned up.
    QStringList temporaries() const;

private:
    QTemporaryDir m_tmp;
    ScratchCleanup m_cleanup{m_tmp.path()};
    std::unique_ptr<ScratchFilesystem> m_fs;
    QString m_pool;
    std::unique_ptr<ndb::Engine> m_engine;
};

// The application identity and the English UI every GUI test but the German one runs in.
void useEnglishUi();

// Where screenshots go: $NDB_BUILD_DIR/screenshots, or with NDB_UPDATE_SCREENSHOTS=1
// $NDB_SOURCE_DIR/resources/screenshots (the README's). Created on demand; empty when unset.
QString screenshotDir();
// Saves `widget`'s QWidget::grab() as $NDB_BUILD_DIR/screenshots/<name>.png, or with
// NDB_UPDATE_SCREENSHOTS=1 as $NDB_SOURCE_DIR/resources/screenshots/<name>.png (the README's).
// Returns the path; empty when it could not be written.
QString saveScreenshot(QWidget *widget, const QString &name);

// Spins the event loop until `pred` holds or `ms` passed; returns pred().
template<typename Pred>
bool waitFor(Pred pred, int ms);

} // namespace ndbtest

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QTest>

template<typename Pred>
bool ndbtest::waitFor(Pred pred, int ms)
{
    QDeadlineTimer deadline(ms);
    while (!pred()) {
        if (deadline.hasExpired())
            return pred();
        QTest::qWait(20);
    }
    return true;
}
