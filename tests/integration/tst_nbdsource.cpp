// The console's data plane against a real nbdkit on 127.0.0.1: X.509 TLS with the peer verified
// both ways, base:allocation, several connections and requests in flight, errors that name the
// peer and never hang, and whole backups and restores through the transfer pipeline.
#include "support/nbdkitserver.h"
#include "support/scratchfs.h"
#include "support/testcerts.h"

#include "backup/transfer.h"
#include "repository/repository.h"
#include "util/error.h"
#include "volumes/blockdevice.h"
#include "volumes/nbd/nbdblockdevice.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <thread>
#include <unistd.h>

using namespace ndb;
using namespace ndbtest;

namespace {

constexpr qint64 MiB = 1024 * 1024;
constexpr qint64 kImageSize = 64 * MiB;
// Data regions of the test image; everything else is a hole.
const QList<Extent> kData = {{8 * MiB, 3 * MiB}, {40 * MiB, 128 * 1024}, {kImageSize - 64 * 1024, 64 * 1024}};

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// A sparse image with random data in kData and holes elsewhere.
void makeSparseImage(const QString &path)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QVERIFY(f.resize(kImageSize));
    for (const Extent &e : kData) {
        QByteArray data(e.length, Qt::Uninitialized);
        QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(data.data()), data.size() / 4);
        QVERIFY(f.seek(e.offset));
        QCOMPARE(f.write(data), e.length);
    }
}

QString errorKindOf(const std::function<void()> &body, QString *message)
{
    try {
        body();
    } catch (const Error &e) {
        *message = e.message();
        return errorKindName(e.kind());
    } catch (const std::exception &e) {
        *message = QString::fromUtf8(e.what());
        return QStringLiteral("not an ndb::Error");
    }
    return QStringLiteral("no error");
}

} // namespace

class TestNbdSource : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void readsByteEqualOverSeveralConnections();
    void backupSkipsHolesAndRestoresByteEqual();
    void backupReadsOverSeveralConnections();
    void pemPathsInsteadOfDirectory();
    void untrustedClientIsRefused();
    void unpinnedServerIsRefused();
    void plainServerIsRefused();
    void certificateForAnotherAddressIsRefused();
    void serverKilledMidReadFailsFast();
    void silentServerTimesOut();
    void serverIoErrorIsStorage();
    void sinkRestoresByteEqual();
    void sinkRefusesReadOnlyExport();

private:
    NbdConnectionProperties client(quint16 port, const QString &clientDir) const;

    QTemporaryDir m_dir;
    QString m_image;
    QString m_serverTls;     // the agent: its own cert, trusting the console's
    QString m_clientTls;     // the console: its cert, the agent's pinned
    QString m_strangerTls;   // another console the agent does not trust
    QString m_wrongPinTls;   // the console pinning some other agent's certificate
    TestIdentity m_console;
    TestIdentity m_agent;
};

NbdConnectionProperties TestNbdSource::client(quint16 port, const QString &clientDir) const
{
    NbdConnectionProperties p;
    p.host = QStringLiteral("127.0.0.1");
    p.port = port;
    p.exportName = QStringLiteral("snap");
    p.certificatesDir = clientDir;
    p.timeoutMs = 5000;
    return p;
}

void TestNbdSource::initTestCase()
{
    // No silent skip: without the programs these tests cannot run, and say so.
    for (const char *program : {"nbdkit", "openssl"})
        QVERIFY2(!QStandardPaths::findExecutable(QLatin1String(program)).isEmpty(),
                 qPrintable(QStringLiteral("%1 is missing: run resources/scripts/install-deps-debian.sh")
                                .arg(QLatin1String(program))));
    QVERIFY(m_dir.isValid());
    const QString d = m_dir.path();
    NDB_TRY(m_agent = makeSelfSignedIdentity(d, QStringLiteral("agent")));
    NDB_TRY(m_console = makeSelfSignedIdentity(d, QStringLiteral("console")));
    TestIdentity stranger, otherAgent;
    NDB_TRY(stranger = makeSelfSignedIdentity(d, QStringLiteral("stranger")));
    NDB_TRY(otherAgent = makeSelfSignedIdentity(d, QStringLiteral("other-agent")));
    NDB_TRY(m_serverTls = makeServerTlsDir(d + QStringLiteral("/server"), m_agent, m_console));
    NDB_TRY(m_clientTls = makeClientTlsDir(d + QStringLiteral("/client"), m_console, m_agent));
    NDB_TRY(m_strangerTls = makeClientTlsDir(d + QStringLiteral("/stranger"), stranger, m_agent));
    NDB_TRY(m_wrongPinTls = makeClientTlsDir(d + QStringLiteral("/wrong-pin"), m_console, otherAgent));
    m_image = d + QStringLiteral("/volume.img");
    makeSparseImage(m_image);
}

