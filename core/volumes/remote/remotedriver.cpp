#include "remotedriver.h"

#include "model/status.h"
#include "util/error.h"
#include "util/joblog.h"
#include "volumes/driverset.h"
#include "volumes/nbd/nbdblockdevice.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QMutex>
#include <QThread>
#include <QTimer>
#include <QUrl>

#include <sys/stat.h>

#include <functional>

namespace ndb {

namespace {

const QString kKind = QStringLiteral("remote");
// A provider id that names the operation still making the snapshot, not the snapshot.
const QString kOperationPrefix = QStringLiteral("operation:");

QString encoded(const QString &id)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(id));
}

// Keeps an export's lease alive from its own thread with its own client: the transfer that reads
// the export blocks the job thread, whose event loop cannot run a timer meanwhile.
class LeaseKeeper : public QThread
{
public:
    LeaseKeeper(AgentAddress address, TlsIdentity console, QString pin, QString exportId, int seconds)
        : m_address(std::move(address)), m_console(std::move(console)), m_pin(std::move(pin)),
          m_exportId(std::move(exportId)), m_seconds(seconds) {}
    ~LeaseKeeper() override { stop(); }

    void stop()
    {
        m_stopping = true;
        quit();
        wait();
    }
    // Empty while the lease is kept; otherwise why it could not be extended.
    QString problem() const
    {
        QMutexLocker lock(&m_mutex);
        return m_problem;
    }
    // Called (on the keeper's thread, or here when the lease is lost already) once the lease is
    // lost; an empty function removes it, after which it is never called again.
    void setOnProblem(std::function<void(const QString &)> onProblem)
    {
        QMutexLocker lock(&m_mutex);
        m_onProblem = std::move(onProblem);
        if (m_onProblem && !m_problem.isEmpty())
            m_onProblem(m_problem);
    }

protected:
    void run() override
    {
        AgentClient client(m_address, m_console, m_pin, std::max(2000, m_seconds * 1000 / 3));
        QElapsedTimer sinceExtended;
        sinceExtended.start();
        const auto extend = [&] {
            if (m_stopping)
                return;
            try {
                client.callBlocking("POST", QStringLiteral("/v1/exports/%1/lease").arg(m_exportId),
                                    QJsonObject{{QStringLiteral("seconds"), m_seconds}});
                sinceExtended.restart();
            } catch (const Error &e) {
                if (m_stopping)
                    return;
                // A refused (expired) or unknown lease is over; a network failure only once the
                // lease has run out meanwhile (the agent reaps then).
                const bool over = e.kind() == ErrorKind::Refused || e.kind() == ErrorKind::NotFound;
                if (over || sinceExtended.elapsed() >= qint64(m_seconds) * 1000) {
                    QMutexLocker lock(&m_mutex);
                    if (m_problem.isEmpty()) {
                        m_problem = e.message();
                        if (m_onProblem)
                            m_onProblem(m_problem); // a read waiting on the dead export gives up now
                    }
                }
            }
        };
        extend();
        QTimer timer;
        timer.setInterval(std::max(1, m_seconds / 3) * 1000);
        QObject::connect(&timer, &QTimer::timeout, extend);
        timer.start();
        exec();
    }

private:
    AgentAddress m_address;
    TlsIdentity m_console;
    QString m_pin;
    QString m_exportId;
    int m_seconds;
    std::atomic<bool> m_stopping{false};
    mutable QMutex m_mutex;
    QString m_problem;
    std::function<void(const QString &)> m_onProblem;
};

