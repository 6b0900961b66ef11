#pragma once
// Where the code a job runs writes its notes: the job's event log. Passed explicitly (drivers,
// the command runner, watchdog threads get it from whoever created them) rather than found in a
// thread-local, so that a line written on any thread reaches the job it belongs to, with its
// level. Implementations are thread-safe.
#include <QString>

#include <atomic>

namespace ndb {

class JobLog
{
public:
    virtual ~JobLog() = default;

    // `level` is one of the job_events levels: "info", "warning", "error", "command".
    virtual void event(const QString &level, const QString &message) = 0;

    void info(const QString &message) { event(QStringLiteral("info"), message); }
    void warning(const QString &message) { event(QStringLiteral("warning"), message); }
    void error(const QString &message) { event(QStringLiteral("error"), message); }
    // A command line and what it printed.
    void command(const QString &message) { event(QStringLiteral("command"), message); }
    // The job's cancel flag, for code that waits on something slow (null: not cancellable).
    virtual const std::atomic<bool> *cancelFlag() const { return nullptr; }
};

} // namespace ndb