void TestNbdSource::readsByteEqualOverSeveralConnections()
{
    NbdkitServer server;
    NDB_TRY(server.start({m_image, true, m_serverTls, {}, {}}, m_dir.path()));
    auto props = client(server.port(), m_clientTls);
    props.requestSize = 256 * 1024; // several requests per read
    std::unique_ptr<NbdSource> source;
    NDB_TRY(source = std::make_unique<NbdSource>(props));
    QCOMPARE(source->size(), kImageSize);
    QVERIFY(source->description().contains(QStringLiteral("127.0.0.1:%1").arg(server.port())));

    const QByteArray expected = readFile(m_image);
    QByteArray got(kImageSize, '\x55');
    // Four threads at once, as the pipeline's readers do: each gets its own connection (nbdkit's
    // file plugin offers multi-conn).
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            try {
                for (qint64 off = t * 4 * MiB; off < kImageSize; off += 16 * MiB) {
                    if (source->readAt(got.data() + off, 4 * MiB, off) != 4 * MiB)
                        ++failures;
                }
            } catch (...) {
                ++failures;
            }
        });
    }
    for (std::thread &t : threads)
        t.join();
    QCOMPARE(failures.load(), 0);
    QVERIFY(got == expected);
    QCOMPARE(source->bytesTransferred(), kImageSize);
    QVERIFY2(source->connectionCount() > 1, qPrintable(QString::number(source->connectionCount())));
    // A read past the end is short, not an error.
    QByteArray tail(8192, '\0');
    QCOMPARE(source->readAt(tail.data(), 8192, kImageSize - 4096), qint64(4096));
}

void TestNbdSource::backupSkipsHolesAndRestoresByteEqual()
{
    const QString log = m_dir.path() + QStringLiteral("/backup.log");
    NbdkitServer server;
    NDB_TRY(server.start({m_image, true, m_serverTls, {QStringLiteral("log")}, {QStringLiteral("logfile=") + log}},
                         m_dir.path()));
    std::unique_ptr<NbdSource> source;
    NDB_TRY(source = std::make_unique<NbdSource>(client(server.port(), m_clientTls)));

    // base:allocation: exactly the data regions (the file plugin reports holes as zero).
    const std::optional<QList<Extent>> extents = source->allocatedExtents();
    QVERIFY(extents.has_value());
    qint64 allocated = 0;
    for (const Extent &e : *extents)
        allocated += e.length;
    qint64 data = 0;
    for (const Extent &e : kData)
        data += e.length;
    QCOMPARE(allocated, data);
    QCOMPARE(extents->first().offset, kData.first().offset);

    const QString container = m_dir.path() + QStringLiteral("/container");
    Manifest manifest;
    manifest.backupId = QStringLiteral("b1");
    NDB_TRY({
        auto repo = Repository::openOrCreate(container);
        TransferOptions options;
        options.threads = 2;
        backupToRepository(*source, *repo, manifest, options);
        repo->commitManifest(manifest);
    });
    source.reset();
    server.stop(); // the log filter writes its last lines
    // Only the allocated extents crossed the wire.
    QCOMPARE(bytesReadInLog(log), data);

    const QString restored = m_dir.path() + QStringLiteral("/restored.img");
    NDB_TRY({
        auto repo = Repository::open(container);
        auto sink = openFileSink(restored, kImageSize);
        restoreFromRepository(*repo, repo->readManifest(QStringLiteral("b1")), *sink, TransferOptions{});
    });
    QVERIFY(readFile(restored) == readFile(m_image));
    QFile::remove(restored);
}

