#pragma once
#include <QDateTime>
#include <QMetaType>
#include <QString>

namespace ndb {

// A volume as a driver reports it, merged with what the catalog knows.
struct Volume
{
    QString id;         // "<driver id>/<name>", stable across runs
    QString driverId;   // e.g. "image:/srv/pool" or "lvm:vg0"
    QString name;       // name inside the driver (image file name without .img, LV name)
    QString host;       // node the volume lives on
    qint64 size = 0;    // bytes
    QString status;     // VolumeStatus
    QString previousStatus;
    QString path;       // local path to read when available (image file, /dev/vg/lv)
    QString uuid;       // LV UUID where the storage has one
    QString attachedTo; // e.g. "/dev/loop3" or "open by pid 1234"; empty when available
};

} // namespace ndb
Q_DECLARE_METATYPE(ndb::Volume)
