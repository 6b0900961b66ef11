#pragma once
// The front ends' view of one running job: lives in the thread that submitted it (the GUI
// thread), receives progress from the job's worker thread through queued signals.
#include "model/job.h"
#include "util/error.h"

#include <QObject>
#include <atomic>
#include <memory>

namespace ndb {

class JobHandle : public QObject
{
    Q_OBJECT
public:
    JobHandle(qint64 id, QString kind, QString subject, QObject *parent = nullptr);

    qint64 id() const { return m_id; }
    QString kind() const { return m_kind; }
    QString subject() const { return m_subject; } // volume or backup the job works on
    QString status() const { return m_status; }   // JobStatus
    QString error() const { return m_error; }
    // Why it failed (exit codes map from it); meaningless while the job has not failed.
    ErrorKind errorKind() const { return m_errorKind; }
    QString resultId() const { return m_resultId; } // e.g. the backup id a backup job created
    Progress progress() const { return m_progress; }
    bool isFinished() const;

    // Requests cancellation; the job runs its cleanup and ends as "cancelled".
    void cancel();
    const std::atomic<bool> *cancelFlag() const { return m_cancel.get(); }

Q_SIGNALS:
    void started();
    void progressChanged(const ndb::Progress &progress);
    void eventLogged(const QString &phase, const QString &level, const QString &message);
    void finished(const QString &status, const QString &error);

public Q_SLOTS:
    // Called (queued) by the worker thread.
    void onStarted();
    void onProgress(const ndb::Progress &progress);
    void onEvent(const QString &phase, const QString &level, const QString &message);
    void onFinished(const QString &status, const QString &error, const QString &resultId,
                    ndb::ErrorKind errorKind = ndb::ErrorKind::Failed);

private:
    qint64 m_id;
    QString m_kind;
    QString m_subject;
    QString m_status;
    QString m_error;
    ErrorKind m_errorKind = ErrorKind::Failed;
    QString m_resultId;
    Progress m_progress;
    std::shared_ptr<std::atomic<bool>> m_cancel;
};

} // namespace ndb
