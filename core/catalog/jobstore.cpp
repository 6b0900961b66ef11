#include "jobstore.h"
#include "catalog.h"
#include "sqlvalue.h"
#include "model/job.h"
#include "model/status.h"

#include <QSqlQuery>

namespace ndb {

namespace {
const QString kColumns = QStringLiteral(
    "id, kind, status, phase, backup_id, volume_id, bytes_done, bytes_total, bandwidth_limit, io_priority, error, created_at, started_at, finished_at");

Job readJob(const QSqlQuery &q)
{
    Job j;
    j.id = q.value(0).toLongLong();
    j.kind = q.value(1).toString();
    j.status = q.value(2).toString();
    j.phase = q.value(3).toString();
    j.backupId = q.value(4).toString();
    j.volumeId = q.value(5).toString();
    j.bytesDone = q.value(6).toLongLong();
    j.bytesTotal = q.value(7).toLongLong();
    j.bandwidthLimit = q.value(8).toLongLong();
    j.ioPriority = q.value(9).toString();
    j.error = q.value(10).toString();
    j.createdAt = sql::toTime(q.value(11));
    j.startedAt = sql::toTime(q.value(12));
    j.finishedAt = sql::toTime(q.value(13));
    return j;
}
} // namespace

qint64 JobStore::create(const Job &j)
{
    QSqlQuery q = m_catalog.exec(QStringLiteral("INSERT INTO jobs (kind, status, backup_id, volume_id, bandwidth_limit, io_priority, worker, created_at) VALUES (?,?,?,?,?,?,?,?)"),
                                 {j.kind, JobStatus::Queued, sql::text(j.backupId), sql::text(j.volumeId), j.bandwidthLimit,
                                  sql::text(j.ioPriority), currentWorkerId(), sql::now()});
    return q.lastInsertId().toLongLong();
}

std::optional<Job> JobStore::find(qint64 id) const
{
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT %1 FROM jobs WHERE id = ?").arg(kColumns), {id});
    if (!q.next())
        return std::nullopt;
    return readJob(q);
}

QList<Job> JobStore::list(const HistoryFilter &f) const
{
    QStringList where{QStringLiteral("1=1")};
    QVariantList bind;
    if (!f.volumeId.isEmpty()) { where << QStringLiteral("volume_id = ?"); bind << f.volumeId; }
    if (f.status == JobStatus::Succeeded) {
        // Done is done: "succeeded" also finds the jobs that completed with warnings.
        where << QStringLiteral("status IN (?, ?)");
        bind << JobStatus::Succeeded << JobStatus::SucceededWithWarnings;
    } else if (!f.status.isEmpty()) {
        where << QStringLiteral("status = ?");
        bind << f.status;
    }
    if (!f.kind.isEmpty()) { where << QStringLiteral("kind = ?"); bind << f.kind; }
    if (f.from.isValid()) { where << QStringLiteral("created_at >= ?"); bind << sql::time(f.from); }
    if (f.to.isValid()) { where << QStringLiteral("created_at <= ?"); bind << sql::time(f.to); }
    bind << f.limit;
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT %1 FROM jobs WHERE %2 ORDER BY id DESC LIMIT ?").arg(kColumns, where.join(QLatin1String(" AND "))), bind);
    QList<Job> out;
    while (q.next())
        out << readJob(q);
    return out;
}

QList<Job> JobStore::running() const
{
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT %1 FROM jobs WHERE status IN ('queued','running')").arg(kColumns));
    QList<Job> out;
    while (q.next())
        out << readJob(q);
    return out;
}

QString JobStore::workerOf(qint64 id) const
{
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT worker FROM jobs WHERE id = ?"), {id});
    return q.next() ? q.value(0).toString() : QString();
}

void JobStore::setPartialFile(qint64 id, const QString &path)
{
    m_catalog.exec(QStringLiteral("UPDATE jobs SET partial_file=? WHERE id=?"), {sql::text(path), id});
}

QList<JobStore::PartialFile> JobStore::partialFiles() const
{
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT id, partial_file, worker FROM jobs WHERE partial_file IS NOT NULL"));
    QList<PartialFile> out;
    while (q.next())
        out << PartialFile{q.value(0).toLongLong(), q.value(1).toString(), q.value(2).toString()};
    return out;
}

void JobStore::setVolumeSink(qint64 id, const QString &state)
{
    m_catalog.exec(QStringLiteral("UPDATE jobs SET volume_sink=? WHERE id=?"), {sql::text(state), id});
}

QList<JobStore::VolumeSink> JobStore::volumeSinks() const
{
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT id, volume_sink, worker FROM jobs WHERE volume_sink IS NOT NULL"));
    QList<VolumeSink> out;
    while (q.next())
        out << VolumeSink{q.value(0).toLongLong(), q.value(1).toString(), q.value(2).toString()};
    return out;
}

void JobStore::markStarted(qint64 id)
{
    m_catalog.exec(QStringLiteral("UPDATE jobs SET status=?, started_at=? WHERE id=?"), {JobStatus::Running, sql::now(), id});
}

void JobStore::setPhase(qint64 id, const QString &phase)
{
    m_catalog.exec(QStringLiteral("UPDATE jobs SET phase=? WHERE id=?"), {phase, id});
}

void JobStore::setProgress(qint64 id, qint64 bytesDone, qint64 bytesTotal, qint64 bytesStored)
{
    m_catalog.exec(QStringLiteral("UPDATE jobs SET bytes_done=?, bytes_total=?, bytes_stored=? WHERE id=?"), {bytesDone, bytesTotal, bytesStored, id});
}

void JobStore::setSubject(qint64 id, const QString &backupId, const QString &volumeId)
{
    m_catalog.exec(QStringLiteral("UPDATE jobs SET backup_id=COALESCE(?, backup_id), volume_id=COALESCE(?, volume_id) WHERE id=?"),
                   {sql::text(backupId), sql::text(volumeId), id});
}

void JobStore::finish(qint64 id, const QString &status, const QString &error)
{
    m_catalog.exec(QStringLiteral("UPDATE jobs SET status=?, error=?, finished_at=? WHERE id=?"),
                   {status, error.isEmpty() ? QVariant(QMetaType(QMetaType::QString)) : QVariant(error), sql::now(), id});
}

void JobStore::addEvent(qint64 jobId, const QString &phase, const QString &level, const QString &message, qint64 bytesDone,
                        const QDateTime &time)
{
    m_catalog.exec(QStringLiteral("INSERT INTO job_events (job_id, time, phase, level, message, bytes_done) VALUES (?,?,?,?,?,?)"),
                   {jobId, time.isValid() ? sql::time(time) : QVariant(sql::now()), sql::text(phase), level, message, bytesDone});
}

QList<JobEvent> JobStore::events(qint64 jobId) const
{
    QSqlQuery q = m_catalog.exec(QStringLiteral("SELECT id, job_id, time, phase, level, message, bytes_done FROM job_events WHERE job_id = ? ORDER BY id"), {jobId});
    QList<JobEvent> out;
    while (q.next()) {
        JobEvent e;
        e.id = q.value(0).toLongLong();
        e.jobId = q.value(1).toLongLong();
        e.time = sql::toTime(q.value(2));
        e.phase = q.value(3).toString();
        e.level = q.value(4).toString();
        e.message = q.value(5).toString();
        e.bytesDone = q.value(6).toLongLong();
        out << e;
    }
    return out;
}

} // namespace ndb