// What an export read or written over NBD shares: its lease kept while it is open, a lost lease
// or connection failing the transfer naming the storage node.
class LeasedExport
{
public:
    LeasedExport(std::unique_ptr<LeaseKeeper> keeper, QString node, QString exportId)
        : m_keeper(std::move(keeper)), m_node(std::move(node)), m_exportId(std::move(exportId)) {}

protected:
    void checkLease() const
    {
        const QString problem = m_keeper->problem();
        if (!problem.isEmpty())
            throw Error(QStringLiteral("the lease of export %1 on storage node %2 could not be extended (%3); the agent removes "
                                       "the export when the lease ends").arg(m_exportId, m_node, problem),
                        ErrorKind::Network);
    }
    // Runs one NBD transfer; its failure is the lease's when the lease was lost, else named by node.
    template<typename F>
    auto transfer(const char *what, F &&work)
    {
        checkLease();
        try {
            return work();
        } catch (const Error &e) {
            checkLease();
            throw Error(QStringLiteral("%1 the export %2 of storage node %3 failed: %4").arg(QLatin1String(what), m_exportId, m_node, e.message()),
                        e.kind());
        }
    }
    // A transfer waiting on a dead export gives up as soon as the keeper loses the lease, instead
    // of at the silent-peer limit (a cut link); `device` must outlive the call of stopKeeper().
    template<typename Device>
    void interruptOnLeaseLoss(Device *device)
    {
        m_keeper->setOnProblem([device](const QString &problem) {
            device->interrupt(QStringLiteral("the lease of the export could not be extended (%1)").arg(problem));
        });
    }
    void clearLeaseHook() { m_keeper->setOnProblem({}); } // before the device goes
    void stopKeeper() { m_keeper->stop(); } // after the NBD connection is closed, before it is terminated

private:
    std::unique_ptr<LeaseKeeper> m_keeper;
    QString m_node;
    QString m_exportId;
};

// An NBD reader of an exported snapshot.
class LeasedSource : public BlockSource, private LeasedExport
{
public:
    LeasedSource(std::unique_ptr<NbdSource> source, std::unique_ptr<LeaseKeeper> keeper, QString node, QString exportId)
        : LeasedExport(std::move(keeper), std::move(node), std::move(exportId)), m_source(std::move(source))
    {
        interruptOnLeaseLoss(m_source.get());
    }
    ~LeasedSource() override
    {
        clearLeaseHook();
        m_source.reset();
        stopKeeper();
    }
    qint64 size() const override { return m_source->size(); }
    std::optional<QList<Extent>> allocatedExtents() const override { return m_source->allocatedExtents(); }
    qint64 readAt(char *buffer, qint64 length, qint64 offset) override
    {
        return transfer("reading", [&] { return m_source->readAt(buffer, length, offset); });
    }
    QString description() const override { return m_source->description(); }
    int preferredConcurrentReads() const override { return m_source->preferredConcurrentReads(); }

private:
    std::unique_ptr<NbdSource> m_source;
};

// An NBD writer of a volume's writable export (the target of a restore).
class LeasedSink : public BlockSink, private LeasedExport
{
public:
    LeasedSink(std::unique_ptr<NbdSink> sink, std::unique_ptr<LeaseKeeper> keeper, QString node, QString exportId)
        : LeasedExport(std::move(keeper), std::move(node), std::move(exportId)), m_sink(std::move(sink))
    {
        interruptOnLeaseLoss(m_sink.get());
    }
    ~LeasedSink() override
    {
        clearLeaseHook();
        m_sink.reset();
        stopKeeper();
    }
    qint64 size() const override { return m_sink->size(); }
    void writeAt(const char *buffer, qint64 length, qint64 offset) override
    {
        transfer("writing", [&] { m_sink->writeAt(buffer, length, offset); });
    }
    void writeZeroes(qint64 length, qint64 offset) override
    {
        transfer("writing", [&] { m_sink->writeZeroes(length, offset); });
    }
    // The flush is acknowledged only with every write in the volume; the lease must have held.
    void finish() override
    {
        transfer("flushing", [&] { m_sink->finish(); });
        checkLease();
    }
    QString description() const override { return m_sink->description(); }

private:
    std::unique_ptr<NbdSink> m_sink;
};

Error unsupported(const QString &what, const QString &node)
{
    // What the agent API does not offer (app/agent/API.md): a node's volumes are backed up through
    // temporary copies and restored through writable exports, never deleted, cloned or attached here.
    return RefusedError(QStringLiteral("%1 on storage node %2 is not offered by its agent; do it on the node").arg(what, node));
}

} // namespace

RemoteDriver::RemoteDriver(const QString &location, const QVariantMap &options, JobLog *log)
    : m_address(AgentAddress::parse(location)),
      m_nodes(options.value(QStringLiteral("console_state_dir")).toString()),
      m_leaseSeconds(std::clamp(options.value(QStringLiteral("agent_lease_seconds"), 60).toInt(), 3, 3600)),
      m_operationSeconds(std::max(1, options.value(QStringLiteral("agent_operation_timeout_seconds"), kDefaultAgentOperationSeconds).toInt())),
      m_log(log)
{
    try {
        m_pin = m_nodes.find(m_address);
    } catch (const Error &) {
        // Reported by the first call that needs the pin.
    }
}

