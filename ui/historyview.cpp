#include "historyview.h"

#include "backupchartview.h"
#include "engine/engine.h"
#include "model/status.h"
#include "uitext.h"
#include "util/error.h"

#include <QComboBox>
#include <QDateEdit>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTableView>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace ndb {

HistoryView::HistoryView(Engine *engine, QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
{
    m_volume = new QComboBox(this);
    m_volume->addItem(tr("All volumes"), QString());
    m_status = new QComboBox(this);
    m_status->addItem(tr("Any status"), QString());
    for (const QString &s : {JobStatus::Succeeded, JobStatus::SucceededWithWarnings, JobStatus::Failed, JobStatus::Cancelled,
                             JobStatus::Running, JobStatus::Queued})
        m_status->addItem(UiText::jobStatusIcon(s), UiText::jobStatus(s), s);
    m_from = new QDateEdit(QDate::currentDate().addDays(-30), this);
    m_to = new QDateEdit(QDate::currentDate(), this);
    for (QDateEdit *e : {m_from, m_to}) {
        e->setCalendarPopup(true);
        e->setDisplayFormat(QLocale().dateFormat(QLocale::ShortFormat));
    }
    auto *refresh = new QPushButton(UiText::icon(QStringLiteral("refresh")), tr("Refresh"), this);

    auto *filters = new QHBoxLayout;
    auto addLabelled = [this, filters](const QString &text, QWidget *w) {
        auto *l = new QLabel(text, this);
        l->setBuddy(w);
        filters->addWidget(l);
        filters->addWidget(w);
    };
    addLabelled(tr("Vol&ume:"), m_volume);
    addLabelled(tr("St&atus:"), m_status);
    addLabelled(tr("Fro&m:"), m_from);
    addLabelled(tr("&To:"), m_to);
    filters->addStretch(1);
    filters->addWidget(refresh);

    m_model = new QStandardItemModel(0, ColumnCount, this);
    m_model->setHorizontalHeaderLabels({tr("Job"), tr("Kind"), tr("Volume"), tr("Status"), tr("Started"),
                                        tr("Duration"), tr("Bytes"), tr("Consistency"), tr("Reason")});
    m_table = new QTableView(this);
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSortingEnabled(true);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setAlternatingRowColors(true);

    m_eventsTitle = new QLabel(tr("Select a job to see its event log."), this);
    m_backupDetails = new QLabel(this);
    m_backupDetails->setWordWrap(true);
    m_backupDetails->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_backupDetails->hide();
    m_events = new QTreeWidget(this);
    m_events->setRootIsDecorated(false);
    m_events->setHeaderLabels({tr("Time"), tr("Phase"), tr("Level"), tr("Message")});
    m_events->setAlternatingRowColors(true);
    m_events->setWordWrap(true);

    auto *eventsBox = new QWidget(this);
    auto *eventsLayout = new QVBoxLayout(eventsBox);
    eventsLayout->setContentsMargins(0, 0, 0, 0);
    eventsLayout->addWidget(m_eventsTitle);
    eventsLayout->addWidget(m_backupDetails);
    eventsLayout->addWidget(m_events);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_table);
    split->addWidget(eventsBox);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);

    m_chart = new BackupChartView(this);
    m_tabs = new QTabWidget(this);
    m_tabs->addTab(split, UiText::icon(QStringLiteral("history")), tr("&Jobs"));
    m_tabs->addTab(m_chart, UiText::icon(QStringLiteral("report")), tr("&Charts"));

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(filters);
    layout->addWidget(m_tabs);

    connect(refresh, &QPushButton::clicked, this, &HistoryView::reload);
    connect(m_volume, &QComboBox::currentIndexChanged, this, &HistoryView::reload);
    connect(m_status, &QComboBox::currentIndexChanged, this, &HistoryView::reload);
    connect(m_from, &QDateEdit::dateChanged, this, &HistoryView::reload);
    connect(m_to, &QDateEdit::dateChanged, this, &HistoryView::reload);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex &cur) {
        if (cur.isValid())
            showEvents(m_model->index(cur.row(), IdColumn).data(Qt::UserRole).toLongLong());
    });
}

