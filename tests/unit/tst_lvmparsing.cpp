// LvmDriver's pure parts, on a machine without device-mapper: the lvs JSON report, which LVs
// count as volumes, device-mapper names and snapshot status lines, name validation before any
// lvm command runs. The driver against real LVM is tested in the vm tier (vm.tst_lvm).
#include "util/error.h"
#include "volumes/lvm/devmapper.h"
#include "volumes/lvm/lvmdriver.h"

#include "util/runsync.h"
#include <QtTest>

using namespace ndb;

namespace {
// As printed by lvm 2.03 `lvs --reportformat json --units b --nosuffix -o <fields> ndbvg`.
const char kReport[] = R"({
      "report": [
          {
              "lv": [
                  {"vg_name":"ndbvg", "lv_name":"c1", "lv_uuid":"NrpKQy-xAei-gw6r-G17l-CYup-XyZw-T0VORn", "lv_size":"33554432", "lv_attr":"-wi-ao----", "lv_tags":"", "origin":"", "pool_lv":"", "segtype":"linear", "vg_extent_size":"4194304", "vg_free":"511705088"},
                  {"vg_name":"ndbvg", "lv_name":"cpool", "lv_uuid":"aaaaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaaaa", "lv_size":"134217728", "lv_attr":"twi-aotz--", "lv_tags":"", "origin":"", "pool_lv":"", "segtype":"thin-pool", "vg_extent_size":"4194304", "vg_free":"511705088"},
                  {"vg_name":"ndbvg", "lv_name":"c4", "lv_uuid":"bbbbbb-bbbb-bbbb-bbbb-bbbb-bbbb-bbbbbb", "lv_size":"50331648", "lv_attr":"Vwi-a-tz--", "lv_tags":"", "origin":"", "pool_lv":"cpool", "segtype":"thin", "vg_extent_size":"4194304", "vg_free":"511705088"},
                  {"vg_name":"ndbvg", "lv_name":"ndbackup-snap-0a8b6674", "lv_uuid":"cccccc-cccc-cccc-cccc-cccc-cccc-cccccc", "lv_size":"33554432", "lv_attr":"swi-a-s---", "lv_tags":"ndbackup", "origin":"c1", "pool_lv":"", "segtype":"linear", "vg_extent_size":"4194304", "vg_free":"511705088"},
                  {"vg_name":"ndbvg", "lv_name":"renamed", "lv_uuid":"dddddd-dddd-dddd-dddd-dddd-dddd-dddddd", "lv_size":"4194304", "lv_attr":"-wi-a-----", "lv_tags":"other,ndbackup", "origin":"", "pool_lv":"", "segtype":"linear", "vg_extent_size":"4194304", "vg_free":"511705088"},
                  {"vg_name":"ndbvg", "lv_name":"usersnap", "lv_uuid":"eeeeee-eeee-eeee-eeee-eeee-eeee-eeeeee", "lv_size":"33554432", "lv_attr":"swi-a-s---", "lv_tags":"", "origin":"c1", "pool_lv":"", "segtype":"linear", "vg_extent_size":"4194304", "vg_free":"511705088"},
                  {"vg_name":"ndbvg", "lv_name":"old", "lv_uuid":"ffffff-ffff-ffff-ffff-ffff-ffff-ffffff", "lv_size":"8388608", "lv_attr":"-wi-------", "lv_tags":"", "origin":"", "pool_lv":"", "segtype":"linear", "vg_extent_size":"4194304", "vg_free":"511705088"}
              ]
          }
      ]
  }
)";
} // namespace

