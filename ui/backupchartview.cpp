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

namespace ndb {

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
    y->setLabelFormat(QStringLiteral("%.1f"));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    if (points.isEmpty()) {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        x->setRange(QDateTime::fromMSecsSinceEpoch(now - 86400000), QDateTime::fromMSecsSinceEpoch(now));
        y->setRange(0, 1);
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
    y->setRange(0, maxY > 0 ? maxY * 1.15 : 1);
    y->applyNiceNumbers();
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
    fill(duration, durations, tr("seconds"), minX, maxX, maxDuration);
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
