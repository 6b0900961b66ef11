#pragma once
#include <QDateTime>
#include <QMetaType>
#include <QString>

namespace ndb {

// Progress in the KJob shape: phase, processed/total amount, speed, ETA, an info message.
struct Progress
{
    QString phase;
    qint64 bytesDone = 0;
    qint64 bytesTotal = 0;
    qint64 bytesStored = 0;     // bytes written to the repository so far
    double bytesPerSecond = 0;  // smoothed
    qint64 etaSeconds = -1;     // -1 when unknown
    QString message;

    int percent() const { return bytesTotal > 0 ? int(bytesDone * 100 / bytesTotal) : 0; }
};

struct Job
{
    qint64 id = 0;
    QString kind; // backup, restore, verify, delete, gc, cleanup
    QString backupId;
    QString volumeId;
    QString status; // JobStatus
    QString phase;
    qint64 bytesDone = 0;
    qint64 bytesTotal = 0;
    qint64 bandwidthLimit = 0; // bytes per second, 0 = unlimited
    QString ioPriority;        // "idle", "best-effort", ...
    QString error;
    QDateTime createdAt;
    QDateTime startedAt;
    QDateTime finishedAt;
};

struct JobEvent
{
    qint64 id = 0;
    qint64 jobId = 0;
    QDateTime time;
    QString phase;
    QString level; // info, warning, error, command
    QString message;
    qint64 bytesDone = 0;
};

struct HistoryFilter
{
    QString volumeId;  // empty = all
    QString status;    // JobStatus or empty
    QString kind;      // job kind or empty
    QDateTime from;    // invalid = open
    QDateTime to;
    int limit = 1000;
};

} // namespace ndb
Q_DECLARE_METATYPE(ndb::Progress)
Q_DECLARE_METATYPE(ndb::Job)
