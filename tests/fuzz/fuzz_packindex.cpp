// Pack index decoder (pack::decodeIndex). Each input is decoded as it is, and once more with its
// entry count and trailing SHA-256 made to fit its length, so the fuzzer gets past the checksum;
// such an index is either refused for an entry out of range or encodes back to the same bytes.
#include "fuzzsupport.h"

#include "repository/chunkcodec.h"
#include "repository/packformat.h"
#include "util/error.h"

#include <QtEndian>

using namespace ndb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input = fuzz::bytes(data, size);
    try {
        pack::decodeIndex(input, QStringLiteral("fuzz.idx"));
    } catch (const Error &) {
    }
    constexpr int header = 16, entry = 48;
    if (input.size() < header)
        return 0;
    QByteArray fixed = input.left(header + (input.size() - header) / entry * entry);
    std::memcpy(fixed.data(), "NDBIDX01", 8);
    qToLittleEndian<quint32>(quint32((fixed.size() - header) / entry), fixed.data() + 8);
    std::memset(fixed.data() + 12, 0, 4);
    fixed += chunk::sha256(fixed.constData(), fixed.size());
    try {
        const std::vector<pack::IndexEntry> entries = pack::decodeIndex(fixed, QStringLiteral("fuzz.idx"), 4096);
        NDB_FUZZ_CHECK(pack::encodeIndex(entries) == fixed);
        for (const pack::IndexEntry &e : entries)
            NDB_FUZZ_CHECK(e.rawSize <= 4096 && e.storedSize <= e.rawSize && e.offset >= 8);
    } catch (const Error &) {
        // An entry out of range (the framing itself is sound by construction).
    }
    return 0;
}