void HistoryView::setVolumes(const QList<Volume> &volumes)
{
    m_volumes = volumes;
    const QString current = m_volume->currentData().toString();
    const QSignalBlocker block(m_volume);
    m_volume->clear();
    m_volume->addItem(tr("All volumes"), QString());
    for (const Volume &v : volumes)
        m_volume->addItem(UiText::icon(QStringLiteral("volume")), v.name, v.id);
    const int idx = m_volume->findData(current);
    m_volume->setCurrentIndex(idx >= 0 ? idx : 0);
}

void HistoryView::setVolumeFilter(const QString &volumeId)
{
    const int idx = m_volume->findData(volumeId);
    m_volume->setCurrentIndex(idx >= 0 ? idx : 0);
}

void HistoryView::setStatusFilter(const QString &status)
{
    const int idx = m_status->findData(status);
    m_status->setCurrentIndex(idx >= 0 ? idx : 0);
}

void HistoryView::setDateRange(const QDate &from, const QDate &to)
{
    const QSignalBlocker b1(m_from), b2(m_to);
    m_from->setDate(from);
    m_to->setDate(to);
    reload();
}

QString HistoryView::volumeName(const QString &id) const
{
    for (const Volume &v : m_volumes)
        if (v.id == id)
            return v.name;
    return id;
}

void HistoryView::reload()
{
    if (!m_engine)
        return;
    HistoryFilter filter;
    filter.volumeId = m_volume->currentData().toString();
    filter.status = m_status->currentData().toString();
    filter.from = QDateTime(m_from->date(), QTime(0, 0));
    filter.to = QDateTime(m_to->date(), QTime(23, 59, 59, 999));
    QList<Backup> backups;
    try {
        m_jobs = m_engine->jobs(filter);
        backups = m_engine->backups(filter.volumeId);
    } catch (const Error &e) {
        m_eventsTitle->setText(tr("Could not read the history: %1").arg(e.message()));
        return;
    }
    m_backups.clear();
    for (const Backup &b : backups)
        m_backups.insert(b.id, b);
    if (m_volumes.isEmpty()) {
        try {
            m_volumes = m_engine->volumes();
        } catch (const Error &) {
        }
    }

    const qint64 selected = m_table->currentIndex().isValid()
                                ? m_model->index(m_table->currentIndex().row(), IdColumn).data(Qt::UserRole).toLongLong()
                                : 0;
    m_table->setSortingEnabled(false);
    m_model->removeRows(0, m_model->rowCount());
    for (const Job &j : m_jobs) {
        QList<QStandardItem *> row;
        auto *id = new QStandardItem(QString::number(j.id));
        id->setData(j.id, Qt::UserRole);
        id->setData(j.id, Qt::UserRole + 1);
        auto *status = new QStandardItem(UiText::jobStatusIcon(j.status), UiText::jobStatus(j.status));
        if (j.status != JobStatus::Running && j.status != JobStatus::Queued)
            status->setForeground(UiText::jobStatusColor(j.status));
        const QDateTime started = j.startedAt.isValid() ? j.startedAt : j.createdAt;
        auto *when = new QStandardItem(UiText::dateTime(started));
        when->setData(started, Qt::UserRole + 1);
        const qint64 secs = j.startedAt.isValid() && j.finishedAt.isValid() ? j.startedAt.secsTo(j.finishedAt) : -1;
        auto *duration = new QStandardItem(UiText::duration(secs));
        duration->setData(secs, Qt::UserRole + 1);
        auto *bytes = new QStandardItem(UiText::size(j.bytesDone));
        bytes->setData(j.bytesDone, Qt::UserRole + 1);
        auto *error = new QStandardItem(j.error);
        error->setToolTip(j.error);
        const auto backup = m_backups.constFind(j.backupId);
        const bool hasConsistency = j.kind == QLatin1String("backup") && backup != m_backups.constEnd() && jobSucceeded(j.status);
        auto *consistency = new QStandardItem(hasConsistency ? UiText::consistency(backup->consistency) : QString());
        if (hasConsistency) {
            consistency->setToolTip(UiText::consistencyDescription(backup->consistency));
            if (UiText::consistencyColor(backup->consistency).isValid())
                consistency->setForeground(UiText::consistencyColor(backup->consistency));
        }
        row << id << new QStandardItem(UiText::jobKind(j.kind)) << new QStandardItem(volumeName(j.volumeId)) << status
            << when << duration << bytes << consistency << error;
        m_model->appendRow(row);
    }
    m_model->setSortRole(Qt::UserRole + 1);
    for (int r = 0; r < m_model->rowCount(); ++r)
        for (int c = KindColumn; c < ColumnCount; ++c)
            if (c != StartedColumn && c != DurationColumn && c != BytesColumn)
                m_model->item(r, c)->setData(m_model->item(r, c)->text(), Qt::UserRole + 1);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(IdColumn, Qt::DescendingOrder);
    m_table->resizeColumnsToContents();

    QList<Backup> inRange;
    for (const Backup &b : backups)
        if (b.createdAt >= filter.from && b.createdAt <= filter.to)
            inRange << b;
    m_chart->setBackups(inRange);

    if (selected == 0 || !selectJob(selected)) {
        m_events->clear();
        m_eventsTitle->setText(tr("Select a job to see its event log."));
        m_backupDetails->hide();
    }
}

