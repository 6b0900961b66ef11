// Device-mapper snapshot status lines (dm::parseSnapshotStatus), as the kernel prints them.
#include "fuzzsupport.h"

#include "volumes/lvm/devmapper.h"

using namespace ndb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const dm::SnapshotStatus s = dm::parseSnapshotStatus(QString::fromUtf8(fuzz::bytes(data, size)));
    (void)s.usedPercent();
    return 0;
}
