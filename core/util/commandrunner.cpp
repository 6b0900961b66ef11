#include "commandrunner.h"
#include "error.h"
#include "joblog.h"

#include <QProcess>

namespace ndb {

QString CommandResult::commandLine() const
{
    QStringList parts{program};
    for (const QString &a : arguments)
        parts << (a.contains(QLatin1Char(' ')) || a.isEmpty() ? QLatin1Char('\'') + a + QLatin1Char('\'') : a);
    return parts.join(QLatin1Char(' '));
}

QString CommandResult::errorText() const
{
    if (failedToStart)
        return QStringLiteral("%1 could not be started (is it installed?)").arg(program);
    if (timedOut)
        return QStringLiteral("%1 did not finish within its time limit and was killed").arg(program);
    QString err = QString::fromLocal8Bit(stdErr).trimmed();
    if (err.isEmpty())
        err = QString::fromLocal8Bit(stdOut).trimmed();
    err.replace(QLatin1Char('\n'), QLatin1String("; "));
    return QStringLiteral("%1 failed (exit %2): %3").arg(program).arg(exitCode).arg(err);
}

CommandResult CommandRunner::run(const QString &program, const QStringList &arguments,
                                 std::chrono::milliseconds timeout, const QProcessEnvironment &environment,
                                 JobLog *log)
{
    const auto logLine = [log](const QString &line) {
        if (log)
            log->command(line);
    };
    CommandResult result;
    result.program = program;
    result.arguments = arguments;
    logLine(QStringLiteral("$ ") + result.commandLine());

    QProcess process;
    process.setProcessEnvironment(environment);
    process.setProgram(program);
    process.setArguments(arguments);
    process.setStandardInputFile(QProcess::nullDevice());
    process.start();
    if (!process.waitForStarted(int(timeout.count()))) {
        result.failedToStart = true;
        logLine(result.errorText());
        return result;
    }
    if (!process.waitForFinished(int(timeout.count()))) {
        process.kill();
        process.waitForFinished(5000);
        result.timedOut = true;
    }
    result.stdOut = process.readAllStandardOutput();
    result.stdErr = process.readAllStandardError();
    if (!result.timedOut)
        result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    if (!result.stdErr.trimmed().isEmpty())
        logLine(QString::fromLocal8Bit(result.stdErr).trimmed());
    if (!result.ok())
        logLine(result.errorText());
    return result;
}

CommandResult CommandRunner::runChecked(const QString &program, const QStringList &arguments,
                                        std::chrono::milliseconds timeout, const QProcessEnvironment &environment,
                                        JobLog *log)
{
    CommandResult r = run(program, arguments, timeout, environment, log);
    if (!r.ok())
        throw Error(r.errorText());
    return r;
}

} // namespace ndb
