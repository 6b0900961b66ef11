// The console's side of storage nodes without a network: agent addresses, error kinds over the
// wire, the pins beside the catalog, and the data path a node's volume takes.
#include "backup/backupplan.h"
#include "model/status.h"
#include "net/agentclient.h"
#include "net/identity.h"
#include "util/coroutinethread.h"
#include "util/error.h"
#include "volumes/remote/remotedriver.h"
#include "volumes/remote/storagenodes.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace ndb;

class TestRemoteConsole : public QObject
{
    Q_OBJECT

private slots:
    void agentAddresses()
    {
        AgentAddress a = AgentAddress::parse(QStringLiteral("storage1"));
        QCOMPARE(a.host, QStringLiteral("storage1"));
        QCOMPARE(a.port, quint16(8787));
        a = AgentAddress::parse(QStringLiteral(" 127.0.0.2:9000 "));
        QCOMPARE(a.text(), QStringLiteral("127.0.0.2:9000"));
        for (const char *bad : {"", "host:0", "host:70000", "host:x", "-host", "a b", "host/x:1", ":8787"}) {
            try {
                AgentAddress::parse(QString::fromLatin1(bad));
                QFAIL(bad);
            } catch (const Error &e) {
                QCOMPARE(e.kind(), ErrorKind::InvalidInput);
                QVERIFY2(e.message().contains(QLatin1String("HOST")), qPrintable(e.message()));
            }
        }
    }

    void errorKindsCrossTheWire()
    {
        for (ErrorKind k : {ErrorKind::Failed, ErrorKind::Refused, ErrorKind::NotFound, ErrorKind::InvalidInput,
                            ErrorKind::CorruptData, ErrorKind::Cancelled, ErrorKind::Storage, ErrorKind::Network})
            QCOMPARE(errorKindFromName(errorKindName(k)), k);
        QCOMPARE(errorKindFromName(QStringLiteral("no-such-kind")), ErrorKind::Failed);
    }

    void pinsLiveBesideTheCatalog()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QCOMPARE(StorageNodes::stateDirFor(dir.filePath(QStringLiteral("catalog.sqlite"))), dir.path());
        StorageNodes nodes(dir.path());
        const TlsIdentity console = nodes.identity();
        QCOMPARE(QFile(dir.filePath(QStringLiteral("identity/identity-key.pem"))).permissions() & 0x0077, QFile::Permissions());
        QCOMPARE(nodes.identity().fingerprint(), console.fingerprint()); // made once
        const TlsIdentity agent = TlsIdentity::loadOrCreate(dir.filePath(QStringLiteral("agent")), QStringLiteral("agent"));
        PinnedAgent pin;
        pin.address = AgentAddress::parse(QStringLiteral("127.0.0.2"));
        pin.label = QStringLiteral("rack 4");
        nodes.pin(pin, agent.certificate);
        QVERIFY(nodes.find(pin.address));
        QCOMPARE(nodes.find(pin.address)->fingerprint, agent.fingerprint());
        QCOMPARE(nodes.find(pin.address)->label, QStringLiteral("rack 4"));
        QVERIFY(QFile::exists(nodes.certificatePath(agent.fingerprint())));
        nodes.setNodeName(pin.address, QStringLiteral("storage1"));
        QCOMPARE(nodes.pinned().value(0).node, QStringLiteral("storage1"));
        QVERIFY(!nodes.find(AgentAddress::parse(QStringLiteral("127.0.0.2:1"))));
        QVERIFY(nodes.forget(pin.address));
        QVERIFY(!nodes.forget(pin.address));
        QVERIFY(nodes.pinned().isEmpty());
        QVERIFY(!QFile::exists(nodes.certificatePath(agent.fingerprint())));
    }

    void nodeVolumesTakeTheExportPath()
    {
        QTemporaryDir dir;
        RemoteDriver driver(QStringLiteral("127.0.0.2"), {{QStringLiteral("console_state_dir"), dir.path()}});
        QCOMPARE(driver.id(), QStringLiteral("remote:127.0.0.2:8787"));
        QVERIFY(driver.capabilities().snapshotExport && !driver.capabilities().snapshotLocalRead);
        Volume v;
        v.name = QStringLiteral("db");
        for (const QString &status : {VolumeStatus::InUse, VolumeStatus::Available}) {
            v.status = status;
            const BackupPlan plan = waitOnWorker<BackupPlan>([&] { return planBackup(driver, v); });
            QCOMPARE(plan.dataPath, DataPath::Export);
            // In use: the node decides (a snapshot, or a temporary clone on a pool without reflink)
            // and the copy reports it; the plan promises nothing it cannot know.
            QCOMPARE(plan.consistency, status == VolumeStatus::InUse ? Consistency::Unknown : Consistency::Detached);
        }
        // An agent that is not pinned: refused with what to do, before any connection.
        try {
            waitOnWorker<QList<Volume>>([&] { return driver.listVolumes(); });
            QFAIL("listVolumes of an untrusted agent must fail");
        } catch (const Error &e) {
            QCOMPARE(e.kind(), ErrorKind::Refused);
            QVERIFY2(e.message().contains(QLatin1String("agent trust")), qPrintable(e.message()));
        }
    }
};

QTEST_GUILESS_MAIN(TestRemoteConsole)
#include "tst_remoteconsole.moc"
