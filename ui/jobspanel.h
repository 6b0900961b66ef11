#pragma once
// The running jobs, one JobWidget each. A job that succeeded or was cancelled stays visible for a
// moment with its outcome and then leaves the panel (it is in the history from then on); one that
// failed or finished with warnings stays with its reason until it is dismissed.
#include <QHash>
#include <QPointer>
#include <QWidget>

class QLabel;
class QVBoxLayout;

namespace ndb {

class Engine;
class JobHandle;
class JobWidget;

class JobsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit JobsPanel(Engine *engine, QWidget *parent = nullptr);

    // Adds a job (idempotent); jobs the engine announces through jobSubmitted come in by themselves.
    void addJob(JobHandle *job);
    JobWidget *widgetFor(qint64 jobId) const;
    QList<JobWidget *> jobWidgets() const;
    int runningCount() const;
    // Jobs not finished yet (queued or running), oldest first.
    QList<JobHandle *> runningJobs() const;
    // The words for a job in titles and questions: "#3 backup of demo-database".
    QString titleFor(JobHandle *job) const;

    // How long a succeeded or cancelled job stays in the panel (ms); 0 removes it at once.
    void setKeepFinishedFor(int ms) { m_keepFinishedMs = ms; }

Q_SIGNALS:
    void jobAdded(ndb::JobHandle *job);
    void jobFinished(ndb::JobHandle *job, const QString &status, const QString &error);
    void runningCountChanged(int running);

private:
    void removeCard(qint64 jobId);
    void updatePlaceholder();

    Engine *m_engine;
    QVBoxLayout *m_list;
    QLabel *m_placeholder;
    QHash<qint64, QPointer<JobWidget>> m_widgets;
    int m_keepFinishedMs = 8000;
};

} // namespace ndb