RemoteDriver::~RemoteDriver() = default;

QString RemoteDriver::driverId(const AgentAddress &address) { return kKind + QLatin1Char(':') + address.text(); }
QString RemoteDriver::id() const { return driverId(m_address); }
QString RemoteDriver::kind() const { return kKind; }

DriverCapabilities RemoteDriver::capabilities() const
{
    DriverCapabilities c;
    c.snapshotExport = true;
    return c;
}

AgentClient &RemoteDriver::client()
{
    if (!m_client) {
        const std::optional<PinnedAgent> pin = m_nodes.find(m_address);
        if (!pin)
            throw RefusedError(QStringLiteral("agent %1 is not trusted by this console: compare its fingerprint "
                                              "(ndbackup-agent show-fingerprint on the node) and run "
                                              "'ndbackupctl agent trust %1'").arg(m_address.text()));
        m_pin = pin;
        m_identity = m_nodes.identity();
        m_client = std::make_unique<AgentClient>(m_address, *m_identity, pin->fingerprint);
        m_client->setOperationLimit(m_operationSeconds);
        m_client->setCancelFlag(m_log ? m_log->cancelFlag() : nullptr);
    }
    return *m_client;
}

QCoro::Task<QList<Volume>> RemoteDriver::listVolumes()
{
    AgentClient &agent = client();
    if (m_node.isEmpty()) {
        const QString nodePath = QStringLiteral("/v1/node");
        const QJsonObject node = co_await agent.call("GET", nodePath);
        m_node = node.value(QStringLiteral("name")).toString();
        if (m_node.isEmpty())
            m_node = m_address.host;
    }
    const QString volumesPath = QStringLiteral("/v1/volumes");
    const QJsonObject answer = co_await agent.call("GET", volumesPath);
    QList<Volume> out;
    m_volumeIds.clear();
    for (const QJsonValue value : answer.value(QStringLiteral("volumes")).toArray()) {
        const Volume v = volumeFromAgent(value.toObject());
        if (v.name.isEmpty() || m_volumeIds.contains(v.name)) {
            if (m_log)
                m_log->warning(QStringLiteral("storage node %1 lists volume name '%2' more than once; only the first is used")
                                   .arg(m_node, v.name));
            continue;
        }
        m_volumeIds.insert(v.name, v.path);
        out << v;
    }
    co_return out;
}

Volume RemoteDriver::volumeFromAgent(const QJsonObject &o) const
{
    Volume v;
    v.name = o.value(QStringLiteral("name")).toString();
    v.driverId = id();
    v.id = DriverSet::volumeId(v.driverId, v.name);
    v.host = m_node;
    v.size = qint64(o.value(QStringLiteral("size")).toDouble());
    v.status = o.value(QStringLiteral("status")).toString();
    v.path = o.value(QStringLiteral("id")).toString(); // the agent's own reference
    v.attachedTo = o.value(QStringLiteral("attachment")).toString();
    return v;
}

QCoro::Task<Volume> RemoteDriver::volume(QString name)
{
    const QList<Volume> all = co_await listVolumes();
    for (const Volume &v : all)
        if (v.name == name)
            co_return v;
    throw NotFoundError(QStringLiteral("storage node %1 has no volume '%2'").arg(m_node.isEmpty() ? m_address.text() : m_node, name));
}

QString RemoteDriver::agentVolumeId(const QString &name)
{
    const QString id = m_volumeIds.value(name);
    if (id.isEmpty())
        throw NotFoundError(QStringLiteral("storage node %1 has no volume '%2'").arg(m_address.text(), name));
    return id;
}

