#pragma once
// The jobs and job_events tables: history and the per-job event log.
#include "model/job.h"

#include <QDateTime>
#include <QList>
#include <optional>

namespace ndb {

class Catalog;
struct HistoryFilter;

class JobStore
{
public:
    explicit JobStore(Catalog &catalog) : m_catalog(catalog) {}

    qint64 create(const Job &job); // returns the new id; stamps worker
    std::optional<Job> find(qint64 id) const;
    QList<Job> list(const HistoryFilter &filter) const;
    QList<Job> running() const;

    void markStarted(qint64 id);
    void setPhase(qint64 id, const QString &phase);
    void setProgress(qint64 id, qint64 bytesDone, qint64 bytesTotal, qint64 bytesStored);
    void setSubject(qint64 id, const QString &backupId, const QString &volumeId);
    void finish(qint64 id, const QString &status, const QString &error);
    QString workerOf(qint64 id) const;
    // The file a restore writes before renaming it onto its target (empty = none left).
    void setPartialFile(qint64 id, const QString &path);
    // (job id, partial file, worker) of every job that still records a partial file.
    struct PartialFile { qint64 jobId; QString path; QString worker; };
    QList<PartialFile> partialFiles() const;
    // What a restore's volume sink set up on the storage (driver, volume, the driver's state as
    // JSON); empty = nothing left to end.
    void setVolumeSink(qint64 id, const QString &state);
    struct VolumeSink { qint64 jobId; QString state; QString worker; };
    QList<VolumeSink> volumeSinks() const;

    // `time` invalid = now.
    void addEvent(qint64 jobId, const QString &phase, const QString &level, const QString &message, qint64 bytesDone,
                  const QDateTime &time = {});
    QList<JobEvent> events(qint64 jobId) const;

private:
    Catalog &m_catalog;
};

} // namespace ndb
