#pragma once
// What a running job offers the code it runs: its phase and event log (written to job_events),
// progress in the KJob shape (throttled, forwarded to the front end's JobHandle), cancellation.
#include "model/job.h"
#include "util/joblog.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QList>
#include <QPointer>
#include <atomic>
#include <mutex>

class QThread;

namespace ndb {

class JobHandle;
class JobStore;

class JobContext : public JobLog
{
public:
    JobContext(qint64 jobId, JobStore *store, JobHandle *handle, const std::atomic<bool> *cancel);

    qint64 jobId() const { return m_jobId; }

    // Job thread only (they write the catalog).
    void setPhase(const QString &phase, const QString &message = {});
    void setSubject(const QString &backupId, const QString &volumeId);
    // Writes the last progress figures to the jobs row, and the progress milestones collected
    // since the last call to job_events (with the times they were reached).
    void saveProgress();

    // Any thread (JobLog). The job thread writes the event to the catalog at once; a line from
    // another thread (a watchdog, a reader) is shown at once and written by the job thread at its
    // next event, phase or progress save (connections belong to their thread).
    void event(const QString &level, const QString &message) override;

    // Any thread: throttled to a few updates per second, the last one always delivered by flush.
    void progress(qint64 bytesDone, qint64 bytesTotal, qint64 bytesStored);
    void flushProgress();

    bool isCancelled() const { return m_cancel && m_cancel->load(); }
    void throwIfCancelled() const;
    const std::atomic<bool> *cancelFlag() const override { return m_cancel; }
    QString phase() const;

    // The work succeeded but its result falls short (e.g. a copy that is not point-in-time): the
    // job ends "succeeded-with-warnings" with this text as its error. Job thread only.
    void setWarningOutcome(const QString &warning);
    QString warningOutcome() const { return m_warningOutcome; }

private:
    void emitProgress(const Progress &p);
    void writePendingEvents(); // job thread


    qint64 m_jobId;
    QThread *m_thread; // the job thread, which owns m_store's connection
    JobStore *m_store;
    QPointer<JobHandle> m_handle;
    const std::atomic<bool> *m_cancel;

    mutable std::mutex m_mutex;
    Progress m_progress;
    QElapsedTimer m_clock;
    qint64 m_lastEmitMs = -1000;
    qint64 m_rateSampleMs = 0;
    qint64 m_rateSampleBytes = 0;

    // Every 10 % of a phase: recorded by whichever thread reports progress, written to the
    // catalog by the job thread (connections belong to their thread).
    struct Milestone
    {
        QDateTime time;
        QString phase;
        qint64 bytesDone;
        qint64 bytesTotal;
        double bytesPerSecond;
    };
    QList<Milestone> m_milestones;

    struct PendingEvent
    {
        QDateTime time;
        QString phase;
        QString level;
        QString message;
        qint64 bytesDone;
    };
    QList<PendingEvent> m_pendingEvents;
    int m_lastMilestonePercent = 0;
    QString m_warningOutcome;
};

} // namespace ndb