void TestNbdSource::backupReadsOverSeveralConnections()
{
    // A volume without holes: the pipeline keeps one read per connection in flight.
    const QString image = m_dir.path() + QStringLiteral("/full.img");
    {
        QFile f(image);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        QByteArray data(kImageSize, Qt::Uninitialized);
        QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(data.data()), data.size() / 4);
        QCOMPARE(f.write(data), kImageSize);
    }
    NbdkitServer server;
    NDB_TRY(server.start({image, true, m_serverTls, {}, {}}, m_dir.path()));
    auto props = client(server.port(), m_clientTls);
    props.maxConnections = 4;
    std::unique_ptr<NbdSource> source;
    NDB_TRY(source = std::make_unique<NbdSource>(props));
    QCOMPARE(source->preferredConcurrentReads(), 4);
    const QString container = m_dir.path() + QStringLiteral("/full-container");
    NDB_TRY({
        auto repo = Repository::openOrCreate(container);
        Manifest manifest;
        manifest.backupId = QStringLiteral("b1");
        TransferOptions options;
        options.threads = 2;
        backupToRepository(*source, *repo, manifest, options);
        repo->commitManifest(manifest);
    });
    QCOMPARE(source->bytesTransferred(), kImageSize);
    // Two readers (the pipeline's default for local disks) would never need a third connection.
    QVERIFY2(source->connectionCount() > 2, qPrintable(QString::number(source->connectionCount())));
    QDir(container).removeRecursively();
    QFile::remove(image);
}

void TestNbdSource::pemPathsInsteadOfDirectory()
{
    NbdkitServer server;
    NDB_TRY(server.start({m_image, true, m_serverTls, {}, {}}, m_dir.path()));
    auto props = client(server.port(), QString());
    props.caFile = m_agent.certFile;
    props.certFile = m_console.certFile;
    props.keyFile = m_console.keyFile;
    std::unique_ptr<NbdSource> source;
    NDB_TRY(source = std::make_unique<NbdSource>(props));
    QByteArray got(3 * MiB, '\0');
    NDB_TRY(QCOMPARE(source->readAt(got.data(), got.size(), 8 * MiB), qint64(got.size())));
    QVERIFY(got == readFile(m_image).mid(8 * MiB, 3 * MiB));

    // Without any certificate there is no connection at all: TLS is not optional.
    props.caFile.clear();
    QString message;
    QCOMPARE(errorKindOf([&] { NbdSource s(props); }, &message), QStringLiteral("invalid"));
    QVERIFY2(message.contains(QStringLiteral("TLS is required")), qPrintable(message));
}

void TestNbdSource::untrustedClientIsRefused()
{
    NbdkitServer server;
    NDB_TRY(server.start({m_image, true, m_serverTls, {}, {}}, m_dir.path()));
    QString message;
    QElapsedTimer timer;
    timer.start();
    QCOMPARE(errorKindOf([&] { NbdSource s(client(server.port(), m_strangerTls)); }, &message),
             QStringLiteral("network"));
    QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
    QVERIFY2(message.contains(QStringLiteral("127.0.0.1:%1").arg(server.port())), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("TLS handshake failed")), qPrintable(message));
    qInfo("untrusted client: %s", qPrintable(message));
}

void TestNbdSource::unpinnedServerIsRefused()
{
    NbdkitServer server;
    NDB_TRY(server.start({m_image, true, m_serverTls, {}, {}}, m_dir.path()));
    QString message;
    QCOMPARE(errorKindOf([&] { NbdSource s(client(server.port(), m_wrongPinTls)); }, &message),
             QStringLiteral("network"));
    QVERIFY2(message.contains(QStringLiteral("127.0.0.1:%1").arg(server.port())), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("certificate"), Qt::CaseInsensitive), qPrintable(message));
    qInfo("unpinned server: %s", qPrintable(message));
}

