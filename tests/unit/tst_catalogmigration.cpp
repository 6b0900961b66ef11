// Catalog migrations keep what an older release recorded. A catalog is made at every earlier
// schema version, given rows, and opened by this build: the rows are there afterwards, with the
// new columns at their defaults, and the version is the latest. Migration 7 rebuilds `exports`
// (SQLite cannot drop a NOT NULL), which is where rows could be lost.
#include "catalog/catalog.h"

#include <QSqlQuery>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QTest>

using namespace ndb;

class TestCatalogMigration : public QObject
{
    Q_OBJECT

    static QStringList columns(Catalog &catalog, const QString &table)
    {
        QStringList out;
        QSqlQuery q = catalog.exec(QStringLiteral("PRAGMA table_info(%1)").arg(table));
        while (q.next())
            out << q.value(1).toString();
        return out;
    }

private Q_SLOTS:
    void everyVersionOpensAtTheLatest()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QVERIFY(Catalog::latestSchemaVersion() >= 7);
        for (int v = 0; v < Catalog::latestSchemaVersion(); ++v) {
            const QString path = dir.filePath(QStringLiteral("v%1.sqlite").arg(v));
            {
                Catalog old(path, v);
                QCOMPARE(old.schemaVersion(), v);
            }
            Catalog current(path);
            QCOMPARE(current.schemaVersion(), Catalog::latestSchemaVersion());
        }
    }

    // An agent's export row of a version-6 catalog survives the rebuild of `exports`.
    void exportsRowsSurviveTheRebuild()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("agent.sqlite"));
        {
            Catalog old(path, 6);
            QVERIFY(!columns(old, QStringLiteral("exports")).contains(QStringLiteral("writable")));
            old.exec(QStringLiteral("INSERT INTO exports (id, snapshot_id, console_fingerprint, status, host, port, export_name, "
                                    "tls_dir, server_pid, server_start, worker, lease_expires_at, created_at, updated_at) "
                                    "VALUES ('e1', 's1', 'SHA256:ab', 'serving', '127.0.0.2', 10809, 'snap', '/state/tls/e1', "
                                    "4242, '123', 'host:1', '2026-11-27T10:00:00Z', '2026-11-27T09:00:00Z', '2026-11-27T09:30:00Z')"));
            old.exec(QStringLiteral("INSERT INTO snapshots (id, volume_id, backup_id, name, status, created_at, updated_at) "
                                    "VALUES ('s1', 'image:/p/v', 'b1', 'ndbackup-snap-b1', 'available', "
                                    "'2026-11-27T09:00:00Z', '2026-11-27T09:00:00Z')"));
        }
        Catalog current(path);
        QSqlQuery q = current.exec(QStringLiteral("SELECT snapshot_id, console_fingerprint, status, host, port, export_name, tls_dir, "
                                                  "server_pid, server_start, worker, lease_expires_at, writable, volume_id "
                                                  "FROM exports WHERE id = 'e1'"));
        QVERIFY2(q.next(), "the export row was lost by the migration");
        QCOMPARE(q.value(0).toString(), QStringLiteral("s1"));
        QCOMPARE(q.value(1).toString(), QStringLiteral("SHA256:ab"));
        QCOMPARE(q.value(2).toString(), QStringLiteral("serving"));
        QCOMPARE(q.value(3).toString(), QStringLiteral("127.0.0.2"));
        QCOMPARE(q.value(4).toInt(), 10809);
        QCOMPARE(q.value(5).toString(), QStringLiteral("snap"));
        QCOMPARE(q.value(6).toString(), QStringLiteral("/state/tls/e1"));
        QCOMPARE(q.value(7).toInt(), 4242);
        QCOMPARE(q.value(8).toString(), QStringLiteral("123"));
        QCOMPARE(q.value(9).toString(), QStringLiteral("host:1"));
        QCOMPARE(q.value(10).toString(), QStringLiteral("2026-11-27T10:00:00Z"));
        QCOMPARE(q.value(11).toInt(), 0);
        QVERIFY(q.value(12).isNull());
        QSqlQuery s = current.exec(QStringLiteral("SELECT kind, consistency, lease_expires_at FROM snapshots WHERE id = 's1'"));
        QVERIFY(s.next());
        QCOMPARE(s.value(0).toString(), QStringLiteral("snapshot"));
        QCOMPARE(s.value(1).toString(), QStringLiteral("unknown"));
        // The rebuilt table keeps its index, and the new one is there.
        QSqlQuery idx = current.exec(QStringLiteral("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'exports' ORDER BY name"));
        QStringList names;
        while (idx.next())
            names << idx.value(0).toString();
        QVERIFY2(names.contains(QStringLiteral("exports_snapshot")) && names.contains(QStringLiteral("exports_volume")), qPrintable(names.join(QLatin1Char(' '))));
    }
};

QTEST_GUILESS_MAIN(TestCatalogMigration)
#include "tst_catalogmigration.moc"
