#include "supervisedprocess.h"
#include "commandrunner.h"
#include "error.h"
#include "joblog.h"

#include <QDebug>
#include <QProcess>

namespace ndb {

SupervisedProcess::SupervisedProcess(JobLog *log) : m_log(log) {}

SupervisedProcess::~SupervisedProcess()
{
    stop();
}

void SupervisedProcess::logLine(const QString &line) const
{
    if (m_log)
        m_log->command(line);
    else
        qInfo().noquote() << line;
}

void SupervisedProcess::start(const QString &program, const QStringList &arguments)
{
    stop();
    CommandResult described; // only for its quoting of the command line
    described.program = program;
    described.arguments = arguments;
    logLine(QStringLiteral("$ ") + described.commandLine());
    m_output.clear();
    m_partialLine.clear();
    m_process = std::make_unique<QProcess>();
    m_process->setProgram(program);
    m_process->setArguments(arguments);
    m_process->setStandardInputFile(QProcess::nullDevice());
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    QProcess *process = m_process.get();
    QObject::connect(process, &QProcess::readyReadStandardOutput, process, [this, process] {
        const QString text = QString::fromLocal8Bit(process->readAllStandardOutput());
        m_output = (m_output + text).right(8192);
        // Output arrives in arbitrary pieces: log whole lines only.
        m_partialLine += text;
        const qsizetype end = m_partialLine.lastIndexOf(QLatin1Char('\n'));
        if (end < 0)
            return;
        for (const QString &line : m_partialLine.left(end).split(QLatin1Char('\n'), Qt::SkipEmptyParts))
            logLine(process->program() + QStringLiteral(": ") + line);
        m_partialLine.remove(0, end + 1);
    });
    m_process->start();
    if (!m_process->waitForStarted(10000)) {
        const QString why = m_process->errorString();
        m_process.reset();
        throw Error(QStringLiteral("%1 could not be started (is it installed?): %2").arg(program, why));
    }
}

qint64 SupervisedProcess::pid() const
{
    return isRunning() ? m_process->processId() : 0;
}

bool SupervisedProcess::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

QString SupervisedProcess::output()
{
    if (m_process)
        m_output = (m_output + QString::fromLocal8Bit(m_process->readAllStandardOutput())).right(8192);
    return m_output.trimmed();
}

void SupervisedProcess::stop(std::chrono::milliseconds grace)
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        m_process->terminate();
        if (!m_process->waitForFinished(int(grace.count()))) {
            m_process->kill();
            m_process->waitForFinished(5000);
        }
    }
    m_process.reset();
}

} // namespace ndb
