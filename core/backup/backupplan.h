#pragma once
// Which data path a backup of a volume takes now and which consistency that gives: one
// function for the wizard's summary, the refusal of copies that are not point-in-time and the
// backup itself, so that the prediction and what the backup does are the same decision.
#include "model/volume.h"

#include <QCoro/QCoroTask>
#include <QString>

namespace ndb {

class VolumeDriver;

namespace DataPath {
inline const QString Volume = QStringLiteral("volume");          // read the detached volume itself
inline const QString Snapshot = QStringLiteral("snapshot");      // temporary snapshot read locally
inline const QString TempVolume = QStringLiteral("temp-volume"); // temporary clone, attached
inline const QString Export = QStringLiteral("export");          // temporary snapshot exported, read through a connection
} // namespace DataPath

struct BackupPlan
{
    QString dataPath;    // DataPath
    QString consistency; // Consistency (what the driver says its copy would be now)

    bool pointInTime() const;
    // Why a refused copy is refused and what to do, naming the volume (empty when point-in-time).
    QString refusal(const QString &volumeName) const;
};

// `volume` as the storage reports it now (its status decides the path).
QCoro::Task<BackupPlan> planBackup(VolumeDriver &driver, Volume volume);

} // namespace ndb
