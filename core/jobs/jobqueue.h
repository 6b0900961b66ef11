#pragma once
// Runs jobs on worker threads, at most N at once, in submission order. Each job thread opens
// its own catalog connection, runs the job's coroutine in its own event loop and records the
// outcome; the JobHandle (in the submitting thread) follows it through queued signals. What a
// job needs beyond that (drivers, a BackupService) its Work builds: the queue knows no engine.

#include <QCoro/QCoroTask>
#include <QList>
#include <QObject>
#include <functional>

namespace ndb {

class Catalog;
class JobContext;
class JobHandle;

class JobQueue : public QObject
{
    Q_OBJECT
public:
    // The work of one job, given the job thread's catalog connection and the job's context;
    // returns a result id (e.g. the backup it created) or an empty string.
    using Work = std::function<QCoro::Task<QString>(Catalog &catalog, JobContext &context)>;

    JobQueue(const QString &catalogPath, int maxConcurrent, QObject *parent = nullptr);
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

    QString m_catalogPath;
    int m_maxConcurrent;
    QList<Pending *> m_pending;
    QList<JobHandle *> m_running;
    QList<QThread *> m_threads;
};

} // namespace ndb
