#include "volumedriver.h"
#include "util/error.h"

namespace ndb {

namespace {
const QString kSnapPrefix = QStringLiteral("ndbackup-snap-");
const QString kVolPrefix = QStringLiteral("ndbackup-vol-");
} // namespace

QCoro::Task<std::unique_ptr<BlockSource>> VolumeDriver::openAttachedSource(QString, QString attachment)
{
    co_return openFileSource(attachment);
}

namespace {
Error cannotExport(const VolumeDriver &driver)
{
    return RefusedError(QStringLiteral("storage %1 cannot export snapshots").arg(driver.id()));
}
} // namespace

QCoro::Task<std::unique_ptr<BlockSink>> VolumeDriver::openRecordedVolumeSink(QString name, SinkRecorder)
{
    co_return co_await openVolumeSink(name);
}

QCoro::Task<void> VolumeDriver::closeVolumeSink(QString, QJsonObject)
{
    co_return;
}

QCoro::Task<QString> VolumeDriver::createExportSnapshot(SnapshotHandle)
{
    throw cannotExport(*this);
    co_return QString();
}

QCoro::Task<ConnectionInfo> VolumeDriver::initializeConnectionSnapshot(SnapshotHandle, QString)
{
    throw cannotExport(*this);
    co_return ConnectionInfo();
}

QCoro::Task<std::unique_ptr<BlockSource>> VolumeDriver::openConnectionSource(ConnectionInfo)
{
    throw cannotExport(*this);
    co_return std::unique_ptr<BlockSource>();
}

QCoro::Task<void> VolumeDriver::terminateConnectionSnapshot(SnapshotHandle, ConnectionInfo)
{
    throw cannotExport(*this);
    co_return;
}

QCoro::Task<void> VolumeDriver::removeExportSnapshot(SnapshotHandle)
{
    throw cannotExport(*this);
    co_return;
}

QString tempSnapshotName(const QString &backupId) { return kSnapPrefix + backupId; }
QString tempVolumeName(const QString &backupId) { return kVolPrefix + backupId; }

bool parseTemporaryName(const QString &name, TemporaryObject &out)
{
    if (name.startsWith(kSnapPrefix)) {
        out.kind = TemporaryObject::Kind::Snapshot;
        out.backupId = name.mid(kSnapPrefix.size());
    } else if (name.startsWith(kVolPrefix)) {
        out.kind = TemporaryObject::Kind::Volume;
        out.backupId = name.mid(kVolPrefix.size());
    } else {
        return false;
    }
    out.name = name;
    return true;
}

} // namespace ndb
