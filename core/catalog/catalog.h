#pragma once
// The catalog database (Qt Sql). One Catalog object = one connection, owned by one thread:
// QSqlDatabase connections must not cross threads, so every job thread opens its own.
// SQLite in WAL mode with a busy timeout, so the GUI, the CLI and agents can share the file.
#include <QSqlDatabase>
#include <QVariant>
#include <QVariantList>
#include <QString>
#include <QVariant>

#include <functional>

class QSqlQuery;

namespace ndb {

class Catalog
{
public:
    // Opens the SQLite catalog at `path` (creating its directory), applies pending migrations.
    // `migrateUpTo` stops at an earlier schema version: only the migration tests use it, to make
    // a catalog as an older release left it.
    explicit Catalog(const QString &path, int migrateUpTo = -1);
    ~Catalog();
    Catalog(const Catalog &) = delete;
    Catalog &operator=(const Catalog &) = delete;

    QString path() const { return m_path; }
    QSqlDatabase database() const;
    int schemaVersion() const;
    static int latestSchemaVersion();

    // Runs `work` in one transaction; rolls back and rethrows when it throws.
    void transaction(const std::function<void()> &work);

    // Prepares and executes; throws ndb::Error with the driver's message on failure.
    QSqlQuery exec(const QString &sql, const QVariantList &bindings = {}) const;

private:
    void migrate(int target);

    QString m_path;
    QString m_connectionName;
};

// Identity of the running process, recorded on rows it works on, so that a restart (or another
// front end) can tell a live operation from one whose process died.
QString currentWorkerId();
bool workerIsAlive(const QString &workerId);
// Start time of process `pid` (/proc/<pid>/stat field 22); empty when there is none. With the pid
// it identifies a process across pid reuse.
QString processStartTime(qint64 pid);

} // namespace ndb