class TestLvmParsing : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parsesReport()
    {
        const QList<LvInfo> lvs = LvmDriver::parseLvsReport(QByteArray(kReport));
        QCOMPARE(lvs.size(), 7);
        QCOMPARE(lvs[0].name, QStringLiteral("c1"));
        QCOMPARE(lvs[0].size, qint64(33554432));
        QCOMPARE(lvs[0].uuid, QStringLiteral("NrpKQy-xAei-gw6r-G17l-CYup-XyZw-T0VORn"));
        QCOMPARE(lvs[0].extentSize, qint64(4194304));
        QCOMPARE(lvs[0].vgFree, qint64(511705088));
        QVERIFY(lvs[0].isActive());
        QVERIFY(!lvs[0].isThin());
        QVERIFY(lvs[2].isThin());
        QCOMPARE(lvs[2].poolLv, QStringLiteral("cpool"));
        QCOMPARE(lvs[4].tags, QStringList({QStringLiteral("other"), QStringLiteral("ndbackup")}));
        QVERIFY(!lvs[6].isActive());
    }

    void onlyUserVolumesAreVolumes()
    {
        QStringList volumes;
        for (const LvInfo &lv : LvmDriver::parseLvsReport(QByteArray(kReport)))
            if (lv.isUserVolume())
                volumes << lv.name;
        // Not: the thin pool, our temporary (by prefix), a tagged leftover, a user's thick snapshot.
        QCOMPARE(volumes, QStringList({QStringLiteral("c1"), QStringLiteral("c4"), QStringLiteral("old")}));
        LvInfo hidden;
        hidden.name = QStringLiteral("[cpool_tdata]");
        hidden.attr = QStringLiteral("Twi-ao----");
        QVERIFY(!hidden.isUserVolume());
    }

    void rejectsBadJson()
    {
        QVERIFY_THROWS_EXCEPTION(Error, LvmDriver::parseLvsReport("  WARNING: something\n{"));
    }

    void volumeFromLv()
    {
        LvmDriver driver(QStringLiteral("ndbvg"));
        QCOMPARE(driver.id(), QStringLiteral("lvm:ndbvg"));
        QCOMPARE(driver.kind(), QStringLiteral("lvm"));
        QVERIFY(driver.capabilities().snapshotLocalRead);
        const LvInfo old = LvmDriver::parseLvsReport(QByteArray(kReport)).at(6); // inactive: no dm query
        const Volume v = driver.toVolume(old);
        QCOMPARE(v.id, QStringLiteral("lvm:ndbvg/old"));
        QCOMPARE(v.driverId, QStringLiteral("lvm:ndbvg"));
        QCOMPARE(v.path, QStringLiteral("/dev/ndbvg/old"));
        QCOMPARE(v.uuid, QStringLiteral("ffffff-ffff-ffff-ffff-ffff-ffff-ffffff"));
        QCOMPARE(v.status, QStringLiteral("available"));
    }

    void deviceMapperNames()
    {
        QCOMPARE(dm::deviceName(QStringLiteral("vg0"), QStringLiteral("data")), QStringLiteral("vg0-data"));
        QCOMPARE(dm::deviceName(QStringLiteral("my-vg"), QStringLiteral("ndbackup-snap-1")),
                 QStringLiteral("my--vg-ndbackup--snap--1"));
    }

    void snapshotStatus()
    {
        dm::SnapshotStatus s = dm::parseSnapshotStatus(QStringLiteral("2048/8192 16"));
        QCOMPARE(s.state, dm::SnapshotStatus::State::Valid);
        QCOMPARE(s.usedSectors, qint64(2048));
        QCOMPARE(s.totalSectors, qint64(8192));
        QCOMPARE(s.metadataSectors, qint64(16));
        QCOMPARE(s.usedPercent(), 25.0);
        QCOMPARE(dm::parseSnapshotStatus(QStringLiteral("Invalid")).state, dm::SnapshotStatus::State::Invalid);
        QCOMPARE(dm::parseSnapshotStatus(QStringLiteral("Overflow")).state, dm::SnapshotStatus::State::Overflow);
        QCOMPARE(dm::parseSnapshotStatus(QStringLiteral("Merge failed")).state, dm::SnapshotStatus::State::MergeFailed);
        QCOMPARE(dm::parseSnapshotStatus(QStringLiteral("garbage")).state, dm::SnapshotStatus::State::Unknown);
    }

    void namesValidatedBeforeLvm()
    {
        QVERIFY_THROWS_EXCEPTION(Error, LvmDriver(QStringLiteral("-vg")));
        QVERIFY_THROWS_EXCEPTION(Error, LvmDriver(QStringLiteral("vg/x")));
        LvmDriver driver(QStringLiteral("ndbvg"));
        // Option injection and paths never reach lvm; snapshots must carry the reserved prefix.
        QVERIFY_THROWS_EXCEPTION(Error, runSync(driver.createSnapshot(QStringLiteral("--help"), QStringLiteral("ndbackup-snap-1"))));
        QVERIFY_THROWS_EXCEPTION(Error, runSync(driver.createSnapshot(QStringLiteral("c1"), QStringLiteral("mysnap"))));
        QVERIFY_THROWS_EXCEPTION(Error, runSync(driver.deleteSnapshot(QStringLiteral("c1"))));
        QVERIFY_THROWS_EXCEPTION(Error, runSync(driver.deleteVolume(QStringLiteral("../x"))));
    }
};

QTEST_GUILESS_MAIN(TestLvmParsing)
#include "tst_lvmparsing.moc"