QCoro::Task<Volume> RemoteDriver::createVolume(QString name, qint64 size)
{
    // A restore's new volume, in the node's first storage (GET /v1/node lists them in the order
    // of its configuration).
    AgentClient &agent = client();
    const QString nodePath = QStringLiteral("/v1/node");
    const QJsonObject node = co_await agent.call("GET", nodePath);
    if (m_node.isEmpty())
        m_node = node.value(QStringLiteral("name")).toString(m_address.host);
    const QJsonArray drivers = node.value(QStringLiteral("drivers")).toArray();
    if (drivers.isEmpty())
        throw RefusedError(QStringLiteral("storage node %1 has no storage configured to create volume '%2' in")
                               .arg(nodeName(), name));
    const QString driver = drivers.first().toObject().value(QStringLiteral("id")).toString();
    const QString path = QStringLiteral("/v1/volumes");
    const QJsonObject body{{QStringLiteral("driver"), driver}, {QStringLiteral("name"), name},
                           {QStringLiteral("size"), double((size + 511) / 512 * 512)}};
    const QJsonObject result = co_await agent.runOperation("POST", path, body);
    const Volume v = volumeFromAgent(result.value(QStringLiteral("volume")).toObject());
    if (v.name != name || v.path.isEmpty())
        throw Error(QStringLiteral("storage node %1 created volume '%2' but did not name it back").arg(nodeName(), name));
    m_volumeIds.insert(v.name, v.path);
    if (m_log)
        m_log->info(QStringLiteral("volume %1 created on storage node %2 (%3)").arg(name, nodeName(), driver));
    co_return v;
}

QCoro::Task<void> RemoteDriver::deleteVolume(QString)
{
    throw unsupported(QStringLiteral("deleting a volume"), m_address.text());
    co_return;
}

QCoro::Task<Volume> RemoteDriver::createVolumeFromSource(QString, QString)
{
    throw unsupported(QStringLiteral("cloning a volume"), m_address.text());
    co_return Volume();
}

QCoro::Task<QString> RemoteDriver::attach(QString)
{
    throw unsupported(QStringLiteral("attaching a volume"), m_address.text());
    co_return QString();
}

QCoro::Task<void> RemoteDriver::detach(QString)
{
    throw unsupported(QStringLiteral("detaching a volume"), m_address.text());
    co_return;
}

QCoro::Task<std::unique_ptr<BlockSource>> RemoteDriver::openVolumeSource(QString)
{
    // Every backup of a node's volume reads an exported snapshot (planBackup).
    throw unsupported(QStringLiteral("reading a volume directly"), m_address.text());
    co_return std::unique_ptr<BlockSource>();
}

QCoro::Task<std::unique_ptr<BlockSource>> RemoteDriver::openSnapshotSource(SnapshotHandle)
{
    throw unsupported(QStringLiteral("reading a snapshot without an export"), m_address.text());
    co_return std::unique_ptr<BlockSource>();
}

QCoro::Task<std::unique_ptr<BlockSink>> RemoteDriver::openVolumeSink(QString name)
{
    co_return co_await openRecordedVolumeSink(name, {});
}

QCoro::Task<std::unique_ptr<BlockSink>> RemoteDriver::openRecordedVolumeSink(QString name, SinkRecorder record)
{
    if (!record)
        record = [](const QJsonObject &) {};
    if (!m_volumeIds.contains(name)) {
        const QString volumeName = name;
        co_await volume(volumeName);
    }
    AgentClient &agent = client();
    const QString volumeId = agentVolumeId(name);
    // Recorded before each call: the volume's id alone is enough to end its export and connection.
    QJsonObject state{{QStringLiteral("agent_volume_id"), volumeId}, {QStringLiteral("export_id"), QStringLiteral("requested")}};
    record(state);
    const QString exportPath = QStringLiteral("/v1/volumes/%1/export").arg(encoded(volumeId));
    const QJsonObject exported = co_await agent.call("POST", exportPath);
    const QString exportId = exported.value(QStringLiteral("export")).toObject().value(QStringLiteral("id")).toString();
    if (exportId.isEmpty())
        throw Error(QStringLiteral("storage node %1 exported volume %2 without an export id").arg(nodeName(), name));
    const QString dir = makeTlsDirectory(exportId);
    state.insert(QStringLiteral("export_id"), exportId);
    state.insert(QStringLiteral("tls_dir"), dir);
    state.insert(QStringLiteral("connection"), QStringLiteral("requested"));
    record(state);
    const QString connectionPath = QStringLiteral("/v1/volumes/%1/connection").arg(encoded(volumeId));
    const QJsonObject answer = co_await agent.call("POST", connectionPath);
    const QJsonObject connection = answer.value(QStringLiteral("connection")).toObject();
    const QJsonObject data = connection.value(QStringLiteral("data")).toObject();
    // Connection properties only: the credentials stay in the TLS directory.
    state.insert(QStringLiteral("connection"), QJsonObject{{QStringLiteral("driver_volume_type"), connection.value(QStringLiteral("driver_volume_type"))},
                                                           {QStringLiteral("data"), data}});
    record(state);
    if (connection.value(QStringLiteral("driver_volume_type")).toString() != QLatin1String("nbd")
        || !data.value(QStringLiteral("writable")).toBool())
        throw Error(QStringLiteral("storage node %1 offers no writable NBD connection to volume %2").arg(nodeName(), name));
    co_return openLeased<NbdSink, LeasedSink>(data, dir, exportId, QStringLiteral("write"));
}

