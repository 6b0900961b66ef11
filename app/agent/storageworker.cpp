#include "storageworker.h"
#include "catalog/catalog.h"
#include "exportmanager.h"
#include "operations.h"
#include "util/error.h"
#include "volumes/driverset.h"

#include <QDebug>

namespace ndb {

StorageWorker::StorageWorker(const AgentConfig &config, const TlsIdentity &identity)
    : m_config(config), m_identity(identity)
{
    m_pool.setMaxThreadCount(1);
    m_pool.setExpiryTimeout(-1); // one thread for the agent's life: the drivers stay on it
}

StorageWorker::~StorageWorker()
{
    m_pool.waitForDone();
    m_drivers.reset();
}

void StorageWorker::start(std::function<void(ExportManager &)> body, std::function<void(Catalog &)> dropped)
{
    m_pool.start([this, body = std::move(body), dropped = std::move(dropped)] {
        try {
            Catalog catalog(m_config.catalogPath());
            if (m_shuttingDown) {
                if (dropped)
                    dropped(catalog);
                return;
            }
            // Made once: a driver probes its storage when made (an image pool's reflink probe
            // writes two files), which must not happen at every tick of the reaper.
            if (!m_drivers)
                m_drivers = std::make_unique<DriverSet>(m_config.drivers);
            ExportManager exports(m_config, catalog, *m_drivers, m_identity);
            body(exports);
        } catch (const std::exception &e) {
            qWarning().noquote() << QStringLiteral("storage worker: %1").arg(QString::fromUtf8(e.what()));
        }
    });
}

void StorageWorker::run(const QString &operationId, std::function<QJsonObject(ExportManager &)> work)
{
    start(
        [operationId, work = std::move(work)](ExportManager &exports) {
            OperationStore operations(exports.catalog());
            try {
                operations.succeed(operationId, work(exports));
            } catch (const Error &e) {
                operations.fail(operationId, e.kind(), e.message());
            } catch (const std::exception &e) {
                operations.fail(operationId, ErrorKind::Failed, QString::fromUtf8(e.what()));
            }
        },
        [operationId](Catalog &catalog) {
            OperationStore(catalog).fail(operationId, ErrorKind::Failed,
                                         QStringLiteral("interrupted: the agent was stopping before this operation's turn "
                                                        "came, so nothing was done; start it again once the agent is back"));
        });
}

void StorageWorker::post(std::function<void(ExportManager &)> work)
{
    start(std::move(work));
}

} // namespace ndb