void TestNbdSource::plainServerIsRefused()
{
    NbdkitServer server;
    NDB_TRY(server.start({m_image, true, QString(), {}, {}}, m_dir.path()));
    QString message;
    QCOMPARE(errorKindOf([&] { NbdSource s(client(server.port(), m_clientTls)); }, &message),
             QStringLiteral("network"));
    QVERIFY2(message.contains(QStringLiteral("does not offer TLS")), qPrintable(message));
    qInfo("plain server: %s", qPrintable(message));
}

void TestNbdSource::certificateForAnotherAddressIsRefused()
{
    // The pinned certificate itself, but issued for 127.0.0.2 while the console dialled 127.0.0.1:
    // GnuTLS checks the address against the certificate's SAN.
    const QString d = m_dir.path();
    TestIdentity elsewhere;
    NDB_TRY(elsewhere = makeSelfSignedIdentity(d, QStringLiteral("agent-elsewhere"), QStringLiteral("127.0.0.2")));
    QString serverTls, clientTls;
    NDB_TRY(serverTls = makeServerTlsDir(d + QStringLiteral("/server-elsewhere"), elsewhere, m_console));
    NDB_TRY(clientTls = makeClientTlsDir(d + QStringLiteral("/client-elsewhere"), m_console, elsewhere));
    NbdkitServer server;
    NDB_TRY(server.start({m_image, true, serverTls, {}, {}}, d));
    QString message;
    QCOMPARE(errorKindOf([&] { NbdSource s(client(server.port(), clientTls)); }, &message), QStringLiteral("network"));
    QVERIFY2(message.contains(QStringLiteral("TLS handshake failed")), qPrintable(message));
    qInfo("certificate for another address: %s", qPrintable(message));
}

void TestNbdSource::serverKilledMidReadFailsFast()
{
    NbdkitServer server;
    // Every read takes 0.3 s, so the kill lands while requests are in flight.
    NDB_TRY(server.start({m_image, true, m_serverTls, {QStringLiteral("delay")}, {QStringLiteral("rdelay=300ms")}},
                         m_dir.path()));
    auto props = client(server.port(), m_clientTls);
    props.timeoutMs = 60000; // the error must come from the closed connection, not the timeout
    std::unique_ptr<NbdSource> source;
    NDB_TRY(source = std::make_unique<NbdSource>(props));
    QByteArray buffer(32 * MiB, '\0');
    QString message, kind;
    QElapsedTimer timer;
    std::thread reader([&] {
        kind = errorKindOf([&] {
            for (int i = 0; i < 100; ++i)
                source->readAt(buffer.data(), buffer.size(), 0);
        }, &message);
    });
    QThread::msleep(500);
    timer.start();
    server.signal(SIGKILL);
    reader.join();
    QCOMPARE(kind, QStringLiteral("network"));
    QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
    QVERIFY2(message.contains(QStringLiteral("127.0.0.1:%1").arg(server.port())), qPrintable(message));
    qInfo("killed server after %lld ms: %s", timer.elapsed(), qPrintable(message));
}