QCoro::Task<void> RemoteDriver::closeVolumeSink(QString name, QJsonObject state)
{
    QString volumeId = state.value(QStringLiteral("agent_volume_id")).toString();
    if (volumeId.isEmpty()) {
        if (!m_volumeIds.contains(name)) {
            const QString volumeName = name;
            co_await volume(volumeName);
        }
        volumeId = agentVolumeId(name);
    }
    // Both idempotent; the connection first (nbdkit gone, every acknowledged write in the volume).
    for (const QString &what : {QStringLiteral("connection"), QStringLiteral("export")}) {
        const QString path = QStringLiteral("/v1/volumes/%1/%2").arg(encoded(volumeId), what);
        try {
            co_await client().call("DELETE", path);
        } catch (const Error &e) {
            if (e.kind() != ErrorKind::NotFound)
                throw Error(QStringLiteral("ending the %1 of volume %2 on storage node %3: %4").arg(what, name, nodeName(), e.message()),
                            e.kind());
        }
    }
    const QString dir = state.value(QStringLiteral("tls_dir")).toString();
    if (!dir.isEmpty() && QFileInfo(dir).absolutePath() == QFileInfo(tlsDirectory(QStringLiteral("x"))).absolutePath())
        QDir(dir).removeRecursively(); // only ever a directory of our own naming
}

QCoro::Task<SnapshotHandle> RemoteDriver::createSnapshot(QString volume, QString snapshotName)
{
    TemporaryObject parsed;
    if (!parseTemporaryName(snapshotName, parsed) || parsed.kind != TemporaryObject::Kind::Snapshot)
        throw InvalidInputError(QStringLiteral("'%1' is not the name of a temporary snapshot").arg(snapshotName));
    if (!m_volumeIds.contains(volume)) {
        const QString name = volume;
        co_await this->volume(name);
    }
    const QString path = QStringLiteral("/v1/volumes/%1/snapshots").arg(encoded(agentVolumeId(volume)));
    const QJsonObject body{{QStringLiteral("backup_id"), parsed.backupId}};
    // The operation's id is recorded before the wait: a cancel or a crash meanwhile still finds
    // what it made (removeTemporary waits for it, then deletes its snapshot).
    const auto accepted = [this, snapshotName](const QString &operationId) {
        m_pendingOperations.insert(snapshotName, operationId);
        recordProviderId(snapshotName, kOperationPrefix + operationId);
    };
    const QJsonObject result = co_await client().runOperation("POST", path, body, accepted);
    m_pendingOperations.remove(snapshotName);
    const QJsonObject snap = result.value(QStringLiteral("snapshot")).toObject();
    SnapshotHandle handle;
    handle.name = snap.value(QStringLiteral("name")).toString(snapshotName);
    handle.providerId = snap.value(QStringLiteral("id")).toString();
    handle.path = handle.providerId;
    handle.providerLocation = id();
    if (handle.providerId.isEmpty())
        throw Error(QStringLiteral("agent %1 created snapshot %2 without an id").arg(m_address.text(), snapshotName));
    m_snapshotIds.insert(snapshotName, handle.providerId);
    // What the node's driver did (a reflink or LVM snapshot, or on a pool without reflink a
    // temporary clone that may not be point-in-time): recorded with the backup as it is.
    m_copyConsistency.insert(snapshotName, snap.value(QStringLiteral("consistency")).toString(Consistency::Unknown));
    co_return handle;
}

QString RemoteDriver::snapshotId(const QString &snapshotName, const QString &providerId) const
{
    return providerId.isEmpty() ? m_snapshotIds.value(snapshotName) : providerId;
}

