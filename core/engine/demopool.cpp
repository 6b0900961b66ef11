#include "engine/demopool.h"

#include "util/coroutinethread.h"
#include "util/error.h"
#include "volumes/image/imagedriver.h"
#include "volumes/loopdevice.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QStandardPaths>

namespace ndb {

namespace {

// Writes an image whose first part holds varied data (so that a backup has something to
// compress and deduplicate) and whose rest is sparse zeros (skipped by the chunk store).
void writeImage(const QString &path, qint64 size, quint32 seed)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        throw Error(QStringLiteral("cannot create demo image %1: %2").arg(path, f.errorString()));
    QRandomGenerator rng(seed);
    const qint64 dataBytes = qMin<qint64>(size / 4, 16ll << 20);
    QByteArray block(1 << 20, Qt::Uninitialized);
    for (qint64 written = 0; written < dataBytes; written += block.size()) {
        // Half random (incompressible), half text (compressible), a repeated block (deduplicated).
        if ((written >> 20) % 4 == 3) {
            block.fill('\0');
            const QByteArray text = QByteArrayLiteral("ndbackup demo volume - non-disruptive backup\n");
            for (int i = 0; i + text.size() <= block.size(); i += text.size())
                memcpy(block.data() + i, text.constData(), text.size());
        } else {
            rng.fillRange(reinterpret_cast<quint32 *>(block.data()), block.size() / 4);
        }
        if (f.write(block) != block.size())
            throw Error(QStringLiteral("cannot write demo image %1: %2").arg(path, f.errorString()));
    }
    if (!f.resize(size))
        throw Error(QStringLiteral("cannot size demo image %1: %2").arg(path, f.errorString()));
}

} // namespace

QString DemoPool::defaultPoolPath()
{
    QString base = qEnvironmentVariable("XDG_DATA_HOME");
    if (base.isEmpty())
        base = QDir::homePath() + QStringLiteral("/.local/share");
    return base + QStringLiteral("/ndbackup/demo-pool");
}

QStringList DemoPool::loopDevicesFor(const QString &file)
{
    return LoopDevice::devicesFor(file);
}

DemoPoolResult DemoPool::create(const QString &poolPath, qint64 inUseSize, qint64 availableSize)
{
    DemoPoolResult result;
    result.poolPath = QDir(poolPath).absolutePath();
    if (!QDir().mkpath(result.poolPath))
        throw Error(QStringLiteral("cannot create the demo pool directory %1").arg(result.poolPath));

    const QString inUse = result.poolPath + QLatin1Char('/') + inUseVolumeName() + QStringLiteral(".img");
    const QString available = result.poolPath + QLatin1Char('/') + availableVolumeName() + QStringLiteral(".img");
    if (!QFileInfo::exists(inUse)) {
        writeImage(inUse, inUseSize, 1);
        result.created << inUse;
    }
    if (!QFileInfo::exists(available)) {
        writeImage(available, availableSize, 2);
        result.created << available;
    }

    // "Attached" = bound to a loop device, exactly what the image driver reports as in-use; the
    // driver's attach is idempotent, so a second run keeps the existing device.
    try {
        // On a worker thread with its own driver: the GUI's main() calls this before its window.
        const QString pool = result.poolPath;
        result.loopDevice = waitOnWorker<QString>([pool]() -> QCoro::Task<QString> {
            ImageDriver driver(pool);
            co_return co_await driver.attach(inUseVolumeName());
        });
    } catch (const Error &e) {
        result.warnings << QStringLiteral("could not attach %1 to a loop device (%2); it shows as available")
                               .arg(inUseVolumeName(), e.message());
    }
    return result;
}

DemoPoolResult DemoPool::ensure(EngineConfig &config)
{
    const QString path = defaultPoolPath();
    DemoPoolResult result = create(path);
    if (!config.imagePools.contains(result.poolPath))
        config.imagePools << result.poolPath;
    return result;
}

void DemoPool::detachAll(const QString &poolPath)
{
    const QDir dir(poolPath);
    for (const QFileInfo &fi : dir.entryInfoList({QStringLiteral("*.img")}, QDir::Files))
        for (const QString &dev : loopDevicesFor(fi.absoluteFilePath())) {
            try {
                LoopDevice::detach(dev);
            } catch (const Error &) {
                // best effort: tests and uninstall call this on the way out
            }
        }
}

} // namespace ndb
