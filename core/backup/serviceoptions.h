#pragma once
// What BackupService needs of the configuration: its own options, so that core/backup does not
// include the engine (the engine fills them: EngineConfig::serviceOptions()).
#include "backup/restoretarget.h"

#include <QString>

namespace ndb {

struct BackupServiceOptions
{
    QString repositoryRoot;        // containers are directories below it
    QString defaultContainer;      // for requests that name none
    ProtectedPaths protectedPaths; // what a restore into a file must stay out of
    bool refuseInconsistentCopies = false; // refuse backups that would not be point-in-time copies
};

} // namespace ndb
