#include "agentnode.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpServer>
#include <QThread>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <sys/inotify.h>
#include <unistd.h>

namespace ndbtest {

bool portFree(const QHostAddress &address, quint16 port)
{
    QTcpServer probe;
    return probe.listen(address, port);
}

bool processAlive(qint64 pid)
{
    if (pid <= 0 || ::kill(pid_t(pid), 0) != 0)
        return false;
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray s = stat.readAll();
    return s.mid(s.lastIndexOf(')') + 2, 1) != "Z";
}

AgentNode::~AgentNode()
{
    stop();
}

bool AgentNode::configure(const QString &dir, const QString &addr, const QString &node, const QStringList &pools,
                          int leaseSeconds, int seed, QString *why)
{
    address = addr;
    nodeName = node;
    const QHostAddress host(address);
    apiPort = 0;
    for (quint16 p = quint16(20000 + (::getpid() % 2000) * 20 + seed * 10); p < 65000 && !apiPort; p += 7)
        if (portFree(host, p) && portFree(host, p + 1) && portFree(host, p + 2) && portFree(host, p + 3) && portFree(host, p + 4))
            apiPort = p;
    if (!apiPort) {
        *why = QStringLiteral("no free ports on %1").arg(address);
        return false;
    }
    exportFirst = apiPort + 1;
    stateDir = QDir(dir).filePath(QStringLiteral("%1-state").arg(node));
    configFile = QDir(dir).filePath(QStringLiteral("%1.conf").arg(node));
    QFile conf(configFile);
    if (!conf.open(QIODevice::WriteOnly)) {
        *why = conf.errorString();
        return false;
    }
    conf.write(QStringLiteral("image_pools = %1\nstate_dir = %2\nlisten = %3:%4\nexport_ports = %5-%6\nlease_seconds = %7\nnode_name = %8\n")
                   .arg(pools.join(QStringLiteral(", ")), stateDir, address)
                   .arg(apiPort)
                   .arg(exportFirst)
                   .arg(exportFirst + 3)
                   .arg(leaseSeconds)
                   .arg(node)
                   .toUtf8());
    return true;
}

bool AgentNode::start(QString *why)
{
    process = std::make_unique<QProcess>();
    process->setProcessChannelMode(QProcess::SeparateChannels);
    const QStringList args{QStringLiteral("run"), QStringLiteral("--config"), configFile};
    if (launcher.isEmpty())
        process->start(agentExecutable(), args);
    else
        process->start(launcher.first(), launcher.mid(1) + QStringList{agentExecutable()} + args);
    if (!process->waitForStarted(10000)) {
        *why = process->errorString();
        return false;
    }
    QByteArray out;
    QElapsedTimer timer;
    timer.start();
    while (!out.contains("listening on") && timer.elapsed() < 30000 && process->state() == QProcess::Running) {
        process->waitForReadyRead(200);
        out += process->readAllStandardOutput();
    }
    if (!out.contains("listening on")) {
        *why = QString::fromUtf8(out + process->readAllStandardError());
        return false;
    }
    const qsizetype at = out.indexOf("fingerprint ");
    fingerprint = QString::fromLatin1(out.mid(at + 12).trimmed().split('\n').first().trimmed());
    return true;
}

QByteArray AgentNode::stop()
{
    if (!process)
        return {};
    if (process->state() == QProcess::Running) {
        process->terminate();
        if (!process->waitForFinished(30000))
            process->kill();
        process->waitForFinished(5000);
    }
    const QByteArray err = process->readAllStandardError();
    process.reset();
    return err;
}

void AgentNode::kill()
{
    if (!process)
        return;
    process->kill();
    process->waitForFinished(10000);
    process.reset();
}

int AgentNode::command(const QStringList &args, QString *out) const
{
    QProcess p;
    p.start(agentExecutable(), QStringList{QStringLiteral("--config"), configFile} + args);
    if (!p.waitForFinished(30000)) {
        p.kill();
        p.waitForFinished();
        return -1;
    }
    if (out)
        *out = QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError());
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

QStringList consoleArgs(const QString &consoleConfig, const QList<const AgentNode *> &agents)
{
    QStringList args{QStringLiteral("--config"), consoleConfig};
    for (const AgentNode *agent : agents)
        args << QStringLiteral("--agent") << agent->addressText();
    return args;
}

std::unique_ptr<QProcess> startCtlProcess(const CtlFixture &ctl, const QStringList &args)
{
    auto p = std::make_unique<QProcess>();
    p->setProcessEnvironment(ctl.environment());
    p->start(ctlPath(), ctl.globalArgs() + args);
    return p;
}

QString consoleVolumeId(const CtlFixture &ctl, const QStringList &args, const QString &host, const QString &name)
{
    const CtlRun r = ctl.run(args + QStringList{QStringLiteral("--json"), QStringLiteral("volumes")});
    for (const QJsonValue v : QJsonDocument::fromJson(r.out.toUtf8()).array())
        if (v.toObject().value(QStringLiteral("host")).toString() == host && v.toObject().value(QStringLiteral("name")).toString() == name)
            return v.toObject().value(QStringLiteral("id")).toString();
    qWarning("volumes: %s %s", qPrintable(r.out), qPrintable(r.err));
    return {};
}

QStringList agentExports(const AgentNode &node)
{
    return QDir(node.stateDir + QStringLiteral("/exports")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
}

bool waitForAgentExport(const AgentNode &node, int timeoutMs)
{
    return waitFor([&] { return !agentExports(node).isEmpty(); }, timeoutMs);
}

CreatedFiles::CreatedFiles(const QString &directory)
{
    m_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (m_fd >= 0 && ::inotify_add_watch(m_fd, QFile::encodeName(directory).constData(), IN_CREATE) < 0) {
        ::close(m_fd);
        m_fd = -1;
    }
    if (m_fd < 0)
        m_error = QStringLiteral("cannot watch %1 with inotify: %2").arg(directory, QString::fromLocal8Bit(std::strerror(errno)));
}

CreatedFiles::~CreatedFiles()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

QStringList CreatedFiles::take()
{
    QStringList created;
    alignas(struct inotify_event) char buffer[64 * 1024];
    ssize_t n = 0;
    while (m_fd >= 0 && (n = ::read(m_fd, buffer, sizeof buffer)) > 0) {
        for (ssize_t at = 0; at < n;) {
            const auto *event = reinterpret_cast<const struct inotify_event *>(buffer + at);
            if (event->len > 0)
                created << QString::fromLocal8Bit(event->name);
            at += ssize_t(sizeof(struct inotify_event)) + event->len;
        }
    }
    return created;
}

} // namespace ndbtest
