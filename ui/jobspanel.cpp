#include "jobspanel.h"

#include "engine/engine.h"
#include "jobs/jobhandle.h"
#include "jobwidget.h"
#include "uitext.h"
#include "util/error.h"

#include <QLabel>
#include <QScrollArea>
#include <QTimer>
#include <QVBoxLayout>

namespace ndb {

JobsPanel::JobsPanel(Engine *engine, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
{
    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto *content = new QWidget(scroll);
    m_list = new QVBoxLayout(content);
    m_placeholder = new QLabel(tr("No jobs are running. Start a backup with the Back Up… action."), content);
    m_placeholder->setWordWrap(true);
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setEnabled(false);
    m_list->addWidget(m_placeholder);
    m_list->addStretch(1);
    scroll->setWidget(content);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(scroll);

    if (m_engine)
        connect(m_engine, &Engine::jobSubmitted, this, &JobsPanel::addJob);
}

QString JobsPanel::titleFor(JobHandle *job) const
{
    QString subject = job->subject();
    try {
        if (m_engine && job->kind() == QLatin1String("backup"))
            subject = m_engine->findVolume(job->subject()).name;
        else if (m_engine && !job->subject().isEmpty() && job->kind() != QLatin1String("gc")) {
            const Backup b = m_engine->backup(job->subject());
            subject = b.name.isEmpty() ? b.volumeName : QStringLiteral("%1 (%2)").arg(b.name, b.volumeName);
        }
    } catch (const Error &) {
        // keep the id: the title is informative only
    }
    return tr("#%1 %2 of %3").arg(job->id()).arg(UiText::jobKind(job->kind()), subject);
}

void JobsPanel::addJob(JobHandle *job)
{
    if (!job || m_widgets.contains(job->id()))
        return;
    auto *w = new JobWidget(job, titleFor(job), this);
    m_widgets.insert(job->id(), w);
    m_list->insertWidget(m_list->count() - 1, w);
    connect(w, &JobWidget::finished, this, [this, w](JobHandle *handle, const QString &status, const QString &error) {
        Q_EMIT jobFinished(handle, status, error);
        Q_EMIT runningCountChanged(runningCount());
        const qint64 id = w->jobId();
        if (!w->needsAttention())
            QTimer::singleShot(m_keepFinishedMs, this, [this, id] { removeCard(id); });
    });
    connect(w, &JobWidget::dismissed, this, [this, w] { removeCard(w->jobId()); });
    updatePlaceholder();
    Q_EMIT jobAdded(job);
    Q_EMIT runningCountChanged(runningCount());
}

JobWidget *JobsPanel::widgetFor(qint64 jobId) const
{
    return m_widgets.value(jobId);
}

QList<JobWidget *> JobsPanel::jobWidgets() const
{
    QList<JobWidget *> out;
    for (const auto &w : m_widgets)
        if (w)
            out << w;
    std::sort(out.begin(), out.end(), [](JobWidget *a, JobWidget *b) { return a->jobId() < b->jobId(); });
    return out;
}

int JobsPanel::runningCount() const
{
    int n = 0;
    for (const auto &w : m_widgets)
        if (w && !w->isFinished())
            ++n;
    return n;
}

QList<JobHandle *> JobsPanel::runningJobs() const
{
    QList<JobHandle *> out;
    for (JobWidget *w : jobWidgets())
        if (!w->isFinished() && w->job())
            out << w->job();
    return out;
}

void JobsPanel::removeCard(qint64 jobId)
{
    if (QPointer<JobWidget> gone = m_widgets.take(jobId))
        gone->deleteLater();
    updatePlaceholder();
}

void JobsPanel::updatePlaceholder()
{
    m_placeholder->setVisible(m_widgets.isEmpty());
}

} // namespace ndb
