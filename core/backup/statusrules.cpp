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
    if (!volumes.beginOperation(volume, VolumeStatus::BackingUp))
        throw RefusedError(QStringLiteral("Volume %1 is busy with another backup or restore.").arg(volume.name));
}

} // namespace ndb
