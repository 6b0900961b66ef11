#pragma once
// The agent tier's shared fixture: an ndbackup-agent process on a loopback address with its own
// state directory, configuration and ports, and the small waits its tests need.
#include "support/agentclient.h" // agentExecutable, waitFor, fileMd5
#include "support/ctlrunner.h"

#include <QHostAddress>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>

namespace ndbtest {

bool portFree(const QHostAddress &address, quint16 port);
// Alive and not a zombie.
bool processAlive(qint64 pid);

class AgentNode
{
public:
    QString address;       // 127.0.0.x
    QString nodeName;
    quint16 apiPort = 0;
    quint16 exportFirst = 0;
    QString stateDir;
    QString configFile;
    QString fingerprint;   // as the running agent printed it
    std::unique_ptr<QProcess> process;
    QStringList launcher;  // run through this (e.g. nsenter --net=…) when not empty

    ~AgentNode();
    // Writes the agent's configuration under `dir` (state directory, free ports from `seed`).
    bool configure(const QString &dir, const QString &address, const QString &nodeName, const QStringList &pools,
                   int leaseSeconds, int seed, QString *why);
    // Starts `ndbackup-agent run` and waits until it listens.
    bool start(QString *why);
    // SIGTERM (the agent reaps what it exported), then waits; returns the agent's log.
    QByteArray stop();
    // SIGKILL: nothing is cleaned up by the agent itself.
    void kill();
    // `ndbackup-agent --config <configFile> ARGS`: exit code (-1 when it did not end), output.
    int command(const QStringList &args, QString *out = nullptr) const;
    QString addressText() const { return QStringLiteral("%1:%2").arg(address).arg(apiPort); }
};

// A console's arguments for these agents: --config CONFIG and --agent for each.
QStringList consoleArgs(const QString &consoleConfig, const QList<const AgentNode *> &agents);
// ndbackupctl started (not waited for) with the fixture's globals and environment and `args`.
std::unique_ptr<QProcess> startCtlProcess(const CtlFixture &ctl, const QStringList &args);
// The console's id of volume `name` on storage node `host` as `ndbackupctl ARGS --json volumes`
// lists it; empty (and the listing logged) when there is none.
QString consoleVolumeId(const CtlFixture &ctl, const QStringList &args, const QString &host, const QString &name);
// Waits until the agent serves an export (its exports/ directory holds one).
bool waitForAgentExport(const AgentNode &node, int timeoutMs);
// The agent's export directories (empty: nothing exported).
QStringList agentExports(const AgentNode &node);

// Every file created in a directory while the watch runs (inotify, so a file created and removed
// between two looks is seen too): what an agent wrote to a pool behind the test's back.
class CreatedFiles
{
public:
    explicit CreatedFiles(const QString &directory); // ok() false, error() why, when it cannot watch
    ~CreatedFiles();
    CreatedFiles(const CreatedFiles &) = delete;
    CreatedFiles &operator=(const CreatedFiles &) = delete;
    bool ok() const { return m_fd >= 0; }
    QString error() const { return m_error; }
    // The names created since the watch began (or since the last call), in order.
    QStringList take();

private:
    int m_fd = -1;
    QString m_error;
};

} // namespace ndbtest
