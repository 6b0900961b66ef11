#pragma once
// A real nbdkit on 127.0.0.1 for tests and the benchmark: the file plugin over an image, TLS
// with X.509 and peer verification when given a certificates directory, optional filters.
// Killed by the destructor.
#include <QString>
#include <QStringList>

#include <sys/types.h>

namespace ndbtest {

struct NbdkitOptions
{
    QString image;
    bool readOnly = true;
    QString tlsDir;       // server-cert.pem, server-key.pem, ca-cert.pem; empty: no TLS at all
    QStringList filters;  // e.g. {"log", "delay"}: passed as --filter=NAME in this order
    QStringList params;   // key=value after the plugin's file=, for plugin and filters
};

class NbdkitServer
{
public:
    NbdkitServer() = default;
    ~NbdkitServer();
    NbdkitServer(const NbdkitServer &) = delete;
    NbdkitServer &operator=(const NbdkitServer &) = delete;

    // Starts nbdkit on a free port and waits until it listens. Throws ndb::Error (with nbdkit's
    // own output) when it does not come up.
    void start(const NbdkitOptions &options, const QString &workDir);
    quint16 port() const { return m_port; }
    pid_t pid() const { return m_pid; }
    void signal(int sig) const;
    // SIGTERM and wait (filters such as log write their last lines at exit).
    void stop();

private:
    pid_t m_pid = -1;
    quint16 m_port = 0;
};

// Bytes the server read for clients, from a `--filter=log logfile=FILE` log (sum of Read counts).
qint64 bytesReadInLog(const QString &logFile);

} // namespace ndbtest
