#include "catalog.h"
#include "util/error.h"

#include <algorithm>

#include <QAtomicInteger>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSqlError>
#include <QSqlQuery>
#include <QSysInfo>
#include <QVariant>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/statvfs.h>
#include <unistd.h>

namespace ndb {

namespace {

// Each entry moves the schema one version up; never edit a released entry, append a new one.
const char *const kMigrations[] = {
    // 1: the specification's columns kept verbatim (temp_volume_id, temp_snapshot_id,
    //    previous_status, provider_auth).
    R"SQL(
CREATE TABLE volumes (
    id TEXT PRIMARY KEY,
    driver_id TEXT NOT NULL,
    name TEXT NOT NULL,
    host TEXT NOT NULL DEFAULT '',
    size INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    previous_status TEXT,
    path TEXT,
    uuid TEXT,
    attached_to TEXT,
    provider_id TEXT,
    provider_location TEXT,
    status_worker TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE snapshots (
    id TEXT PRIMARY KEY,
    volume_id TEXT NOT NULL,
    backup_id TEXT,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    provider_id TEXT,
    provider_location TEXT,
    provider_auth TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE TABLE backups (
    id TEXT PRIMARY KEY,
    volume_id TEXT NOT NULL,
    volume_name TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    container TEXT NOT NULL,
    status TEXT NOT NULL,
    fail_reason TEXT,
    size INTEGER NOT NULL DEFAULT 0,
    stored_bytes INTEGER NOT NULL DEFAULT 0,
    temp_volume_id TEXT,
    temp_snapshot_id TEXT,
    parent_id TEXT,
    data_path TEXT,
    worker TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    deleted_at TEXT
);
CREATE INDEX backups_volume ON backups(volume_id);
CREATE INDEX backups_status ON backups(status);
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    phase TEXT,
    backup_id TEXT,
    volume_id TEXT,
    subject TEXT,
    bytes_done INTEGER NOT NULL DEFAULT 0,
    bytes_total INTEGER NOT NULL DEFAULT 0,
    bytes_stored INTEGER NOT NULL DEFAULT 0,
    bandwidth_limit INTEGER NOT NULL DEFAULT 0,
    io_priority TEXT,
    error TEXT,
    worker TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
);
CREATE INDEX jobs_created ON jobs(created_at);
CREATE TABLE job_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id INTEGER NOT NULL REFERENCES jobs(id),
    time TEXT NOT NULL,
    phase TEXT,
    level TEXT NOT NULL,
    message TEXT NOT NULL,
    bytes_done INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX job_events_job ON job_events(job_id);
)SQL",
    // 2: filesystem freezes and device-mapper suspends while they are held, written before
    //    FIFREEZE, so that a start or `cleanup` thaws what a dead process left frozen.
    R"SQL(
CREATE TABLE freezes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    device TEXT,
    worker TEXT NOT NULL,
    guard_pid INTEGER NOT NULL DEFAULT 0,
    started_at TEXT NOT NULL
);
)SQL",
    // 3: the partial file a restore into a file writes, so that cleanup can remove what a
    //    killed restore left (only once the job's worker is dead).
    R"SQL(
ALTER TABLE jobs ADD COLUMN partial_file TEXT;
)SQL",
    // 4: the exports an agent serves (nbdkit giving one console a temporary snapshot) with
    //    their leases, and a lease on the agent's temporary snapshots, so that what an expired
    //    lease or a dead agent left is reaped (server_pid + server_start: never kill a reused pid).
    R"SQL(
CREATE TABLE exports (
    id TEXT PRIMARY KEY,
    snapshot_id TEXT NOT NULL,
    console_fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    host TEXT,
    port INTEGER,
    export_name TEXT,
    tls_dir TEXT,
    server_pid INTEGER NOT NULL DEFAULT 0,
    server_start TEXT,
    worker TEXT NOT NULL,
    lease_expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX exports_snapshot ON exports(snapshot_id);
ALTER TABLE snapshots ADD COLUMN lease_expires_at TEXT;
)SQL",
    // 5: each backup's consistency (what its data path really did), and whether an `error`
    //    backup was cancelled by its user (the status set stays the specification's).
    R"SQL(
