#pragma once
// Next to CommandRunner, the one audited place for a long-running child (nbdkit serving an
// export): an argument list, never a shell; its command line and every line it prints go to the
// log; stopped on demand (SIGTERM, then SIGKILL after a grace period) and when this object dies.
// Must be created and used on one thread (QProcess is thread-affine).
#include <QString>
#include <QStringList>

#include <chrono>
#include <memory>

class QProcess;

namespace ndb {

class JobLog;

class SupervisedProcess
{
public:
    // `log` may be null: lines then go to qInfo() (the daemon's journal).
    explicit SupervisedProcess(JobLog *log = nullptr);
    ~SupervisedProcess(); // stop()
    SupervisedProcess(const SupervisedProcess &) = delete;
    SupervisedProcess &operator=(const SupervisedProcess &) = delete;

    // Starts `program`; throws ndb::Error when it cannot be started.
    void start(const QString &program, const QStringList &arguments);
    qint64 pid() const; // 0 when not running
    bool isRunning() const;
    // What it printed so far (at most the last 8 KiB), for error messages.
    QString output();
    // SIGTERM, wait up to `grace`, then SIGKILL. No-op when it is not running.
    void stop(std::chrono::milliseconds grace = std::chrono::seconds(3));

private:
    void logLine(const QString &line) const;

    JobLog *m_log;
    std::unique_ptr<QProcess> m_process;
    QString m_output;
    QString m_partialLine;
};

} // namespace ndb
