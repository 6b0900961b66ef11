// The catalog's one arbiter of a volume (VolumeStore::beginOperation): jobs of any engine and an
// agent's writable export go through it; the loser is told who holds the volume.
#include "backup/statusrules.h"
#include "catalog/catalog.h"
#include "catalog/volumestore.h"
#include "model/status.h"
#include "util/error.h"

#include <QSqlQuery>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QTest>

using namespace ndb;

namespace {

Volume imageVolume(const QString &name)
{
    Volume v;
    v.driverId = QStringLiteral("image:/srv/pool");
    v.id = v.driverId + QLatin1Char('/') + name;
    v.name = name;
    v.size = 1 << 20;
    v.status = VolumeStatus::Available;
    return v;
}

} // namespace

class TestVolumeArbiter : public QObject
{
    Q_OBJECT

private slots:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_catalog = std::make_unique<Catalog>(m_dir->filePath(QStringLiteral("catalog.sqlite")));
    }
    void cleanup()
    {
        m_catalog.reset();
        m_dir.reset();
    }

    void secondHolderIsRefusedAndTold()
    {
        VolumeStore volumes(*m_catalog);
        const Volume v = imageVolume(QStringLiteral("vol1"));
        QVERIFY(volumes.beginOperation(v, VolumeStatus::BackingUp));
        QVERIFY(!volumes.beginOperation(v, VolumeStatus::RestoringBackup));
        QVERIFY(!volumes.beginOperation(v, VolumeStatus::BackingUp));
        try {
            beginVolumeOperation(volumes, v, VolumeStatus::RestoringBackup);
            QFAIL("a restore was granted while a backup holds the volume");
        } catch (const Error &e) {
            QCOMPARE(e.kind(), ErrorKind::Refused);
            QVERIFY2(e.message().contains(QStringLiteral("held by a backup job")), qPrintable(e.message()));
        }
        volumes.restorePreviousStatus(v.id);
        QCOMPARE(volumes.find(v.id)->status, VolumeStatus::Available);
        QVERIFY(volumes.beginOperation(v, VolumeStatus::RestoringBackup));
    }

    void restoreWaitsForAConsolesCopy()
    {
        // An agent's temporary copy (it carries a lease) is a console reading the volume: a
        // backup may read beside it, a restore may not.
        VolumeStore volumes(*m_catalog);
        const Volume v = imageVolume(QStringLiteral("vol2"));
        m_catalog->exec(QStringLiteral("INSERT INTO snapshots (id, volume_id, backup_id, name, status, created_at, updated_at, "
                                       "lease_expires_at) VALUES ('s1', ?, 'b1', 'ndbackup-snap-b1', 'available', 'now', 'now', "
                                       "'2999-01-01T00:00:00.000Z')"),
                        {v.id});
        QVERIFY(!volumes.beginOperation(v, VolumeStatus::RestoringBackup));
        QCOMPARE(volumes.find(v.id)->status, VolumeStatus::Available); // nothing changed
        QCOMPARE(volumes.holderOf(v.id, true), QStringLiteral("a console's backup (temporary copy ndbackup-snap-b1)"));
        QCOMPARE(volumes.holderOf(v.id), QString()); // not a holder for another reader
        QVERIFY(volumes.beginOperation(v, VolumeStatus::BackingUp));
        volumes.restorePreviousStatus(v.id);
        m_catalog->exec(QStringLiteral("UPDATE snapshots SET deleted_at = 'now' WHERE id = 's1'"));
        QVERIFY(volumes.beginOperation(v, VolumeStatus::RestoringBackup));
    }

    void writableExportIsNamed()
    {
        VolumeStore volumes(*m_catalog);
        const Volume v = imageVolume(QStringLiteral("vol3"));
        QVERIFY(volumes.beginOperation(v, VolumeStatus::RestoringBackup));
        m_catalog->exec(QStringLiteral("INSERT INTO exports (id, volume_id, writable, console_fingerprint, status, worker, "
                                       "lease_expires_at, created_at, updated_at) VALUES ('e1', ?, 1, 'SHA256:abcdef', 'exported', "
                                       "?, '2999-01-01', 'now', 'now')"),
                        {v.id, currentWorkerId()});
        QVERIFY(volumes.holderOf(v.id).startsWith(QStringLiteral("a console's restore")));
        QVERIFY(!volumes.beginOperation(v, VolumeStatus::BackingUp));
    }

    void staleHolderIsTakenOver()
    {
        // A holder whose process is gone holds nothing: the transition takes the row over.
        VolumeStore volumes(*m_catalog);
        const Volume v = imageVolume(QStringLiteral("vol4"));
        QVERIFY(volumes.beginOperation(v, VolumeStatus::BackingUp));
        m_catalog->exec(QStringLiteral("UPDATE volumes SET status_worker = ? WHERE id = ?"),
                        {QSysInfo::machineHostName() + QStringLiteral(":999999999:0"), v.id});
        QVERIFY(volumes.beginOperation(v, VolumeStatus::RestoringBackup));
        QCOMPARE(volumes.find(v.id)->status, VolumeStatus::RestoringBackup);
    }

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Catalog> m_catalog;
};

QTEST_GUILESS_MAIN(TestVolumeArbiter)
#include "tst_volumearbiter.moc"
