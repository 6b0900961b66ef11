// The history charts' value axes: nice ticks (1-2-5 × 10^k), no two equal labels, and the
// duration axis in a unit that suits the data (ms, s, min, h) — once through the pure tick
// function and once read back from the duration chart's QValueAxis.
#include "support/guienv.h"

#include "backupchartview.h"
#include "model/status.h"

#include <QTest>
#include <QValueAxis>
#include <QtCharts/QChart>

#include <cmath>

using namespace ndb;
using namespace ndbtest;

namespace {

bool isNiceStep(double step)
{
    const double m = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
    return std::abs(m - 1) < 1e-6 || std::abs(m - 2) < 1e-6 || std::abs(m - 5) < 1e-6;
}

// Backups of one volume that took `seconds` each, an hour apart.
QList<Backup> backupsTaking(const QList<double> &seconds)
{
    QList<Backup> out;
    const QDateTime t0 = QDateTime::currentDateTimeUtc().addDays(-1);
    int i = 0;
    for (double s : seconds) {
        Backup b;
        b.id = QStringLiteral("b%1").arg(i);
        b.volumeId = QStringLiteral("image:pool/vol");
        b.volumeName = QStringLiteral("vol");
        b.status = BackupStatus::Available;
        b.storedBytes = qint64(1 + i) << 20;
        b.createdAt = b.startedAt = t0.addSecs(3600 * i);
        b.finishedAt = b.startedAt.addMSecs(qint64(s * 1000));
        out << b;
        ++i;
    }
    return out;
}

// The labels a QValueAxis with fixed ticks shows.
QStringList axisLabels(const QValueAxis *axis)
{
    QStringList out;
    const double step = (axis->max() - axis->min()) / (axis->tickCount() - 1);
    for (int i = 0; i < axis->tickCount(); ++i)
        out << QString::asprintf(qPrintable(axis->labelFormat()), axis->min() + i * step);
    return out;
}

QValueAxis *valueAxis(QChart *chart)
{
    const QList<QAbstractAxis *> axes = chart->axes(Qt::Vertical);
    return axes.isEmpty() ? nullptr : qobject_cast<QValueAxis *>(axes.first());
}

} // namespace

class TestBackupChart : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        useEnglishUi();
    }

    void niceTicks_data()
    {
        QTest::addColumn<double>("max");
        QTest::newRow("0.12") << 0.12;
        QTest::newRow("120") << 120.0;
        QTest::newRow("5") << 5.0;
        QTest::newRow("0.3") << 0.3;
        QTest::newRow("1") << 1.0;
        QTest::newRow("7.3") << 7.3;
        QTest::newRow("99999") << 99999.0;
        QTest::newRow("0") << 0.0;
    }
    void niceTicks()
    {
        QFETCH(double, max);
        const AxisTicks t = niceAxisTicks(max);
        QVERIFY2(isNiceStep(t.step), qPrintable(QString::number(t.step)));
        QVERIFY(t.max >= max);
        QVERIFY2(t.tickCount() >= 2 && t.tickCount() <= 7, qPrintable(QString::number(t.tickCount())));
        const QStringList labels = t.labels();
        QCOMPARE(QSet<QString>(labels.begin(), labels.end()).size(), labels.size());
    }

    void durationAxis_data()
    {
        QTest::addColumn<QList<double>>("seconds");
        QTest::addColumn<QString>("title");
        QTest::addColumn<QStringList>("labels");
        QTest::newRow("0.1 s .. 0.12 s") << QList<double>{0.1, 0.11, 0.12} << QStringLiteral("duration (ms)")
                                         << QStringList{QStringLiteral("0"), QStringLiteral("50"), QStringLiteral("100"),
                                                        QStringLiteral("150")};
        QTest::newRow("5 s .. 300 s") << QList<double>{5, 60, 300} << QStringLiteral("duration (min)")
                                      << QStringList{QStringLiteral("0"), QStringLiteral("2"), QStringLiteral("4"),
                                                     QStringLiteral("6")};
        QTest::newRow("one point") << QList<double>{2} << QStringLiteral("duration (s)")
                                   << QStringList{QStringLiteral("0.0"), QStringLiteral("0.5"), QStringLiteral("1.0"),
                                                  QStringLiteral("1.5"), QStringLiteral("2.0"), QStringLiteral("2.5")};
        QTest::newRow("hours") << QList<double>{3600, 9000} << QStringLiteral("duration (h)")
                               << QStringList{QStringLiteral("0"), QStringLiteral("1"), QStringLiteral("2"),
                                              QStringLiteral("3")};
    }
    void durationAxis()
    {
        QFETCH(QList<double>, seconds);
        QFETCH(QString, title);
        QFETCH(QStringList, labels);
        BackupChartView view;
        view.resize(600, 500);
        view.setBackups(backupsTaking(seconds));
        QValueAxis *y = valueAxis(view.durationChart());
        QVERIFY(y);
        QCOMPARE(y->titleText(), title);
        QCOMPARE(y->tickType(), QValueAxis::TicksFixed);
        const QStringList shown = axisLabels(y);
        QCOMPARE(shown, labels);
        // The highest point is on the chart.
        double longest = 0;
        for (double s : seconds)
            longest = qMax(longest, s);
        const double unitSeconds = durationUnit(longest).seconds;
        QVERIFY(y->max() >= longest / unitSeconds);

        // The size axis too: distinct labels.
        QValueAxis *sizeAxis = valueAxis(view.sizeChart());
        QVERIFY(sizeAxis);
        const QStringList sizeLabels = axisLabels(sizeAxis);
        QCOMPARE(QSet<QString>(sizeLabels.begin(), sizeLabels.end()).size(), sizeLabels.size());
    }
};

QTEST_MAIN(TestBackupChart)
#include "tst_backupchart.moc"
