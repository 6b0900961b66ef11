#pragma once
// What one startup cleanup (or `ndbackupctl cleanup`) undid: counted per kind, with messages.
#include <QStringList>

namespace ndb {

struct CleanupReport
{
    int backupsReset = 0;      // creating -> error
    int restoresReset = 0;
    int deletesFinished = 0;
    int temporariesRemoved = 0;
    int volumesRestored = 0;   // status put back from previous_status
    int freezesThawed = 0;     // filesystems / dm devices a dead process left frozen or suspended
    QStringList messages;
};

} // namespace ndb