ALTER TABLE backups ADD COLUMN consistency TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE backups ADD COLUMN cancelled INTEGER NOT NULL DEFAULT 0;
)SQL",
    // 6: data path 4/5, a temporary snapshot exported through an agent: the export's id
    //    ('requested' before the agent answers) and the connection properties (host, port,
    //    export name; never a secret: provider_auth only names where the credentials are).
    R"SQL(
ALTER TABLE snapshots ADD COLUMN export_id TEXT;
ALTER TABLE snapshots ADD COLUMN connection TEXT;
)SQL",
    // 7: the agent's operations, kept across restarts (one running when the agent died reads
    //    failed); temporary clones beside snapshots (kind 'volume', data path 3 on a node) and
    //    the consistency their driver reports; exports of a volume itself (writable, a restore
    //    target), so exports.snapshot_id becomes optional: the table is rebuilt (SQLite cannot
    //    drop a NOT NULL constraint).
    R"SQL(
CREATE TABLE operations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    result TEXT,
    error_kind TEXT,
    error_message TEXT,
    worker TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
ALTER TABLE snapshots ADD COLUMN kind TEXT NOT NULL DEFAULT 'snapshot';
ALTER TABLE snapshots ADD COLUMN consistency TEXT NOT NULL DEFAULT 'unknown';
CREATE TABLE exports_v7 (
    id TEXT PRIMARY KEY,
    snapshot_id TEXT,
    volume_id TEXT,
    writable INTEGER NOT NULL DEFAULT 0,
    console_fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    host TEXT,
    port INTEGER,
    export_name TEXT,
    tls_dir TEXT,
    server_pid INTEGER NOT NULL DEFAULT 0,
    server_start TEXT,
    worker TEXT NOT NULL,
    lease_expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO exports_v7 (id, snapshot_id, console_fingerprint, status, host, port, export_name, tls_dir, server_pid,
                        server_start, worker, lease_expires_at, created_at, updated_at)
    SELECT id, snapshot_id, console_fingerprint, status, host, port, export_name, tls_dir, server_pid, server_start,
           worker, lease_expires_at, created_at, updated_at FROM exports;
DROP TABLE exports;
ALTER TABLE exports_v7 RENAME TO exports;
CREATE INDEX exports_snapshot ON exports(snapshot_id);
CREATE INDEX exports_volume ON exports(volume_id);
)SQL",
    // 8: what a restore onto a storage node's volume set up there (the driver, the volume, the
    //    agent's export and connection; 'requested' before the agent answers), so that cleanup
    //    ends what a killed restore left exported.
    R"SQL(
ALTER TABLE jobs ADD COLUMN volume_sink TEXT;
)SQL",
};

QAtomicInteger<quint64> s_connectionCounter;

} // namespace

Catalog::Catalog(const QString &path, int migrateUpTo)
    : m_path(QFileInfo(path).absoluteFilePath())
    , m_connectionName(QStringLiteral("ndb-catalog-%1").arg(s_connectionCounter.fetchAndAddRelaxed(1)))
{
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    // SQLite only says "unable to open database file" for these; every command writes the
    // catalog (jobs, statuses) and WAL mode creates -wal/-shm files beside it.
    const QString dir = QFileInfo(m_path).absolutePath();
    if (QFileInfo::exists(m_path) && ::access(QFile::encodeName(m_path).constData(), W_OK) != 0)
        throw InvalidInputError(QStringLiteral("catalog %1 is read-only (%2): ndbackup records every job in it, so it must be "
                                               "writable; fix its permissions or mount, or use another catalog (--catalog)")
                                    .arg(m_path, QString::fromLocal8Bit(strerror(errno))));
    if (QFileInfo(dir).isDir() && ::access(QFile::encodeName(dir).constData(), W_OK) != 0)
        throw InvalidInputError(QStringLiteral("the directory %1 of catalog %2 is read-only (%3): the catalog's journal files "
                                               "are created there; make it writable or use another catalog (--catalog)")
                                    .arg(dir, m_path, QString::fromLocal8Bit(strerror(errno))));
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
    db.setDatabaseName(m_path);
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=30000"));
    if (!db.open())
        throw Error(QStringLiteral("cannot open catalog %1: %2").arg(m_path, db.lastError().text()));
    exec(QStringLiteral("PRAGMA journal_mode=WAL"));
    exec(QStringLiteral("PRAGMA synchronous=NORMAL"));
    exec(QStringLiteral("PRAGMA foreign_keys=ON"));
    migrate(migrateUpTo < 0 ? latestSchemaVersion() : std::min(migrateUpTo, latestSchemaVersion()));
}

