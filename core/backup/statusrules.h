#pragma once
// DESIGN.md "Status rules" for a backup, in one place: Engine::submitBackup checks them against
// the last known inventory (so a refusal it can already see creates no job), the backup job
// against the storage itself before it creates or changes anything.
#include "model/volume.h"

namespace ndb {

class VolumeStore;

// Throws RefusedError naming the rule: an in-use volume needs `force`; only 'available' and
// 'in-use' volumes can be backed up.
void checkBackupAllowed(const Volume &volume, bool force);
// Marks `volume` 'backing-up' in the catalog; RefusedError when another backup or restore
// holds it (busy volume).
void beginBackupOperation(VolumeStore &volumes, const Volume &volume);
// Marks `volume` `status` ('backing-up', 'restoring-backup') through the catalog's one arbiter
// (VolumeStore::beginOperation); RefusedError naming who holds it otherwise.
void beginVolumeOperation(VolumeStore &volumes, const Volume &volume, const QString &status);

} // namespace ndb
