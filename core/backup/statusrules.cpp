#include "backup/statusrules.h"

#include "catalog/volumestore.h"
#include "model/status.h"
#include "util/error.h"

namespace ndb {

void checkBackupAllowed(const Volume &volume, bool force)
{
    if (volume.status == VolumeStatus::InUse && !force)
        throw RefusedError(kForceRequiredMessage);
    if (volume.status != VolumeStatus::Available && volume.status != VolumeStatus::InUse)
        throw RefusedError(QStringLiteral("Volume %1 is '%2'; only 'available' or 'in-use' volumes can be backed up.")
                               .arg(volume.name, volume.status));
}

void beginBackupOperation(VolumeStore &volumes, const Volume &volume)
{
    beginVolumeOperation(volumes, volume, VolumeStatus::BackingUp);
}

void beginVolumeOperation(VolumeStore &volumes, const Volume &volume, const QString &status)
{
    if (volumes.beginOperation(volume, status))
        return;
    QString holder = volumes.holderOf(volume.id, status == VolumeStatus::RestoringBackup);
    if (holder.isEmpty())
        holder = QStringLiteral("another operation that has just started");
    throw RefusedError(QStringLiteral("Volume %1 is busy with another backup or restore: held by %2. Try again once it "
                                      "has ended.")
                           .arg(volume.name, holder));
}

} // namespace ndb
