// lvm's JSON report (LvmDriver::parseLvsReport) and the decisions the driver takes on each row.
#include "fuzzsupport.h"

#include "util/error.h"
#include "volumes/lvm/lvmdriver.h"

using namespace ndb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    try {
        for (const LvInfo &lv : LvmDriver::parseLvsReport(fuzz::bytes(data, size))) {
            (void)lv.isThin();
            (void)lv.isActive();
            (void)lv.isUserVolume();
        }
    } catch (const Error &) {
    }
    return 0;
}
