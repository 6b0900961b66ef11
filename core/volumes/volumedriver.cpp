#include "volumedriver.h"

namespace ndb {

namespace {
const QString kSnapPrefix = QStringLiteral("ndbackup-snap-");
const QString kVolPrefix = QStringLiteral("ndbackup-vol-");
} // namespace

QCoro::Task<std::unique_ptr<BlockSource>> VolumeDriver::openAttachedSource(QString, QString attachment)
{
    co_return openFileSource(attachment);
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
