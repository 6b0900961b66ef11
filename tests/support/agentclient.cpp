#include "support/agentclient.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QSslSocket>
#include <QThread>

namespace ndbtest {

QJsonObject HttpAnswer::json() const
{
    return QJsonDocument::fromJson(body).object();
}

HttpAnswer exchangeHttp(QSslSocket &socket, const QByteArray &bytes, int timeoutMs)
{
    HttpAnswer response;
    socket.write(bytes);
    QByteArray in;
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        const qsizetype end = in.indexOf("\r\n\r\n");
        if (end >= 0) {
            qsizetype length = 0;
            for (const QByteArray &line : in.left(end).split('\n'))
                if (line.toLower().startsWith("content-length:"))
                    length = line.mid(15).trimmed().toLongLong();
            if (in.size() >= end + 4 + length) {
                response.status = in.mid(9, 3).toInt();
                response.body = in.mid(end + 4, length);
                return response;
            }
        }
        if (socket.state() != QAbstractSocket::ConnectedState && socket.bytesAvailable() == 0)
            break;
        if (socket.waitForReadyRead(500))
            in += socket.readAll();
    }
    response.transportError = socket.errorString().isEmpty() ? QStringLiteral("no response") : socket.errorString();
    return response;
}

QString agentExecutable()
{
    return qEnvironmentVariable("NDB_BUILD_DIR") + QStringLiteral("/app/agent/ndbackup-agent");
}

bool startAgentProcess(QProcess &agent, const QString &configFile, QString *fingerprint, QString *why)
{
    agent.setProcessChannelMode(QProcess::SeparateChannels);
    agent.start(agentExecutable(), {QStringLiteral("run"), QStringLiteral("--config"), configFile});
    if (!agent.waitForStarted(10000)) {
        *why = agent.errorString();
        return false;
    }
    QByteArray out;
    QElapsedTimer timer;
    timer.start();
    while (!out.contains("listening on") && timer.elapsed() < 30000 && agent.state() == QProcess::Running) {
        agent.waitForReadyRead(200);
        out += agent.readAllStandardOutput();
    }
    if (!out.contains("listening on")) {
        *why = QString::fromUtf8(out + agent.readAllStandardError());
        return false;
    }
    if (fingerprint)
        *fingerprint = QString::fromLatin1(out.mid(out.indexOf("fingerprint ") + 12).trimmed());
    return true;
}

void stopAgentProcess(QProcess &agent)
{
    if (agent.state() == QProcess::Running) {
        agent.terminate();
        if (!agent.waitForFinished(30000))
            agent.kill();
        agent.waitForFinished(5000);
    }
    const QByteArray err = agent.readAllStandardError();
    if (!err.isEmpty())
        qInfo("agent log:\n%s", err.constData());
}

bool waitFor(const std::function<bool()> &condition, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (!condition()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QThread::msleep(50);
    }
    return true;
}

QByteArray fileMd5(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash hash(QCryptographicHash::Md5);
    hash.addData(&f);
    return hash.result().toHex();
}

} // namespace ndbtest
