#pragma once
#include <QDateTime>
#include <QString>

namespace ndb {

// One row of the catalog's freezes table: a filesystem freeze (or device-mapper suspend) that a
// process holds, recorded before it is taken, so that a process that dies holding it can be
// undone by the next engine start or `ndbackupctl cleanup`.
struct FreezeRecord
{
    static constexpr const char *kFilesystem = "fsfreeze";  // target: mount point
    static constexpr const char *kDmSuspend = "dm-suspend"; // target: device-mapper name

    qint64 id = 0;
    QString kind;
    QString target;
    QString device;     // the block device, for messages
    QString worker;     // currentWorkerId() of the owner
    qint64 guardPid = 0; // the guard process that thaws it when the owner dies, 0 = none
    QDateTime startedAt;
};

// Where freezes are recorded while they are held (the catalog's FreezeStore).
class FreezeJournal
{
public:
    virtual ~FreezeJournal() = default;
    virtual qint64 add(const FreezeRecord &record) = 0; // stamps the worker; returns the id
    virtual void setGuard(qint64 id, qint64 guardPid) = 0;
    virtual void remove(qint64 id) = 0;
};

} // namespace ndb
