#include "guienv.h"

#include "engine/demopool.h"
#include "uiapplication.h"
#include "util/error.h"
#include "util/runsync.h"
#include "volumes/volumedriver.h"

#include <QDir>
#include <QPixmap>
#include <QWidget>

namespace ndbtest {

void useEnglishUi()
{
    qputenv("NDBACKUP_LANG", "en");
    ndb::UiApplication::setApplicationIdentity();
    ndb::UiApplication::installTranslators(qApp);
}

GuiEnv::~GuiEnv()
{
    m_engine.reset(); // cancels and waits for running jobs first
    if (!m_pool.isEmpty())
        ndb::DemoPool::detachAll(m_pool);
}

void GuiEnv::setUp(const QString &filesystem)
{
    m_engine = std::make_unique<ndb::Engine>(preparePool(filesystem));
    m_engine->start();
}

ndb::EngineConfig GuiEnv::preparePool(const QString &filesystem)
{
    if (!m_tmp.isValid())
        throw ndb::Error(QStringLiteral("no temporary directory"));
    m_fs = std::make_unique<ScratchFilesystem>(m_tmp.path(), filesystem, filesystem == QLatin1String("xfs") ? 320 : 200,
                                               QStringLiteral("poolfs"));
    m_pool = m_fs->mountPoint() + QStringLiteral("/pool");
    const ndb::DemoPoolResult demo = ndb::DemoPool::create(m_pool);
    if (demo.loopDevice.isEmpty())
        throw ndb::Error(QStringLiteral("demo pool: in-use volume not attached: %1").arg(demo.warnings.join(QLatin1Char(' '))));

    ndb::EngineConfig config = ndb::EngineConfig::defaults();
    config.catalogPath = m_tmp.filePath(QStringLiteral("catalog.sqlite"));
    config.repositoryRoot = m_tmp.filePath(QStringLiteral("repository"));
    config.imagePools = {m_pool};
    config.lvmVolumeGroups.clear();
    return config;
}

QString GuiEnv::inUseVolumeId() const
{
    return m_engine->findVolume(ndb::DemoPool::inUseVolumeName()).id;
}

QString GuiEnv::availableVolumeId() const
{
    return m_engine->findVolume(ndb::DemoPool::availableVolumeName()).id;
}

ndb::Volume GuiEnv::volume(const QString &id) const
{
    return m_engine->findVolume(id);
}

QString GuiEnv::imagePath(const QString &name) const
{
    return m_pool + QLatin1Char('/') + name + QStringLiteral(".img");
}

QStringList GuiEnv::temporaries() const
{
    QStringList out = QDir(m_pool).entryList({QStringLiteral("ndbackup-*")}, QDir::Files);
    for (ndb::VolumeDriver *d : m_engine->drivers())
        for (const ndb::TemporaryObject &t : ndb::runSync(d->listTemporaries()))
            if (!out.contains(t.name))
                out << t.name;
    return out;
}

QString screenshotDir()
{
    // Into the build tree by default, so a test run leaves the checkout clean; with
    // NDB_UPDATE_SCREENSHOTS=1 into resources/screenshots, which the README shows.
    const bool update = qEnvironmentVariableIntValue("NDB_UPDATE_SCREENSHOTS") == 1;
    const QString root = qEnvironmentVariable(update ? "NDB_SOURCE_DIR" : "NDB_BUILD_DIR");
    if (root.isEmpty())
        return {};
    const QString dir = root + (update ? QStringLiteral("/resources/screenshots") : QStringLiteral("/screenshots"));
    QDir().mkpath(dir);
    return dir;
}

QString saveScreenshot(QWidget *widget, const QString &name)
{
    const QString dir = screenshotDir();
    if (dir.isEmpty())
        return {};
    const QString path = dir + QLatin1Char('/') + name + QStringLiteral(".png");
    const QPixmap shot = widget->grab();
    if (shot.isNull() || !shot.save(path, "PNG"))
        return {};
    return path;
}

} // namespace ndbtest
