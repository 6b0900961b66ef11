#pragma once
// Backup size and duration over time, one line per volume (Qt Charts).
#include "model/backup.h"

#include <QWidget>

class QChart;
class QChartView;

namespace ndb {

class BackupChartView : public QWidget
{
    Q_OBJECT
public:
    explicit BackupChartView(QWidget *parent = nullptr);
    // Only successful backups with timings are plotted.
    void setBackups(const QList<Backup> &backups);
    int seriesCount() const;
    QChart *sizeChart() const { return m_sizeChart; }
    QChart *durationChart() const { return m_durationChart; }

private:
    QChart *m_sizeChart;
    QChart *m_durationChart;
    QChartView *m_sizeView;
    QChartView *m_durationView;
};

} // namespace ndb
