#include "jobhandle.h"
#include "model/status.h"

namespace ndb {

JobHandle::JobHandle(qint64 id, QString kind, QString subject, QObject *parent)
    : QObject(parent), m_id(id), m_kind(std::move(kind)), m_subject(std::move(subject)),
      m_status(JobStatus::Queued), m_cancel(std::make_shared<std::atomic<bool>>(false))
{
}

bool JobHandle::isFinished() const
{
    return jobSucceeded(m_status) || m_status == JobStatus::Failed || m_status == JobStatus::Cancelled;
}

void JobHandle::cancel()
{
    m_cancel->store(true);
}

void JobHandle::onStarted()
{
    m_status = JobStatus::Running;
    Q_EMIT started();
}

void JobHandle::onProgress(const ndb::Progress &progress)
{
    if (isFinished())
        return;
    m_progress = progress;
    Q_EMIT progressChanged(progress);
}

void JobHandle::onEvent(const QString &phase, const QString &level, const QString &message)
{
    Q_EMIT eventLogged(phase, level, message);
}

void JobHandle::onFinished(const QString &status, const QString &error, const QString &resultId,
                           ErrorKind errorKind)
{
    m_errorKind = errorKind;
    m_status = status;
    m_error = error;
    m_resultId = resultId;
    Q_EMIT finished(status, error);
}

} // namespace ndb
