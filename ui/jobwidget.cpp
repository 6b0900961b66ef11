#include "jobwidget.h"

#include "flowlayout.h"
#include "jobs/jobhandle.h"
#include "model/status.h"
#include "uitext.h"

#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

namespace ndb {

QStringList JobWidget::steps()
{
    return {Phase::Snapshot, Phase::Attach, Phase::Transfer, Phase::Detach, Phase::Cleanup};
}

JobWidget::JobWidget(JobHandle *job, const QString &title, QWidget *parent)
    : QWidget(parent)
    , m_job(job)
    , m_jobId(job->id())
    , m_kind(job->kind())
{
    setObjectName(QStringLiteral("job-%1").arg(m_jobId));
    auto *frame = new QFrame(this);
    frame->setFrameShape(QFrame::StyledPanel);
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(frame);

    auto *layout = new QVBoxLayout(frame);
    auto *top = new QHBoxLayout;
    m_title = new QLabel(QStringLiteral("<b>%1</b>").arg(title.toHtmlEscaped()), frame);
    m_title->setWordWrap(true);
    m_cancel = new QPushButton(UiText::icon(QStringLiteral("cancel")), tr("Cancel"), frame);
    m_cancel->setToolTip(tr("Stop this job; its temporary snapshot or volume is removed"));
    m_dismiss = new QPushButton(tr("Dismiss"), frame);
    m_dismiss->setObjectName(QStringLiteral("dismissButton"));
    m_dismiss->setToolTip(tr("Remove this card from the panel; the job stays in the history"));
    m_dismiss->hide();
    top->addWidget(m_title, 1);
    top->addWidget(m_cancel, 0, Qt::AlignTop);
    top->addWidget(m_dismiss, 0, Qt::AlignTop);
    layout->addLayout(top);

    // Icon and word of a step stay together; the steps wrap in a narrow dock.
    auto *stepRow = new FlowLayout(nullptr, 9, 2);
    const QStringList all = steps();
    for (int i = 0; i < all.size(); ++i) {
        auto *step = new QWidget(frame);
        step->setObjectName(QStringLiteral("step-%1").arg(all[i]));
        auto *pair = new QHBoxLayout(step);
        pair->setContentsMargins(0, 0, 0, 0);
        pair->setSpacing(3);
        auto *icon = new QLabel(step);
        auto *label = new QLabel(UiText::phase(all[i]), step);
        m_stepIcons << icon;
        m_stepLabels << label;
        pair->addWidget(icon);
        pair->addWidget(label);
        stepRow->addWidget(step);
    }
    layout->addLayout(stepRow);

    m_bar = new QProgressBar(frame);
    m_bar->setRange(0, 100);
    m_bar->setValue(0);
    m_bar->setFormat(tr("%p%"));
    layout->addWidget(m_bar);
    m_details = new QLabel(tr("Waiting to start…"), frame);
    m_details->setWordWrap(true);
    layout->addWidget(m_details);
    m_outcome = new QLabel(frame);
    m_outcome->setWordWrap(true);
    m_outcome->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_outcome->hide();
    layout->addWidget(m_outcome);

    connect(m_cancel, &QPushButton::clicked, this, [this] {
        if (m_job) {
            m_job->cancel();
            m_cancel->setEnabled(false);
            m_cancel->setText(tr("Cancelling…"));
        }
    });
    connect(m_dismiss, &QPushButton::clicked, this, &JobWidget::dismissed);
    connect(job, &JobHandle::progressChanged, this, &JobWidget::onProgress);
    connect(job, &JobHandle::finished, this, &JobWidget::onFinished);

    updateSteps();
    if (!job->progress().phase.isEmpty())
        onProgress(job->progress());
    if (job->isFinished())
        onFinished(job->status(), job->error());
}

int JobWidget::percent() const
{
    return m_bar->value();
}

bool JobWidget::needsAttention() const
{
    return m_finished && m_status != JobStatus::Succeeded && m_status != JobStatus::Cancelled;
}

QString JobWidget::detailsText() const
{
    return m_details->text();
}

QString JobWidget::outcomeText() const
{
    return m_outcome->text();
}

void JobWidget::setPhase(const QString &phase)
{
    if (phase.isEmpty() || phase == m_phase)
        return;
    m_phase = phase;
    if (!m_seen.contains(phase))
        m_seen << phase;
    updateSteps();
}

QString JobWidget::stepState(const QString &phase) const
{
    const QStringList all = steps();
    const int idx = all.indexOf(phase);
    const int cur = all.indexOf(m_phase);
    if (m_finished) {
        if (m_seen.contains(phase)) {
            if (phase == m_phase && !jobSucceeded(m_status) && phase != Phase::Cleanup)
                return QStringLiteral("failed");
            return QStringLiteral("done");
        }
        return QStringLiteral("skipped");
    }
    if (phase == m_phase)
        return QStringLiteral("active");
    if (m_seen.contains(phase))
        return QStringLiteral("done");
    if (cur >= 0 && idx < cur)
        return QStringLiteral("skipped"); // this data path does not need the step
    return QStringLiteral("pending");
}

void JobWidget::updateSteps()
{
    const QStringList all = steps();
    for (int i = 0; i < all.size(); ++i) {
        const QString state = stepState(all[i]);
        QString iconName = QStringLiteral("step-pending");
        QString tip;
        if (state == QLatin1String("active")) {
            iconName = QStringLiteral("step-active");
            tip = tr("in progress");
        } else if (state == QLatin1String("done")) {
            iconName = QStringLiteral("step-done");
            tip = tr("done");
        } else if (state == QLatin1String("failed")) {
            iconName = QStringLiteral("step-failed");
            tip = tr("failed");
        } else if (state == QLatin1String("skipped")) {
            tip = tr("not needed for this volume");
        } else {
            tip = tr("pending");
        }
        m_stepIcons[i]->setPixmap(UiText::icon(iconName).pixmap(16, 16));
        m_stepIcons[i]->setEnabled(state != QLatin1String("skipped"));
        m_stepLabels[i]->setEnabled(state != QLatin1String("skipped") && state != QLatin1String("pending"));
        QFont f = m_stepLabels[i]->font();
        f.setBold(state == QLatin1String("active"));
        m_stepLabels[i]->setFont(f);
        const QString text = UiText::phase(all[i]) + QStringLiteral(": ") + tip;
        m_stepIcons[i]->setToolTip(text);
        m_stepLabels[i]->setToolTip(text);
        m_stepLabels[i]->setAccessibleName(text);
    }
}

void JobWidget::onProgress(const Progress &p)
{
    setPhase(p.phase);
    if (p.bytesTotal > 0)
        m_bar->setValue(p.percent());
    QStringList parts;
    if (!p.phase.isEmpty())
        parts << UiText::phase(p.phase);
    // A restore writes what it reads to its target; "stored" (new bytes in the repository) is a backup's.
    if (m_kind == QLatin1String("restore")) {
        if (p.bytesTotal > 0)
            parts << tr("written %1 of %2 to the target").arg(UiText::size(p.bytesDone), UiText::size(p.bytesTotal));
    } else {
        if (p.bytesTotal > 0)
            parts << tr("read %1 of %2").arg(UiText::size(p.bytesDone), UiText::size(p.bytesTotal));
        if (p.bytesStored > 0 || p.bytesDone > 0)
            parts << tr("stored %1").arg(UiText::size(p.bytesStored));
    }
    if (p.bytesPerSecond > 0)
        parts << UiText::rate(p.bytesPerSecond);
    if (p.etaSeconds >= 0)
        parts << tr("%1 left").arg(UiText::duration(p.etaSeconds));
    m_details->setText(parts.join(QStringLiteral(" · ")));
    // The engine's message (e.g. the path being read) is long; it is there on demand.
    m_details->setToolTip(p.message);
}

void JobWidget::onFinished(const QString &status, const QString &error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_status = status;
    m_cancel->setEnabled(false);
    m_cancel->hide();
    updateSteps();
    if (jobSucceeded(status))
        m_bar->setValue(100);
    m_outcome->setText(UiText::jobOutcome(status, error));
    m_outcome->setStyleSheet(QStringLiteral("color: %1; font-weight: bold").arg(UiText::jobStatusColor(status).name()));
    m_outcome->show();
    m_dismiss->setVisible(needsAttention());
    Q_EMIT finished(m_job, status, error);
}

} // namespace ndb
