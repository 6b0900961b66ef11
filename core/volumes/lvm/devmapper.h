#pragma once
// Thin wrapper over libdevmapper for the two questions lvm2's report cannot answer reliably:
// is a device held open (DM_DEVICE_INFO open count), and is a snapshot still sound
// (DM_DEVICE_STATUS of its snapshot / thin target). All calls are serialised: libdevmapper
// keeps one global control descriptor.
#include <QList>
#include <QString>

namespace ndb::dm {

// Whether /dev/mapper/control can be used at all (false on kernels without device-mapper).
bool available();

// The device-mapper name lvm2 gives VG/LV: each '-' in the parts doubled, joined by '-'.
QString deviceName(const QString &vg, const QString &lv);

struct DeviceInfo
{
    bool exists = false;
    bool suspended = false;
    int openCount = 0;
    int major = 0;
    int minor = 0;
};
// Throws ndb::Error when device-mapper cannot be asked; a missing device is exists == false.
DeviceInfo deviceInfo(const QString &dmName);

// Resumes a suspended device with the table it has live (the inactive table a dead lvm loaded is
// dropped first: DM_DEVICE_CLEAR, then DM_DEVICE_RESUME), which also thaws a filesystem that
// device-mapper froze for the suspend. Throws ndb::Error on failure.
void resumeDevice(const QString &dmName);

struct Target
{
    qint64 start = 0;  // sectors
    qint64 length = 0; // sectors
    QString type;      // "snapshot", "thin", "linear", "snapshot-origin" ...
    QString params;    // the target's status line
};
// Status lines of every target of the device; empty when the device does not exist.
QList<Target> deviceStatus(const QString &dmName);

// A "snapshot" target's status: "<used>/<total> <metadata>" in sectors, or one of the words
// the kernel uses once the copy-on-write store is unusable.
struct SnapshotStatus
{
    enum class State { Valid, Invalid, Overflow, MergeFailed, Unknown };
    State state = State::Unknown;
    qint64 usedSectors = 0;
    qint64 totalSectors = 0;
    qint64 metadataSectors = 0;
    double usedPercent() const { return totalSectors > 0 ? 100.0 * usedSectors / totalSectors : 0.0; }
};
SnapshotStatus parseSnapshotStatus(const QString &params);

} // namespace ndb::dm
