#include "nbdkitserver.h"

#include "util/error.h"

#include <QFile>
#include <QHostAddress>
#include <QRegularExpression>
#include <QTcpServer>
#include <QThread>

#include <csignal>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

namespace ndbtest {

namespace {

quint16 freePort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress(QStringLiteral("127.0.0.1")), 0))
        throw ndb::Error(QStringLiteral("no free TCP port on 127.0.0.1: %1").arg(probe.errorString()));
    return probe.serverPort();
}

} // namespace

NbdkitServer::~NbdkitServer()
{
    if (m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
    }
}

void NbdkitServer::start(const NbdkitOptions &options, const QString &workDir)
{
    // The port is probed free, then handed to nbdkit: another process may take it in between,
    // so a start that fails is tried again on another port.
    QString lastOutput;
    for (int attempt = 0; attempt < 3; ++attempt) {
        const quint16 port = freePort();
        const QString pidFile = workDir + QStringLiteral("/nbdkit-%1.pid").arg(port);
        const QString outFile = workDir + QStringLiteral("/nbdkit-%1.out").arg(port);
        QStringList args{QStringLiteral("nbdkit"), QStringLiteral("-f"), QStringLiteral("--exit-with-parent"),
                         QStringLiteral("-i"), QStringLiteral("127.0.0.1"), QStringLiteral("-p"), QString::number(port),
                         QStringLiteral("--pidfile"), pidFile};
        if (options.readOnly)
            args << QStringLiteral("-r");
        if (!options.tlsDir.isEmpty())
            args << QStringLiteral("--tls=require") << QStringLiteral("--tls-certificates") << options.tlsDir
                 << QStringLiteral("--tls-verify-peer");
        for (const QString &filter : options.filters)
            args << QStringLiteral("--filter=") + filter;
        args << QStringLiteral("file") << QStringLiteral("file=") + options.image << options.params;

        std::vector<QByteArray> bytes;
        for (const QString &a : args)
            bytes.push_back(QFile::encodeName(a));
        std::vector<char *> argv;
        for (QByteArray &b : bytes)
            argv.push_back(b.data());
        argv.push_back(nullptr);
        const QByteArray out = QFile::encodeName(outFile);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, out.constData(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        pid_t pid = -1;
        const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0)
            throw ndb::Error(QStringLiteral("cannot start nbdkit (installed? resources/scripts/install-deps-debian.sh): %1")
                                 .arg(QString::fromLocal8Bit(strerror(rc))));
        for (int waited = 0; waited < 10000; waited += 20) {
            if (QFile::exists(pidFile) && QFile(pidFile).size() > 0) {
                m_pid = pid;
                m_port = port;
                return;
            }
            int status = 0;
            if (::waitpid(pid, &status, WNOHANG) == pid) {
                pid = -1;
                break;
            }
            QThread::msleep(20);
        }
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
        QFile log(outFile);
        log.open(QIODevice::ReadOnly);
        lastOutput = QString::fromLocal8Bit(log.readAll());
    }
    throw ndb::Error(QStringLiteral("nbdkit did not start: %1").arg(lastOutput));
}

void NbdkitServer::signal(int sig) const
{
    if (m_pid > 0)
        ::kill(m_pid, sig);
}

void NbdkitServer::stop()
{
    if (m_pid <= 0)
        return;
    ::kill(m_pid, SIGCONT);
    ::kill(m_pid, SIGTERM);
    ::waitpid(m_pid, nullptr, 0);
    m_pid = -1;
}

qint64 bytesReadInLog(const QString &logFile)
{
    QFile log(logFile);
    if (!log.open(QIODevice::ReadOnly))
        throw ndb::Error(QStringLiteral("cannot read the nbdkit log %1").arg(logFile));
    // "connection=1 Read id=3 offset=0x0 count=0x100000 ..."; only the request lines (" ...").
    static const QRegularExpression read(QStringLiteral(R"(\bRead id=\d+ offset=0x[0-9a-f]+ count=0x([0-9a-f]+) \.\.\.)"));
    qint64 total = 0;
    for (auto it = read.globalMatch(QString::fromLatin1(log.readAll())); it.hasNext();)
        total += it.next().captured(1).toLongLong(nullptr, 16);
    return total;
}

} // namespace ndbtest
