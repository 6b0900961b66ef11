#pragma once
// Where the agent's storage calls run (snapshot, clone, volume creation, deletion): one worker
// thread, off the event loop, so that the API answers while a slow storage call runs. Each task
// opens its own catalog connection on that thread (a QSqlDatabase connection must not cross
// threads); the drivers are the worker's own, made by its first task and kept (making them probes
// the storage); each task records its outcome in the operations table. Tasks run one at a time, in
// the order they were queued: a retried request finds what the first one made.
#include "agentconfig.h"
#include "net/identity.h"

#include <QJsonObject>
#include <QThreadPool>

#include <atomic>
#include <functional>
#include <memory>

namespace ndb {

class Catalog;
class DriverSet;
class ExportManager;

class StorageWorker
{
public:
    StorageWorker(const AgentConfig &config, const TlsIdentity &identity);
    ~StorageWorker(); // waits for the task that runs and the queued ones

    // Runs `work` on the worker; its result (or its error) completes operation `operationId`.
    void run(const QString &operationId, std::function<QJsonObject(ExportManager &)> work);
    // Runs `work` on the worker with no operation (the reaper); errors are logged.
    void post(std::function<void(ExportManager &)> work);
    void waitForDone() { m_pool.waitForDone(); }
    // Shutdown has begun (SIGTERM): tasks still queued are dropped, their operations recorded
    // failed (interrupted); the one that runs finishes. Then waitForDone() and the reap.
    void beginShutdown() { m_shuttingDown = true; }

private:
    // `dropped` runs instead of `body` when shutdown began before the task's turn came.
    void start(std::function<void(ExportManager &)> body, std::function<void(Catalog &)> dropped = {});

    AgentConfig m_config;
    TlsIdentity m_identity;
    QThreadPool m_pool;
    std::unique_ptr<DriverSet> m_drivers; // only ever used on the worker's thread
    std::atomic_bool m_shuttingDown{false};
};

} // namespace ndb
