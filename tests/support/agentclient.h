#pragma once
// What the agent tier's tests share: an HTTP/1.1 exchange over an encrypted socket (one request,
// one Content-Length framed answer), the agent process started and stopped as a node runs it,
// polling with a deadline, and file checksums.
#include <QByteArray>
#include <QJsonObject>
#include <QProcess>
#include <QString>

#include <functional>

class QSslSocket;

namespace ndbtest {

struct HttpAnswer
{
    int status = 0; // 0: no HTTP answer at all
    QByteArray body;
    QString transportError;
    QJsonObject json() const;
};

// Writes `bytes` (one request) to `socket`, which is encrypted already, and reads the answer.
HttpAnswer exchangeHttp(QSslSocket &socket, const QByteArray &bytes, int timeoutMs = 20000);

// $NDB_BUILD_DIR/app/agent/ndbackup-agent
QString agentExecutable();
// `ndbackup-agent run --config FILE` until it says "listening on"; false with *why otherwise.
// *fingerprint: the one it printed.
bool startAgentProcess(QProcess &agent, const QString &configFile, QString *fingerprint, QString *why);
// SIGTERM (the agent reaps its exports), SIGKILL after 30 s; prints its log.
void stopAgentProcess(QProcess &agent);

// Polls `condition` every 50 ms until it holds (true) or `timeoutMs` passed (false).
bool waitFor(const std::function<bool()> &condition, int timeoutMs);
QByteArray fileMd5(const QString &path); // hex; empty when unreadable

} // namespace ndbtest