Catalog::~Catalog()
{
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
}

QSqlDatabase Catalog::database() const
{
    return QSqlDatabase::database(m_connectionName, false);
}

// SQLite reports a full disk as "disk I/O error" when the journal cannot grow: say what it is
// and what to do. The failed statement's transaction is rolled back, so the catalog is intact.
static Error catalogFailure(const QString &path, const QString &what)
{
    const QString dir = QFileInfo(path).absolutePath();
    struct statvfs st {};
    if (::statvfs(QFile::encodeName(dir).constData(), &st) == 0 && qint64(st.f_bavail) * qint64(st.f_frsize) < (64 << 10))
        return Error(QStringLiteral("catalog %1: %2: the filesystem of the catalog (%3) has no space left; free space there "
                                    "and run the command again (nothing was recorded as done)")
                         .arg(path, what, dir),
                     ErrorKind::Storage);
    return Error(QStringLiteral("catalog %1: %2").arg(path, what));
}

QSqlQuery Catalog::exec(const QString &sql, const QVariantList &bindings) const
{
    QSqlQuery q(database());
    if (!q.prepare(sql))
        throw catalogFailure(m_path, QStringLiteral("cannot prepare query: %1").arg(q.lastError().text()));
    for (const QVariant &v : bindings)
        q.addBindValue(v);
    if (!q.exec())
        throw catalogFailure(m_path, q.lastError().text());
    return q;
}

void Catalog::transaction(const std::function<void()> &work)
{
    // BEGIN IMMEDIATE takes the write lock up front so two processes never both read a status
    // and then both change it.
    exec(QStringLiteral("BEGIN IMMEDIATE"));
    try {
        work();
        exec(QStringLiteral("COMMIT"));
    } catch (...) {
        QSqlQuery(database()).exec(QStringLiteral("ROLLBACK"));
        throw;
    }
}

int Catalog::schemaVersion() const
{
    QSqlQuery q = exec(QStringLiteral("PRAGMA user_version"));
    return q.next() ? q.value(0).toInt() : 0;
}

int Catalog::latestSchemaVersion()
{
    return int(std::size(kMigrations));
}

void Catalog::migrate(int target)
{
    if (schemaVersion() >= target)
        return;
    transaction([&] {
        // Re-read inside the write lock: another process may have migrated meanwhile.
        for (int v = schemaVersion(); v < target; ++v) {
            const QStringList statements = QString::fromUtf8(kMigrations[v]).split(QLatin1Char(';'), Qt::SkipEmptyParts);
            for (const QString &statement : statements)
                if (!statement.trimmed().isEmpty())
                    exec(statement);
            exec(QStringLiteral("PRAGMA user_version = %1").arg(v + 1));
        }
    });
}

QString processStartTime(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray stat = f.readAll();
    // Field 22 (starttime) comes after the parenthesised command name, which may hold spaces.
    const int close = stat.lastIndexOf(')');
    const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
    return fields.size() > 19 ? QString::fromLatin1(fields[19]) : QString();
}

QString currentWorkerId()
{
    static const QString id = QStringLiteral("%1:%2:%3")
                                  .arg(QSysInfo::machineHostName())
                                  .arg(::getpid())
                                  .arg(processStartTime(::getpid()));
    return id;
}

bool workerIsAlive(const QString &workerId)
{
    const QStringList parts = workerId.split(QLatin1Char(':'));
    if (parts.size() != 3)
        return false;
    if (parts[0] != QSysInfo::machineHostName())
        return true; // another node's process: not ours to judge
    const qint64 pid = parts[1].toLongLong();
    return pid > 0 && processStartTime(pid) == parts[2];
}

} // namespace ndb