bool HistoryView::selectJob(qint64 jobId)
{
    for (int r = 0; r < m_model->rowCount(); ++r) {
        if (m_model->index(r, IdColumn).data(Qt::UserRole).toLongLong() == jobId) {
            m_table->setCurrentIndex(m_model->index(r, IdColumn));
            showEvents(jobId);
            return true;
        }
    }
    return false;
}

void HistoryView::showBackupDetails(qint64 jobId)
{
    const auto job = std::find_if(m_jobs.cbegin(), m_jobs.cend(), [jobId](const Job &j) { return j.id == jobId; });
    const auto backup = job != m_jobs.cend() ? m_backups.constFind(job->backupId) : m_backups.constEnd();
    if (backup == m_backups.constEnd()) {
        m_backupDetails->hide();
        return;
    }
    const Backup &b = *backup;
    const qint64 secs = b.startedAt.isValid() && b.finishedAt.isValid() ? b.startedAt.secsTo(b.finishedAt) : -1;
    m_backupDetails->setText(tr("Backup %1: %2 · Consistency: %3 · Started %4, took %5")
                                 .arg(b.id, UiText::backupStatus(b), UiText::consistency(b.consistency),
                                      UiText::dateTime(b.startedAt), UiText::duration(secs)));
    m_backupDetails->setToolTip(UiText::consistencyDescription(b.consistency));
    const QColor colour = UiText::consistencyColor(b.consistency);
    m_backupDetails->setStyleSheet(colour.isValid() ? QStringLiteral("color: %1").arg(colour.name()) : QString());
    m_backupDetails->show();
}

void HistoryView::showEvents(qint64 jobId)
{
    showBackupDetails(jobId);
    m_events->clear();
    QList<JobEvent> events;
    try {
        events = m_engine->jobEvents(jobId);
    } catch (const Error &e) {
        m_eventsTitle->setText(tr("Could not read the events of job %1: %2").arg(jobId).arg(e.message()));
        return;
    }
    m_eventsTitle->setText(tr("Event log of job %1 (%n event(s))", nullptr, int(events.size())).arg(jobId));
    for (const JobEvent &e : events) {
        auto *item = new QTreeWidgetItem(m_events);
        item->setText(0, QLocale().toString(e.time.toLocalTime(), QStringLiteral("HH:mm:ss.zzz")));
        item->setText(1, UiText::phase(e.phase));
        item->setText(2, UiText::level(e.level));
        item->setText(3, e.message);
        item->setToolTip(3, e.message);
        if (e.level == QLatin1String("error"))
            item->setForeground(3, QColor(0xa4, 0, 0));
        else if (e.level == QLatin1String("warning"))
            item->setForeground(3, QColor(0x9a, 0x6a, 0));
        else if (e.level == QLatin1String("command"))
            item->setFont(3, QFont(QStringLiteral("monospace")));
    }
    for (int c = 0; c < 3; ++c)
        m_events->resizeColumnToContents(c);
}

} // namespace ndb
