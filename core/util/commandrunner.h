#pragma once
// The only place that starts external programs (lvm, losetup, fsfreeze helpers, mkfs in tests).
// Programs get an argument list, never a shell string; every run has a time limit; the command
// line and what it printed go to the JobLog the caller passes (the running job's event log).
#include <QByteArray>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <chrono>

namespace ndb {

class JobLog;

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
    // `log` may be null (tools, tests): the command then runs unlogged.
    static CommandResult run(const QString &program, const QStringList &arguments,
                             std::chrono::milliseconds timeout = std::chrono::seconds(120),
                             const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment(),
                             JobLog *log = nullptr);
    // run(), throwing ndb::Error(errorText()) unless ok().
    static CommandResult runChecked(const QString &program, const QStringList &arguments,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(120),
                                    const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment(),
                                    JobLog *log = nullptr);
};

} // namespace ndb
