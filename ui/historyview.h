#pragma once
// Job history: filters (volume, status, date range), the jobs table, the selected job's event
// log, and charts of backup size and duration over time per volume.
#include "model/backup.h"
#include "model/job.h"
#include "model/volume.h"

#include <QHash>
#include <QWidget>

class QComboBox;
class QDateEdit;
class QStandardItemModel;
class QTableView;
class QTabWidget;
class QTreeWidget;
class QLabel;

namespace ndb {

class BackupChartView;
class Engine;

class HistoryView : public QWidget
{
    Q_OBJECT
public:
    // ConsistencyColumn: how a backup job's copy was taken (empty for other jobs).
    enum Column { IdColumn, KindColumn, VolumeColumn, StatusColumn, StartedColumn, DurationColumn, BytesColumn, ConsistencyColumn, ErrorColumn, ColumnCount };

    explicit HistoryView(Engine *engine, QWidget *parent = nullptr);

    void setVolumes(const QList<Volume> &volumes); // fills the volume filter
    void setVolumeFilter(const QString &volumeId);
    void setStatusFilter(const QString &status);   // JobStatus or empty
    void setDateRange(const QDate &from, const QDate &to);

    QList<Job> shownJobs() const { return m_jobs; }
    bool selectJob(qint64 jobId); // selects the row and shows its events
    QTreeWidget *eventLog() const { return m_events; }
    // The selected job's backup: status, consistency, timings (empty for jobs without one).
    QLabel *backupDetails() const { return m_backupDetails; }
    QTableView *table() const { return m_table; }
    QTabWidget *tabs() const { return m_tabs; }
    BackupChartView *chart() const { return m_chart; }

public Q_SLOTS:
    void reload();

private:
    void showEvents(qint64 jobId);
    void showBackupDetails(qint64 jobId);
    QString volumeName(const QString &id) const;

    Engine *m_engine;
    QList<Volume> m_volumes;
    QList<Job> m_jobs;
    QHash<QString, Backup> m_backups; // by id, for the jobs shown
    QComboBox *m_volume;
    QComboBox *m_status;
    QDateEdit *m_from;
    QDateEdit *m_to;
    QStandardItemModel *m_model;
    QTableView *m_table;
    QTreeWidget *m_events;
    QLabel *m_eventsTitle;
    QLabel *m_backupDetails;
    QTabWidget *m_tabs;
    BackupChartView *m_chart;
};

} // namespace ndb
