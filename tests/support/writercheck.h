#pragma once
// Checkers for ndb-test-writer's workloads: they prove that a copy taken while the writer ran
// is one point in time (raw mode) or holds every file completed before an instant (files mode).
#include <QProcess>
#include <QString>

#include <memory>

namespace ndbtest {

struct WriterCheck
{
    bool ok = false;
    QString message;       // why it failed, or a summary when it passed
    qint64 maxSeq = 0;     // raw: newest write found in the image
    qint64 lastLogged = 0; // raw: newest write in the log
    int checked = 0;       // blocks (raw) or files (files mode) verified
};

// Path of the ndb-test-writer executable ($NDB_BUILD_DIR/tests, else next to the test); empty if missing.
QString writerExecutable();

// Starts the writer (`mode` "--raw" or "--files" on `target`) and waits until it logged
// `minRecords` writes. Returns nullptr and sets `error` when it could not start.
std::unique_ptr<QProcess> startWriter(const QString &mode, const QString &target, const QString &logPath,
                                      int minRecords, QString &error, const QStringList &extra = {});
// SIGTERM and wait: the writer finishes and logs its current write first. False if it failed.
bool stopWriter(QProcess &writer, QString &error);

// Completed writes in the log so far (raw: seq records, files: done records).
int loggedRecords(const QString &logPath);
// Byte size of the log now: the "instant" for checkFiles().
qint64 logPosition(const QString &logPath);
// Highest seq logged so far (raw mode).
qint64 lastLoggedSeq(const QString &logPath);

// Raw mode: `image` (file or device) must be a prefix state of the writes in `logPath`: with k
// the newest seq found, every block equals the last write to it with seq <= k, untouched blocks
// are zero, no block is torn; and k >= minSeq (everything logged before the copy started).
WriterCheck checkRawPrefix(const QString &image, const QString &logPath, qint64 minSeq);

// Files mode: every file whose completion was logged before byte `logPosition` of the log must
// exist under `root` (the restored filesystem's root) with that version's SHA-256 or the
// SHA-256 of a version logged later.
WriterCheck checkFiles(const QString &root, const QString &logPath, qint64 logPosition);

} // namespace ndbtest
