// Container configuration parser (ChunkStore::parseConfig): what it accepts must be a
// configuration the rest of the code can live with.
#include "fuzzsupport.h"

#include "repository/chunkstore.h"
#include "util/error.h"

using namespace ndb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    try {
        const RepositoryConfig config = ChunkStore::parseConfig(fuzz::bytes(data, size), QStringLiteral("fuzz"),
                                                                QStringLiteral("fuzz/config"));
        NDB_FUZZ_CHECK(config.formatVersion == 1);
        NDB_FUZZ_CHECK(config.chunkSize >= 4096 && config.chunkSize % 4096 == 0);
        NDB_FUZZ_CHECK(config.packTargetSize >= config.chunkSize);
    } catch (const Error &) {
    }
    return 0;
}
