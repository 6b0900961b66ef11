#include "storagenodes.h"

#include "util/error.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

namespace ndb {

namespace {
QString agentsDir(const QString &stateDir) { return QDir(stateDir).filePath(QStringLiteral("agents")); }
QString agentsFile(const QString &stateDir) { return QDir(agentsDir(stateDir)).filePath(QStringLiteral("agents.json")); }
} // namespace

StorageNodes::StorageNodes(QString stateDirectory) : m_dir(std::move(stateDirectory)) {}

QString StorageNodes::stateDirFor(const QString &catalogPath)
{
    return QFileInfo(catalogPath).absolutePath();
}

TlsIdentity StorageNodes::identity() const
{
    return TlsIdentity::loadOrCreate(QDir(m_dir).filePath(QStringLiteral("identity")),
                                     QStringLiteral("ndbackup console %1").arg(QHostInfo::localHostName()));
}

QList<PinnedAgent> StorageNodes::pinned() const
{
    QFile f(agentsFile(m_dir));
    if (!f.exists())
        return {};
    if (!f.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("cannot read the pinned agents %1: %2").arg(f.fileName(), f.errorString()));
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &error);
    if (!doc.isObject())
        throw CorruptDataError(QStringLiteral("the pinned agents %1 are not readable JSON (%2): restore the file or remove it "
                                              "and trust the agents again").arg(f.fileName(), error.errorString()));
    QList<PinnedAgent> out;
    for (const QJsonValue v : doc.object().value(QStringLiteral("agents")).toArray()) {
        const QJsonObject o = v.toObject();
        PinnedAgent a;
        a.address.host = o.value(QStringLiteral("host")).toString();
        a.address.port = quint16(o.value(QStringLiteral("port")).toInt(kDefaultAgentPort));
        a.fingerprint = o.value(QStringLiteral("fingerprint")).toString();
        a.node = o.value(QStringLiteral("node")).toString();
        a.label = o.value(QStringLiteral("label")).toString();
        out << a;
    }
    return out;
}

std::optional<PinnedAgent> StorageNodes::find(const AgentAddress &address) const
{
    for (const PinnedAgent &a : pinned())
        if (a.address == address)
            return a;
    return std::nullopt;
}

QString StorageNodes::certificatePath(const QString &fingerprint) const
{
    return QDir(agentsDir(m_dir)).filePath(fingerprint.section(QLatin1Char(':'), 1) + QStringLiteral(".pem"));
}

void StorageNodes::save(const QList<PinnedAgent> &agents) const
{
    QJsonArray array;
    for (const PinnedAgent &a : agents)
        array << QJsonObject{{QStringLiteral("host"), a.address.host}, {QStringLiteral("port"), a.address.port},
                             {QStringLiteral("fingerprint"), a.fingerprint}, {QStringLiteral("node"), a.node},
                             {QStringLiteral("label"), a.label}};
    QDir().mkpath(agentsDir(m_dir));
    QSaveFile f(agentsFile(m_dir));
    if (!f.open(QIODevice::WriteOnly) || f.write(QJsonDocument(QJsonObject{{QStringLiteral("agents"), array}}).toJson()) < 0
        || !f.commit())
        throw Error(QStringLiteral("cannot write the pinned agents %1: %2").arg(f.fileName(), f.errorString()));
}

void StorageNodes::pin(PinnedAgent agent, const QSslCertificate &certificate)
{
    agent.fingerprint = certificateFingerprint(certificate);
    QList<PinnedAgent> agents = pinned();
    QList<PinnedAgent> kept;
    for (const PinnedAgent &a : agents)
        if (!(a.address == agent.address))
            kept << a;
    kept << agent;
    QDir().mkpath(agentsDir(m_dir));
    writePemFile(certificatePath(agent.fingerprint), certificate.toPem(), false);
    save(kept);
}

void StorageNodes::setNodeName(const AgentAddress &address, const QString &node)
{
    QList<PinnedAgent> agents = pinned();
    bool changed = false;
    for (PinnedAgent &a : agents)
        if (a.address == address && a.node != node) {
            a.node = node;
            changed = true;
        }
    if (changed)
        save(agents);
}

bool StorageNodes::forget(const AgentAddress &address)
{
    QList<PinnedAgent> agents = pinned();
    QList<PinnedAgent> kept;
    QString fingerprint;
    for (const PinnedAgent &a : agents)
        if (a.address == address)
            fingerprint = a.fingerprint;
        else
            kept << a;
    if (fingerprint.isEmpty())
        return false;
    save(kept);
    bool stillUsed = false;
    for (const PinnedAgent &a : kept)
        stillUsed = stillUsed || a.fingerprint == fingerprint;
    if (!stillUsed)
        QFile::remove(certificatePath(fingerprint));
    return true;
}

QCoro::Task<QSslCertificate> StorageNodes::probe(AgentAddress address) const
{
    AgentClient client(address, identity(), QString(), 10000);
    co_return co_await client.probeCertificate();
}

QCoro::Task<QList<AgentState>> StorageNodes::states()
{
    QList<AgentState> out;
    const TlsIdentity console = identity();
    for (const PinnedAgent &a : pinned()) {
        AgentState s;
        s.agent = a;
        try {
            AgentClient client(a.address, console, a.fingerprint, 10000);
            const QString path = QStringLiteral("/v1/node");
            const QJsonObject node = co_await client.call("GET", path);
            s.online = true;
            s.agent.node = node.value(QStringLiteral("name")).toString();
            setNodeName(a.address, s.agent.node);
        } catch (const Error &e) {
            s.problem = e.message();
        }
        out << s;
    }
    co_return out;
}

} // namespace ndb