QCoro::Task<QString> RemoteDriver::snapshotOfOperation(QString operationId)
{
    QJsonObject op;
    try {
        op = co_await client().waitForOperation(operationId);
    } catch (const Error &e) {
        if (e.kind() == ErrorKind::NotFound)
            co_return QString(); // the agent never queued it
        throw;
    }
    if (op.value(QStringLiteral("status")).toString() != QLatin1String("succeeded"))
        co_return QString(); // it failed: nothing was made
    co_return op.value(QStringLiteral("result")).toObject().value(QStringLiteral("snapshot")).toObject().value(QStringLiteral("id")).toString();
}

QCoro::Task<void> RemoteDriver::deleteSnapshot(QString snapshotName)
{
    const TemporaryObject object{TemporaryObject::Kind::Snapshot, snapshotName, {}};
    co_await removeTemporary(object);
}

QCoro::Task<QString> RemoteDriver::plannedCopyConsistency(QString)
{
    // The node decides (a snapshot, or a temporary clone on a pool without reflink); the copy
    // reports what it was, and a copy that is not point-in-time is refused then if asked.
    co_return Consistency::Unknown;
}

QString RemoteDriver::copyConsistency(const QString &copyName) const
{
    return m_copyConsistency.value(copyName, Consistency::Unknown);
}

QCoro::Task<QString> RemoteDriver::createExportSnapshot(SnapshotHandle snapshot)
{
    const QString path = QStringLiteral("/v1/snapshots/%1/export").arg(snapshot.providerId);
    const QJsonObject answer = co_await client().call("POST", path);
    const QString exportId = answer.value(QStringLiteral("export")).toObject().value(QStringLiteral("id")).toString();
    if (exportId.isEmpty())
        throw Error(QStringLiteral("agent %1 exported snapshot %2 without an export id").arg(m_address.text(), snapshot.name));
    co_return exportId;
}

QString RemoteDriver::tlsDirectory(const QString &snapshotId) const
{
    return QDir(m_nodes.stateDirectory()).filePath(QStringLiteral("connections/") + snapshotId);
}

QString RemoteDriver::makeTlsDirectory(const QString &key)
{
    client();
    // libnbd's TLS directory for this connection only (0700): the agent's pinned certificate as
    // the CA, the console's certificate and key as the client's.
    const QString dir = tlsDirectory(key);
    QDir().mkpath(QFileInfo(dir).absolutePath());
    QDir(dir).removeRecursively();
    if (::mkdir(QFile::encodeName(dir).constData(), 0700) != 0)
        throw Error(QStringLiteral("cannot create the TLS directory %1 of the connection: %2").arg(dir, QString::fromLocal8Bit(strerror(errno))));
    QFile ca(m_nodes.certificatePath(m_pin->fingerprint));
    if (!ca.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("the pinned certificate of agent %1 is missing (%2): trust the agent again").arg(m_address.text(), ca.fileName()));
    writePemFile(dir + QStringLiteral("/ca-cert.pem"), ca.readAll(), false);
    writePemFile(dir + QStringLiteral("/client-cert.pem"), m_identity->certificate.toPem(), false);
    writePemFile(dir + QStringLiteral("/client-key.pem"), m_identity->key.toPem(), true);
    return dir;
}

QString RemoteDriver::nodeName() const
{
    return m_node.isEmpty() ? m_address.text() : QStringLiteral("%1 (%2)").arg(m_node, m_address.text());
}

void RemoteDriver::removeTlsDirectory(const QString &snapshotId) const
{
    if (!snapshotId.isEmpty())
        QDir(tlsDirectory(snapshotId)).removeRecursively();
}

QCoro::Task<ConnectionInfo> RemoteDriver::initializeConnectionSnapshot(SnapshotHandle snapshot, QString exportId)
{
    AgentClient &agent = client();
    // Made before the call, so that the connection never exists without a directory the
    // cleanup knows.
    const QString dir = makeTlsDirectory(snapshot.providerId);
    const QString path = QStringLiteral("/v1/snapshots/%1/connection").arg(snapshot.providerId);
    const QJsonObject answer = co_await agent.call("POST", path);
    const QJsonObject connection = answer.value(QStringLiteral("connection")).toObject();
    ConnectionInfo info;
    info.driverVolumeType = connection.value(QStringLiteral("driver_volume_type")).toString();
    info.data = connection.value(QStringLiteral("data")).toObject();
    info.exportId = exportId;
    info.authReference = QStringLiteral("x509:") + dir;
    if (info.driverVolumeType != QLatin1String("nbd"))
        throw Error(QStringLiteral("agent %1 offers a '%2' connection; this console reads 'nbd'").arg(m_address.text(), info.driverVolumeType));
    co_return info;
}

