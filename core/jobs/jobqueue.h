#pragma once
// Runs jobs on worker threads, at most N at once, in submission order. Each job thread opens
// its own catalog connection and drivers, runs one coroutine to completion and records the
// outcome; the JobHandle (in the submitting thread) follows it through queued signals.
#include "engine/engineconfig.h"

#include <QCoro/QCoroTask>
#include <QList>
#include <QObject>
#include <functional>

namespace ndb {

class BackupService;
class JobContext;
class JobHandle;

class JobQueue : public QObject
{
    Q_OBJECT
public:
    // The work of one job; returns a result id (e.g. the backup it created) or an empty string.
    using Work = std::function<QCoro::Task<QString>(BackupService &service, JobContext &context)>;

    JobQueue(const EngineConfig &config, QObject *parent = nullptr);
    ~JobQueue() override; // cancels running jobs and waits for them

    // `jobId` is the catalog row created by the caller.
    JobHandle *enqueue(qint64 jobId, const QString &kind, const QString &subject, Work work);

    QList<JobHandle *> jobs() const; // queued and running
    int maxConcurrent() const { return m_maxConcurrent; }
    void setMaxConcurrent(int n);
    // Processes events until every job has finished or `msecs` passed; returns true when idle.
    bool waitForIdle(int msecs = -1);

Q_SIGNALS:
    void jobStarted(ndb::JobHandle *job);
    void jobFinished(ndb::JobHandle *job);

private:
    struct Pending;
    void startNext();
    void runInThread(JobHandle *handle, Work work);

    EngineConfig m_config;
    int m_maxConcurrent;
    QList<Pending *> m_pending;
    QList<JobHandle *> m_running;
    QList<QThread *> m_threads;
};

} // namespace ndb
