#pragma once
// The repository lock, apart from the object backend: an object store has no flock, so its
// backends will take the lock elsewhere (the shared catalog) while the posix one uses flock.
#include <QtGlobal>

namespace ndb {

// Who else uses a container: shared while a Repository object is open (backup, restore,
// verify), exclusive for garbage collection.
class RepositoryLock
{
public:
    virtual ~RepositoryLock() = default;
    virtual void lockShared() = 0;
    // Converts the shared lock into an exclusive one, waiting up to `timeoutMsec`; throws
    // ndb::Error saying so when others still hold it.
    virtual void lockExclusive(int timeoutMsec) = 0;
};

} // namespace ndb
