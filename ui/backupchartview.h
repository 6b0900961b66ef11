#pragma once
// Backup size and duration over time, one line per volume (Qt Charts).
#include "model/backup.h"

#include <QStringList>
#include <QWidget>

class QChart;
class QChartView;

namespace ndb {

// A value axis from 0 with "nice" ticks: a step of 1, 2 or 5 × 10^k, at most about six ticks,
// and as many decimals as the step needs, so that no two labels are equal.
struct AxisTicks
{
    double max = 1;  // the axis ends here (a multiple of step)
    double step = 0.2;
    int decimals = 1;
    int tickCount() const { return int(max / step + 0.5) + 1; }
    QString labelFormat() const { return QStringLiteral("%.%1f").arg(decimals); }
    QStringList labels() const; // the labels the axis shows, from 0 to max
};
AxisTicks niceAxisTicks(double maxValue);

// The unit a duration axis uses for values up to maxSeconds: ms below a second, s below two
// minutes, min below two hours, else h.
struct DurationUnit
{
    QString symbol;       // "ms", "s", "min", "h"
    double seconds = 1;   // seconds per unit
};
DurationUnit durationUnit(double maxSeconds);

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
