#pragma once
// The only place that starts external programs (lvm, losetup, fsfreeze helpers, mkfs in tests).
// Programs get an argument list, never a shell string; every run has a time limit; what a command
// printed goes to the calling thread's log sink (the running job's event log).
#include <QByteArray>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <chrono>
#include <functional>

namespace ndb {

struct CommandResult
{
    QString program;
    QStringList arguments;
    int exitCode = -1;
    bool timedOut = false;
    bool failedToStart = false;
    QByteArray stdOut;
    QByteArray stdErr;

    bool ok() const { return !timedOut && !failedToStart && exitCode == 0; }
    QString commandLine() const; // for messages only, quoted for reading
    QString errorText() const;   // one line: "lvcreate failed (exit 5): <stderr>"
};

class CommandRunner
{
public:
    using LogSink = std::function<void(const QString &line)>;

    static CommandResult run(const QString &program, const QStringList &arguments,
                             std::chrono::milliseconds timeout = std::chrono::seconds(120),
                             const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment());
    // run(), throwing ndb::Error(errorText()) unless ok().
    static CommandResult runChecked(const QString &program, const QStringList &arguments,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(120),
                                    const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment());

    // Per-thread sink for command lines and their output; a job installs one for its thread.
    static void setThreadLogSink(LogSink sink);
    // Writes one line to the calling thread's sink (a note that belongs in the job's event log).
    static void logLine(const QString &line);
};

} // namespace ndb