QCoro::Task<std::unique_ptr<BlockSource>> RemoteDriver::openConnectionSource(ConnectionInfo connection)
{
    const QString dir = connection.authReference.mid(connection.authReference.indexOf(QLatin1Char(':')) + 1);
    co_return openLeased<NbdSource, LeasedSource>(connection.data, dir, connection.exportId, QStringLiteral("read"));
}

template<typename Nbd, typename Leased>
std::unique_ptr<Leased> RemoteDriver::openLeased(const QJsonObject &data, const QString &certificatesDir, const QString &exportId,
                                                 const QString &verb)
{
    client();
    NbdConnectionProperties p;
    p.host = data.value(QStringLiteral("host")).toString();
    p.port = quint16(data.value(QStringLiteral("port")).toInt());
    p.exportName = data.value(QStringLiteral("export_name")).toString();
    p.certificatesDir = certificatesDir;
    // The lease is kept from before the first byte until the source or sink is closed.
    auto keeper = std::make_unique<LeaseKeeper>(m_address, *m_identity, m_pin->fingerprint, exportId, m_leaseSeconds);
    keeper->start();
    const QString node = nodeName();
    std::unique_ptr<Nbd> nbd;
    try {
        nbd = std::make_unique<Nbd>(p);
    } catch (const Error &e) {
        keeper->stop();
        throw Error(QStringLiteral("cannot %1 the export of storage node %2: %3").arg(verb, node, e.message()), e.kind());
    }
    return std::make_unique<Leased>(std::move(nbd), std::move(keeper), node, exportId);
}

QCoro::Task<void> RemoteDriver::terminateConnectionSnapshot(SnapshotHandle snapshot, ConnectionInfo)
{
    const QString path = QStringLiteral("/v1/snapshots/%1/connection").arg(snapshot.providerId);
    co_await client().call("DELETE", path);
    removeTlsDirectory(snapshot.providerId);
}

QCoro::Task<void> RemoteDriver::removeExportSnapshot(SnapshotHandle snapshot)
{
    const QString path = QStringLiteral("/v1/snapshots/%1/export").arg(snapshot.providerId);
    co_await client().call("DELETE", path);
}

QCoro::Task<QList<TemporaryObject>> RemoteDriver::listTemporaries()
{
    co_return QList<TemporaryObject>();
}

QCoro::Task<void> RemoteDriver::removeTemporary(TemporaryObject object)
{
    if (object.kind != TemporaryObject::Kind::Snapshot)
        co_return; // this driver never makes temporary volumes
    QString snapshot = snapshotId(object.name, object.providerId);
    if (snapshot.isEmpty() && m_pendingOperations.contains(object.name))
        snapshot = kOperationPrefix + m_pendingOperations.value(object.name);
    if (snapshot.startsWith(kOperationPrefix)) {
        // Cancelled or killed while the node was still making it: what did the operation make?
        const QString operationId = snapshot.mid(kOperationPrefix.size());
        snapshot = co_await snapshotOfOperation(operationId);
        m_pendingOperations.remove(object.name);
        if (snapshot.isEmpty()) {
            m_snapshotIds.remove(object.name);
            m_copyConsistency.remove(object.name);
            co_return; // it made nothing
        }
    }
    if (snapshot.isEmpty())
        throw Error(QStringLiteral("the id of temporary snapshot %1 on agent %2 is not known; the agent removes it when its "
                                   "lease ends").arg(object.name, m_address.text()));
    removeTlsDirectory(snapshot);
    try {
        // Tears down its connection and export first (API.md).
        const QString path = QStringLiteral("/v1/snapshots/") + snapshot;
        const QJsonObject noBody;
        co_await client().runOperation("DELETE", path, noBody, {}, false);
    } catch (const Error &e) {
        if (e.kind() != ErrorKind::NotFound)
            throw; // already reaped: removed
    }
    m_snapshotIds.remove(object.name);
    m_copyConsistency.remove(object.name);
}

} // namespace ndb
