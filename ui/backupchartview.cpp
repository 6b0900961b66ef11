#include "backupchartview.h"

#include "model/status.h"

#include <QDateTimeAxis>
#include <QLineSeries>
#include <QMap>
#include <QScatterSeries>
#include <QValueAxis>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>

#include <cmath>

namespace ndb {

QStringList AxisTicks::labels() const
{
    QStringList out;
    for (int i = 0; i < tickCount(); ++i)
        out << QString::asprintf(qPrintable(labelFormat()), i * step);
    return out;
}

AxisTicks niceAxisTicks(double maxValue)
{
    AxisTicks t;
    if (!(maxValue > 0) || !std::isfinite(maxValue))
        return t; // 0 to 1 in steps of 0.2
    // The smallest 1-2-5 step that covers maxValue with at most five intervals.
    const double raw = maxValue / 5.0;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    double step = 10 * magnitude;
    for (double m : {1.0, 2.0, 5.0})
        if (m * magnitude >= raw * (1 - 1e-9)) {
            step = m * magnitude;
            break;
        }
    t.step = step;
    t.max = std::ceil(maxValue / step - 1e-9) * step;
    t.decimals = qMax(0, int(-std::floor(std::log10(step) + 1e-9)));
    return t;
}

DurationUnit durationUnit(double maxSeconds)
{
    if (maxSeconds < 1)
        return {QStringLiteral("ms"), 0.001};
    if (maxSeconds < 120)
        return {QStringLiteral("s"), 1};
    if (maxSeconds < 7200)
        return {QStringLiteral("min"), 60};
    return {QStringLiteral("h"), 3600};
}

namespace {

QChart *makeChart(const QString &title)
{
    auto *chart = new QChart;
    chart->setTitle(title);
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    return chart;
}

void fill(QChart *chart, const QMap<QString, QList<QPointF>> &points, const QString &yTitle, double minX, double maxX,
          double maxY)
{
    auto *x = new QDateTimeAxis;
    // Within a day the time matters, across days the date.
    const bool oneDay = points.isEmpty() || maxX - minX < 86400000.0;
    x->setFormat(oneDay ? QStringLiteral("HH:mm") : QStringLiteral("dd.MM."));
    x->setTickCount(5);
    auto *y = new QValueAxis;
    y->setTitleText(yTitle);
    // Fixed nice ticks: QValueAxis's own applyNiceNumbers() with "%.1f" labels repeated "0.1, 0.1".
    const AxisTicks ticks = niceAxisTicks(maxY * 1.05); // a little room above the highest point
    y->setTickType(QValueAxis::TicksFixed);
    y->setRange(0, ticks.max);
    y->setTickCount(ticks.tickCount());
    y->setLabelFormat(ticks.labelFormat());
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    if (points.isEmpty()) {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        x->setRange(QDateTime::fromMSecsSinceEpoch(now - 86400000), QDateTime::fromMSecsSinceEpoch(now));
        return;
    }
    for (auto it = points.begin(); it != points.end(); ++it) {
        // A line and its points: one backup alone still shows as a dot.
        auto *line = new QLineSeries;
        line->setName(it.key());
        line->append(it.value());
        line->setPointsVisible(true);
        chart->addSeries(line);
        line->attachAxis(x);
        line->attachAxis(y);
    }
    const double pad = qMax(oneDay ? 1800000.0 : 3600000.0, (maxX - minX) * 0.05);
    x->setRange(QDateTime::fromMSecsSinceEpoch(qint64(minX - pad)), QDateTime::fromMSecsSinceEpoch(qint64(maxX + pad)));
}

} // namespace

BackupChartView::BackupChartView(QWidget *parent)
    : QWidget(parent)
{
    m_sizeChart = new QChart;
    m_durationChart = new QChart;
    m_sizeView = new QChartView(m_sizeChart, this);
    m_durationView = new QChartView(m_durationChart, this);
    m_sizeView->setRenderHint(QPainter::Antialiasing);
    m_durationView->setRenderHint(QPainter::Antialiasing);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_sizeView);
    layout->addWidget(m_durationView);
    setBackups({});
}

void BackupChartView::setBackups(const QList<Backup> &backups)
{
    QMap<QString, QList<QPointF>> sizes, durations;
    double minX = 1e300, maxX = -1e300, maxSize = 0, maxDuration = 0;
    QList<Backup> sorted = backups;
    std::sort(sorted.begin(), sorted.end(), [](const Backup &a, const Backup &b) { return a.createdAt < b.createdAt; });
    for (const Backup &b : sorted) {
        if (b.status != BackupStatus::Available)
            continue;
        const QDateTime when = b.startedAt.isValid() ? b.startedAt : b.createdAt;
        if (!when.isValid())
            continue;
        const double x = double(when.toMSecsSinceEpoch());
        const QString name = b.volumeName.isEmpty() ? b.volumeId : b.volumeName;
        // Stored bytes is what the backup cost in the container (after dedup and compression).
        const double mib = double(b.storedBytes) / (1024.0 * 1024.0);
        sizes[name] << QPointF(x, mib);
        maxSize = qMax(maxSize, mib);
        if (b.startedAt.isValid() && b.finishedAt.isValid()) {
            const double s = b.startedAt.msecsTo(b.finishedAt) / 1000.0;
            durations[name] << QPointF(x, s);
            maxDuration = qMax(maxDuration, s);
        }
        minX = qMin(minX, x);
        maxX = qMax(maxX, x);
    }
    // Fresh charts each time: reusing one across removeAllSeries()/removeAxis() leaves stale
    // axis labels drawn in a corner.
    QChart *size = makeChart(tr("Backup size over time"));
    QChart *duration = makeChart(tr("Backup duration over time"));
    fill(size, sizes, tr("stored MiB"), minX, maxX, maxSize);
    // Durations in the unit that suits the longest one: 0.12 s reads "120 ms", 300 s "5 min".
    const DurationUnit unit = durationUnit(maxDuration);
    for (QList<QPointF> &line : durations)
        for (QPointF &p : line)
            p.setY(p.y() / unit.seconds);
    fill(duration, durations, tr("duration (%1)").arg(unit.symbol), minX, maxX, maxDuration / unit.seconds);
    m_sizeView->setChart(size);
    m_durationView->setChart(duration);
    delete m_sizeChart;
    delete m_durationChart;
    m_sizeChart = size;
    m_durationChart = duration;
}

int BackupChartView::seriesCount() const
{
    return int(m_sizeChart->series().size());
}

} // namespace ndb
