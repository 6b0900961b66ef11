#pragma once
// One running job in the jobs panel: its steps (snapshot, attach, transfer, detach, cleanup),
// percent, rate, ETA, bytes read and stored, and a cancel button; the outcome in words at the end.
// The card fits any width: the steps wrap, the texts wrap. A job that failed or finished with
// warnings keeps its reason on the card and a Dismiss button.
#include "jobs/jobhandle.h"
#include "model/job.h"

#include <QPointer>
#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;

namespace ndb {



class JobWidget : public QWidget
{
    Q_OBJECT
public:
    JobWidget(JobHandle *job, const QString &title, QWidget *parent = nullptr);

    JobHandle *job() const { return m_job; }
    qint64 jobId() const { return m_jobId; }
    QString currentPhase() const { return m_phase; }
    int percent() const;
    bool isFinished() const { return m_finished; }
    QString stepState(const QString &phase) const; // "pending", "active", "done", "skipped", "failed"
    QPushButton *cancelButton() const { return m_cancel; }
    QPushButton *dismissButton() const { return m_dismiss; }
    // Finished, but not cleanly: failed or succeeded with warnings. Stays until dismissed.
    bool needsAttention() const;
    QString detailsText() const;
    QString outcomeText() const;

    static QStringList steps(); // the phases shown as steps, in order

Q_SIGNALS:
    void finished(ndb::JobHandle *job, const QString &status, const QString &error);
    void dismissed();

private:
    void onProgress(const Progress &p);
    void onFinished(const QString &status, const QString &error);
    void setPhase(const QString &phase);
    void updateSteps();

    QPointer<JobHandle> m_job;
    qint64 m_jobId = 0;
    QString m_kind;
    QString m_phase;
    QStringList m_seen; // phases the job went through
    bool m_finished = false;
    QString m_status;
    QLabel *m_title;
    QList<QLabel *> m_stepIcons;
    QList<QLabel *> m_stepLabels;
    QProgressBar *m_bar;
    QLabel *m_details;
    QLabel *m_outcome;
    QPushButton *m_cancel;
    QPushButton *m_dismiss;
};

} // namespace ndb
