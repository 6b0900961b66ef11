#pragma once
// The freezes table: filesystem freezes and device-mapper suspends held by a process right now.
#include "model/freeze.h"

#include <QList>

namespace ndb {

class Catalog;

class FreezeStore : public FreezeJournal
{
public:
    explicit FreezeStore(Catalog &catalog) : m_catalog(catalog) {}

    qint64 add(const FreezeRecord &record) override; // stamps worker (this process) and time
    void setGuard(qint64 id, qint64 guardPid) override;
    void remove(qint64 id) override;
    QList<FreezeRecord> all() const;

private:
    Catalog &m_catalog;
};

} // namespace ndb
