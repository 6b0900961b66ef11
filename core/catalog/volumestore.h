#pragma once
// The volumes table: the inventory as last seen, plus the engine's own statuses
// (backing-up, restoring-backup, error) and previous_status.
#include "model/volume.h"

#include <QList>
#include <optional>

namespace ndb {

class Catalog;

class VolumeStore
{
public:
    explicit VolumeStore(Catalog &catalog) : m_catalog(catalog) {}

    // Records a volume as a driver reports it. The status is taken from the driver unless the
    // catalog holds an engine status owned by a live process, or a sticky `error`.
    Volume upsertFromInventory(const Volume &volume);
    // Marks volumes of `driverId` that the driver no longer reports as gone (deleted from table).
    void removeMissing(const QString &driverId, const QStringList &presentIds);

    std::optional<Volume> find(const QString &id) const;
    QList<Volume> all() const;

    // The one arbiter of a volume between every writer of the catalog (jobs of any engine, an
    // agent's writable export for a console's restore): one conditional transition of the row,
    // previous_status = `current` status reported by the driver, status = `newStatus`, unless
    // another live operation holds the volume; a restore (`restoring-backup`) also waits for the
    // agent's temporary copies of it (a console reading it). Returns false then (holderOf says who).
    bool beginOperation(const Volume &volume, const QString &newStatus);
    // Who holds volume `id` now, as a phrase for a refusal ("a console's restore (...)"); with
    // `readersToo` also a console's temporary copy. Empty when nobody does.
    QString holderOf(const QString &id, bool readersToo = false) const;
    // status = previous_status (the spec's rule for success and failure).
    void restorePreviousStatus(const QString &id);
    void setStatus(const QString &id, const QString &status);
    // An administrator's reset (e.g. of a sticky `error`): status = `status`, previous_status
    // cleared, in one transaction. Returns false while a live operation holds the volume.
    bool resetStatus(const QString &id, const QString &status);

private:
    Catalog &m_catalog;
};

} // namespace ndb
