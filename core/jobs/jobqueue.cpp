#include "jobqueue.h"
#include "jobcontext.h"
#include "jobhandle.h"

#include "catalog/catalog.h"
#include "catalog/freezestore.h"
#include "catalog/jobstore.h"
#include "model/status.h"
#include "util/coroutinethread.h"
#include "util/error.h"
#include "volumes/fsfreeze.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QEventLoop>
#include <QThread>

namespace ndb {

struct JobQueue::Pending
{
    JobHandle *handle;
    Work work;
};


JobQueue::JobQueue(const QString &catalogPath, int maxConcurrent, QObject *parent)
    : QObject(parent), m_catalogPath(catalogPath), m_maxConcurrent(qMax(1, maxConcurrent))
{
}

JobQueue::~JobQueue()
{
    for (JobHandle *h : std::as_const(m_running))
        h->cancel();
    for (QThread *t : std::as_const(m_threads)) {
        t->wait();
        delete t;
    }
    qDeleteAll(m_pending);
}

JobHandle *JobQueue::enqueue(qint64 jobId, const QString &kind, const QString &subject, Work work)
{
    auto *handle = new JobHandle(jobId, kind, subject, this);
    m_pending.append(new Pending{handle, std::move(work)});
    QMetaObject::invokeMethod(this, &JobQueue::startNext, Qt::QueuedConnection);
    return handle;
}

QList<JobHandle *> JobQueue::jobs() const
{
    QList<JobHandle *> out = m_running;
    for (const Pending *p : m_pending)
        out << p->handle;
    return out;
}

void JobQueue::setMaxConcurrent(int n)
{
    m_maxConcurrent = qMax(1, n);
    startNext();
}

void JobQueue::startNext()
{
    while (m_running.size() < m_maxConcurrent && !m_pending.isEmpty()) {
        Pending *p = m_pending.takeFirst();
        JobHandle *handle = p->handle;
        Work work = std::move(p->work);
        delete p;
        if (handle->cancelFlag()->load()) {
            // Cancelled before it started: nothing to clean up.
            Catalog catalog(m_catalogPath);
            JobStore(catalog).finish(handle->id(), JobStatus::Cancelled, QStringLiteral("cancelled before start"));
            handle->onFinished(JobStatus::Cancelled, QStringLiteral("cancelled before start"), {}, ErrorKind::Cancelled);
            Q_EMIT jobFinished(handle);
            continue;
        }
        m_running.append(handle);
        runInThread(handle, std::move(work));
        Q_EMIT jobStarted(handle);
    }
}

void JobQueue::runInThread(JobHandle *handle, Work work)
{
    const QString catalogPath = m_catalogPath;
    const qint64 jobId = handle->id();
    QPointer<JobHandle> target(handle);
    // The job's coroutine runs in its thread's own event loop, which ends with it.
    auto *thread = new CoroutineThread([catalogPath, jobId, target, work = std::move(work), cancel = handle->cancelFlag()]() -> QCoro::Task<> {
        QString status = JobStatus::Succeeded;
        QString error;
        ErrorKind errorKind = ErrorKind::Failed;
        QString result;
        try {
            Catalog catalog(catalogPath);
            JobStore store(catalog);
            JobContext context(jobId, &store, target.data(), cancel);
            // Freezes this job takes are recorded, so a start or cleanup thaws them if the process dies.
            FreezeStore freezes(catalog);
            const FreezeJournalScope journal(&freezes);
            store.markStarted(jobId);
            QMetaObject::invokeMethod(target, [target] { if (target) target->onStarted(); }, Qt::QueuedConnection);
            std::exception_ptr failure;
            try {
                result = co_await work(catalog, context);
            } catch (...) {
                failure = std::current_exception();
            }
            if (failure) {
                error = describeException(failure);
                errorKind = exceptionKind(failure);
                status = errorKind == ErrorKind::Cancelled ? JobStatus::Cancelled : JobStatus::Failed;
                context.event(QStringLiteral("error"), error);
            } else if (!context.warningOutcome().isEmpty()) {
                status = JobStatus::SucceededWithWarnings;
                error = context.warningOutcome();
            }
            context.saveProgress();
            store.finish(jobId, status, error);
        } catch (const Error &e) {
            // The catalog itself failed: report it, there is nowhere else to write it.
            status = JobStatus::Failed;
            error = e.message();
            errorKind = e.kind();
        }
        QMetaObject::invokeMethod(target, [target, status, error, result, errorKind] {
            if (target) target->onFinished(status, error, result, errorKind);
        }, Qt::QueuedConnection);
    });
    m_threads.append(thread);
    connect(thread, &QThread::finished, this, [this, thread, handle] {
        m_threads.removeOne(thread);
        // Deleted here, not by deleteLater(): a CLI's event loop ends with the last job, before a
        // deferred delete would run, and the thread (with the job's work and captures) leaked.
        // finished() is emitted just before the thread ends; wait() returns once it has.
        thread->wait();
        delete thread;
        m_running.removeOne(handle);
        Q_EMIT jobFinished(handle);
        startNext();
    });
    thread->start();
}

bool JobQueue::waitForIdle(int msecs)
{
    QDeadlineTimer deadline(msecs < 0 ? QDeadlineTimer::Forever : QDeadlineTimer(msecs));
    while (!m_pending.isEmpty() || !m_running.isEmpty() || !m_threads.isEmpty()) {
        if (deadline.hasExpired())
            return false;
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    }
    QCoreApplication::processEvents(); // deliver the last queued signals
    return true;
}

} // namespace ndb
