// The one convention for sizes and rates: binary units for sizes (a 32 MiB volume is
// "32.0 MiB", never "33.6 MB" or "32.0 MB"), decimal MB/s for rates.
#include "util/units.h"

#include <QTest>

using namespace ndb;

class TestUnits : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void sizes()
    {
        QCOMPARE(formatSize(32ll * 1024 * 1024), QStringLiteral("32.0 MiB"));
        QCOMPARE(formatSize(1536 * 1024), QStringLiteral("1.5 MiB"));
        QCOMPARE(formatSize(2048), QStringLiteral("2.0 KiB"));
        QCOMPARE(formatSize(3ll * 1024 * 1024 * 1024), QStringLiteral("3.0 GiB"));
        QCOMPARE(formatSize(64ll * 1000 * 1000), QStringLiteral("61.0 MiB"));
        QCOMPARE(formatSize(1536 * 1024, QLocale(QLocale::German, QLocale::Germany)), QStringLiteral("1,5 MiB"));
    }

    void rates()
    {
        QCOMPARE(formatRate(4e6), QStringLiteral("4.0 MB/s"));
        QCOMPARE(formatRate(16.75e6), QStringLiteral("16.8 MB/s"));
        QCOMPARE(formatRate(2.5e6, QLocale(QLocale::German, QLocale::Germany)), QStringLiteral("2,5 MB/s"));
    }
};

QTEST_GUILESS_MAIN(TestUnits)
#include "tst_units.moc"
