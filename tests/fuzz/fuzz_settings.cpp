// The settings file: EngineConfig::checkFile (what every front end runs on --config) and
// EngineConfig::load. QSettings reads files only, so each input is written to a scratch file.
#include "fuzzsupport.h"

#include "engine/engineconfig.h"
#include "util/error.h"

using namespace ndb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    // A new name per input: QSettings caches parsed files by name (and mtime, whose resolution
    // could hide a rewrite).
    static quint64 serial = 0;
    const QString file = fuzz::scratchDir() + QStringLiteral("/ndbackup-%1.conf").arg(serial++);
    fuzz::writeFile(file, fuzz::bytes(data, size));
    try {
        EngineConfig::checkFile(file);
        const EngineConfig config = EngineConfig::load(file);
        (void)config.driverSettings();
        (void)config.serviceOptions();
    } catch (const Error &) {
    }
    QFile::remove(file);
    return 0;
}