void TestNbdSource::silentServerTimesOut()
{
    NbdkitServer server;
    NDB_TRY(server.start({m_image, true, m_serverTls, {}, {}}, m_dir.path()));
    auto props = client(server.port(), m_clientTls);
    props.timeoutMs = 1500;
    std::unique_ptr<NbdSource> source;
    NDB_TRY(source = std::make_unique<NbdSource>(props));
    // A link that is cut without a reset looks like this: the peer simply stops answering.
    server.signal(SIGSTOP);
    QByteArray buffer(4 * MiB, '\0');
    QString message;
    QElapsedTimer timer;
    timer.start();
    const QString kind = errorKindOf([&] { source->readAt(buffer.data(), buffer.size(), 0); }, &message);
    server.signal(SIGCONT);
    QCOMPARE(kind, QStringLiteral("network"));
    QVERIFY2(timer.elapsed() >= 1400 && timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
    QVERIFY2(message.contains(QStringLiteral("did not answer within 1.5 s")), qPrintable(message));

    // Connecting to a silent server ends the same way (TCP accepts, the handshake never comes).
    server.signal(SIGSTOP);
    timer.restart();
    QCOMPARE(errorKindOf([&] { NbdSource s(props); }, &message), QStringLiteral("network"));
    server.signal(SIGCONT);
    QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
    QVERIFY2(message.contains(QStringLiteral("connecting")), qPrintable(message));
}

void TestNbdSource::serverIoErrorIsStorage()
{
    NbdkitServer server;
    NDB_TRY(server.start({m_image, true, m_serverTls, {QStringLiteral("error")},
                          {QStringLiteral("error-pread=EIO"), QStringLiteral("error-pread-rate=100%")}},
                         m_dir.path()));
    std::unique_ptr<NbdSource> source;
    NDB_TRY(source = std::make_unique<NbdSource>(client(server.port(), m_clientTls)));
    QByteArray buffer(MiB, '\0');
    QString message;
    QCOMPARE(errorKindOf([&] { source->readAt(buffer.data(), buffer.size(), 8 * MiB); }, &message),
             QStringLiteral("storage"));
    QVERIFY2(message.contains(QStringLiteral("127.0.0.1:%1").arg(server.port())), qPrintable(message));
    qInfo("EIO: %s", qPrintable(message));
    // The connection that failed is not reused in a broken state: the next read fails the same way.
    QCOMPARE(errorKindOf([&] { source->readAt(buffer.data(), buffer.size(), 0); }, &message),
             QStringLiteral("storage"));
}

void TestNbdSource::sinkRestoresByteEqual()
{
    // A backup of the image (local), restored onto a writable export whose file holds garbage:
    // the holes must come out as zeroes.
    const QString container = m_dir.path() + QStringLiteral("/sink-container");
    NDB_TRY({
        auto repo = Repository::openOrCreate(container);
        auto source = openFileSource(m_image);
        Manifest manifest;
        manifest.backupId = QStringLiteral("b1");
        backupToRepository(*source, *repo, manifest, TransferOptions{});
        repo->commitManifest(manifest);
    });
    const QString target = m_dir.path() + QStringLiteral("/target.img");
    {
        QFile f(target);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        QCOMPARE(f.write(QByteArray(kImageSize, '\xAA')), kImageSize);
    }
    NbdkitServer server;
    NDB_TRY(server.start({target, false, m_serverTls, {}, {}}, m_dir.path()));
    NDB_TRY({
        NbdSink sink(client(server.port(), m_clientTls));
        QCOMPARE(sink.size(), kImageSize);
        auto repo = Repository::open(container);
        const Manifest manifest = repo->readManifest(QStringLiteral("b1"));
        restoreFromRepository(*repo, manifest, sink, TransferOptions{});
        // Only the data chunks crossed the wire; the zero chunks went as NBD_CMD_WRITE_ZEROES.
        const qint64 dataChunks = std::count_if(manifest.chunks.cbegin(), manifest.chunks.cend(),
                                                [](const QByteArray &id) { return !id.isEmpty(); });
        QCOMPARE(sink.bytesTransferred(), dataChunks * qint64(manifest.chunkSize));
        QVERIFY(sink.bytesTransferred() < kImageSize / 10);
    });
    server.stop();
    QVERIFY(readFile(target) == readFile(m_image));
    QFile::remove(target);
}

void TestNbdSource::sinkRefusesReadOnlyExport()
{
    NbdkitServer server;
    NDB_TRY(server.start({m_image, true, m_serverTls, {}, {}}, m_dir.path()));
    QString message;
    QCOMPARE(errorKindOf([&] { NbdSink s(client(server.port(), m_clientTls)); }, &message),
             QStringLiteral("storage"));
    QVERIFY2(message.contains(QStringLiteral("read-only")), qPrintable(message));
}

QTEST_GUILESS_MAIN(TestNbdSource)
#include "tst_nbdsource.moc"
