#pragma once
// A guard process for a state that must not outlive this process (a frozen filesystem, a
// suspended device-mapper device). The guard is forked and then runs raw system calls only: it
// takes the state (optionally), watches a time limit, and releases the state when told, when
// this process dies (its end of the command socket closes, also after SIGKILL) or at the limit.
// Shared by FilesystemFreeze and the LVM suspend watchdog so that the fork, the socket and the
// parent-death detection exist once.
#include <QString>

#include <sys/types.h>

namespace ndb {

// What the guard does. Every function runs in a child forked from a multi-threaded process, so it
// may only make async-signal-safe calls (raw system calls; no allocation, no locks, no Qt). It
// works on the child's copy of `context`.
struct GuardActions
{
    const char *name = "ndb-guard"; // process name (PR_SET_NAME, at most 15 characters)
    void *context = nullptr;
    int keepFd = -1; // a descriptor the actions use; the guard closes every other one but its socket
    // Takes the guarded state: 0, or an errno that the parent receives as the failure. Optional.
    int (*take)(void *context) = nullptr;
    // Runs first right after take(), then whenever the returned number of milliseconds has passed;
    // a negative return value: no more ticks (e.g. the limit released the state).
    long long (*tick)(void *context, long long elapsedMs) = nullptr;
    // The owner asked (ownerGone false) or died (ownerGone true). Returns true when the state had
    // already been released by the limit (the owner learns it from stop()).
    bool (*release)(void *context, bool ownerGone) = nullptr;
};

class GuardProcess
{
public:
    GuardProcess() = default;
    ~GuardProcess(); // stop()
    GuardProcess(const GuardProcess &) = delete;
    GuardProcess &operator=(const GuardProcess &) = delete;

    // Forks the guard and waits until it has taken the state. Returns false with `failure` set
    // ("cannot start its guard process: ...", an errno text from take(), ...); then no guard runs.
    bool start(const GuardActions &actions, QString *failure);

    enum class Outcome { Released, ReleasedByLimit, Gone };
    // Tells the guard to release and waits for it to end. Gone: it ended without answering (or was
    // never started); the caller releases the state itself if it can.
    Outcome stop();
    bool running() const { return m_pid > 0; }
    pid_t pid() const { return m_pid; }

private:
    pid_t m_pid = -1;
    int m_socket = -1;
};

} // namespace ndb
