#pragma once
// ndb-test-faultfs (tests/support/faultfs/main.c) for a test: a real directory seen through a
// FUSE mount that fails reads or writes on cue. Unmounted and stopped by the destructor.
#include <QProcess>
#include <QString>
#include <QStringList>

namespace ndbtest {

// $NDB_BUILD_DIR/tests/ndb-test-faultfs; empty when it is not built.
QString faultFsExecutable();

class FaultFs
{
public:
    // Mounts `root` at `mountPoint` with the program's fault options (see main.c), with a cue
    // file of its own: faults start disarmed. Throws ndb::Error when it cannot mount.
    FaultFs(const QString &root, const QString &mountPoint, const QStringList &faultOptions);
    ~FaultFs();
    FaultFs(const FaultFs &) = delete;
    FaultFs &operator=(const FaultFs &) = delete;

    QString mountPoint() const { return m_mountPoint; }
    // Faults on or off; `readFrom` >= 0 replaces --read-eio's offset while armed.
    void arm(bool on, qint64 readFrom = -1);
    // Faults injected so far (from the program's log).
    int injected() const;
    QString log() const;

private:
    QString m_mountPoint;
    QString m_cue;
    QProcess m_process;
    QString m_logFile;
};

} // namespace ndbtest
