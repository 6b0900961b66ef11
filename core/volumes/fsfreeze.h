#pragma once
// Filesystem freeze for the instant of a snapshot: FIFREEZE on the filesystem mounted from a
// block device. A freeze must not outlive its owner, so it is held by a small guard process
// (forked, raw system calls only) that thaws when told, when this process dies (its command
// socket reaches end-of-file, also after SIGKILL) and when the hard time limit passes. A journal
// (the catalog's `freezes` table) records the freeze before FIFREEZE, so that the next engine
// start or `ndbackupctl cleanup` thaws what a process killed together with its guard left frozen.
#include "model/freeze.h"
#include "volumes/guardprocess.h"

#include <QString>

#include <chrono>
#include <sys/types.h>

namespace ndb {

class FilesystemFreeze
{
public:
    // Mount point of the filesystem whose source is block device `devicePath` (matched by
    // major:minor in /proc/self/mountinfo); empty when it is not mounted.
    static QString mountPointOf(const QString &devicePath);
    // Type of that filesystem ("ext4"), for the job log; empty when it is not mounted.
    static QString filesystemTypeOf(const QString &devicePath);

    // The calling thread's journal (a job thread installs one over its catalog); nullptr: freezes
    // are not recorded, the guard process still thaws.
    static FreezeJournal *threadJournal();
    static void setThreadJournal(FreezeJournal *journal);

    // Freezes the filesystem at `mountPoint` (mounted from `device`, for the record). Throws
    // ndb::Error when FIFREEZE fails or the guard cannot be started; nothing stays frozen then.
    FilesystemFreeze(const QString &mountPoint, std::chrono::milliseconds limit, const QString &device = {});
    ~FilesystemFreeze(); // thaws (unless the time limit already did)
    FilesystemFreeze(const FilesystemFreeze &) = delete;
    FilesystemFreeze &operator=(const FilesystemFreeze &) = delete;

    // Thaws now; returns false when the guard had thawed it already (the limit was exceeded).
    bool thaw();
    QString mountPoint() const { return m_mountPoint; }
    pid_t guardPid() const { return m_guard.pid(); }

    // FITHAW on `mountPoint`: true when it was frozen and is thawed now (EINVAL = not frozen).
    static bool thawMountPoint(const QString &mountPoint, QString *error = nullptr);

private:
    QString m_mountPoint;
    GuardProcess m_guard; // holds FIFREEZE; thaws when told, when this process dies, at the limit
    bool m_thawed = false;
    bool m_thawedByLimit = false;
    qint64 m_recordId = 0;
    FreezeJournal *m_journal = nullptr;
};

// Installs `journal` as the calling thread's freeze journal for the scope's lifetime.
class FreezeJournalScope
{
public:
    explicit FreezeJournalScope(FreezeJournal *journal) { FilesystemFreeze::setThreadJournal(journal); }
    ~FreezeJournalScope() { FilesystemFreeze::setThreadJournal(nullptr); }
    FreezeJournalScope(const FreezeJournalScope &) = delete;
    FreezeJournalScope &operator=(const FreezeJournalScope &) = delete;
};

} // namespace ndb
