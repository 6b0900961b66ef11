#include "jobcontext.h"
#include "jobhandle.h"
#include "catalog/jobstore.h"
#include "util/error.h"
#include "util/units.h"

#include <QMetaObject>
#include <QThread>

namespace ndb {

JobContext::JobContext(qint64 jobId, JobStore *store, JobHandle *handle, const std::atomic<bool> *cancel)
    : m_jobId(jobId), m_thread(QThread::currentThread()), m_store(store), m_handle(handle), m_cancel(cancel)
{
    m_clock.start();
}

void JobContext::setPhase(const QString &phase, const QString &message)
{
    saveProgress(); // the previous phase's milestones first
    {
        std::lock_guard lock(m_mutex);
        m_progress.phase = phase;
        m_progress.message = message;
        m_lastMilestonePercent = 0;
    }
    if (m_store) {
        m_store->setPhase(m_jobId, phase);
        m_store->addEvent(m_jobId, phase, QStringLiteral("phase"), message.isEmpty() ? phase : message, m_progress.bytesDone);
    }
    if (m_handle) {
        QPointer<JobHandle> h = m_handle;
        const QString msg = message.isEmpty() ? phase : message;
        QMetaObject::invokeMethod(h, [h, phase, msg] { if (h) h->onEvent(phase, QStringLiteral("phase"), msg); }, Qt::QueuedConnection);
    }
    flushProgress();
}

QString JobContext::phase() const
{
    std::lock_guard lock(m_mutex);
    return m_progress.phase;
}

void JobContext::event(const QString &level, const QString &message)
{
    QString ph;
    qint64 bytesDone = 0;
    {
        std::lock_guard lock(m_mutex);
        ph = m_progress.phase;
        bytesDone = m_progress.bytesDone;
        if (QThread::currentThread() != m_thread)
            m_pendingEvents.append({QDateTime::currentDateTimeUtc(), ph, level, message, bytesDone});
    }
    if (QThread::currentThread() == m_thread) {
        writePendingEvents(); // what other threads logged before this line
        if (m_store)
            m_store->addEvent(m_jobId, ph, level, message, bytesDone);
    }
    if (m_handle) {
        QPointer<JobHandle> h = m_handle;
        QMetaObject::invokeMethod(h, [h, ph, level, message] { if (h) h->onEvent(ph, level, message); }, Qt::QueuedConnection);
    }
}

void JobContext::writePendingEvents()
{
    QList<PendingEvent> pending;
    {
        std::lock_guard lock(m_mutex);
        pending.swap(m_pendingEvents);
    }
    if (!m_store)
        return;
    for (const PendingEvent &e : pending)
        m_store->addEvent(m_jobId, e.phase, e.level, e.message, e.bytesDone, e.time);
}

void JobContext::setSubject(const QString &backupId, const QString &volumeId)
{
    if (m_store)
        m_store->setSubject(m_jobId, backupId, volumeId);
}

void JobContext::saveProgress()
{
    Progress p;
    QList<Milestone> milestones;
    {
        std::lock_guard lock(m_mutex);
        p = m_progress;
        milestones.swap(m_milestones);
    }
    writePendingEvents();
    if (!m_store)
        return;
    for (const Milestone &m : milestones)
        m_store->addEvent(m_jobId, m.phase, QStringLiteral("progress"),
                          QStringLiteral("%1 % (%2 of %3, %4)")
                              .arg(m.bytesTotal > 0 ? m.bytesDone * 100 / m.bytesTotal : 0)
                              .arg(formatSize(m.bytesDone), formatSize(m.bytesTotal), formatRate(m.bytesPerSecond)),
                          m.bytesDone, m.time);
    m_store->setProgress(m_jobId, p.bytesDone, p.bytesTotal, p.bytesStored);
}

void JobContext::progress(qint64 bytesDone, qint64 bytesTotal, qint64 bytesStored)
{
    Progress snapshot;
    {
        std::lock_guard lock(m_mutex);
        m_progress.bytesDone = bytesDone;
        m_progress.bytesTotal = bytesTotal;
        m_progress.bytesStored = bytesStored;
        const qint64 now = m_clock.elapsed();
        // Rate over windows of at least one second, smoothed, so the ETA does not jump.
        if (now - m_rateSampleMs >= 1000) {
            const double instant = double(bytesDone - m_rateSampleBytes) * 1000.0 / double(now - m_rateSampleMs);
            m_progress.bytesPerSecond = m_progress.bytesPerSecond <= 0 ? instant : 0.6 * instant + 0.4 * m_progress.bytesPerSecond;
            m_rateSampleMs = now;
            m_rateSampleBytes = bytesDone;
            m_progress.etaSeconds = m_progress.bytesPerSecond > 0 && bytesTotal > 0
                ? qint64(double(bytesTotal - bytesDone) / m_progress.bytesPerSecond) : -1;
        }
        const int percent = bytesTotal > 0 ? int(bytesDone * 100 / bytesTotal) : 0;
        if (percent / 10 > m_lastMilestonePercent / 10) {
            m_lastMilestonePercent = percent;
            m_milestones.append({QDateTime::currentDateTimeUtc(), m_progress.phase, bytesDone, bytesTotal, m_progress.bytesPerSecond});
        }
        if (now - m_lastEmitMs < 200)
            return;
        m_lastEmitMs = now;
        snapshot = m_progress;
    }
    emitProgress(snapshot);
}

void JobContext::flushProgress()
{
    Progress snapshot;
    {
        std::lock_guard lock(m_mutex);
        m_lastEmitMs = m_clock.elapsed();
        snapshot = m_progress;
    }
    emitProgress(snapshot);
}

void JobContext::emitProgress(const Progress &p)
{
    if (!m_handle)
        return;
    QPointer<JobHandle> h = m_handle;
    QMetaObject::invokeMethod(h, [h, p] { if (h) h->onProgress(p); }, Qt::QueuedConnection);
}

void JobContext::throwIfCancelled() const
{
    if (isCancelled())
        throw CancelledError();
}

void JobContext::setWarningOutcome(const QString &warning)
{
    m_warningOutcome = warning;
    event(QStringLiteral("warning"), warning);
}

} // namespace ndb
