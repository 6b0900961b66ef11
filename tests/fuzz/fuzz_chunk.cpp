// Chunk decoding (chunk::decode / decodeInto: zstd frames or stored bytes). Input: a 4-byte
// little-endian raw size (reduced to at most 1 MiB + 1; the codec does not depend on the size)
// followed by the stored bytes. Both decoders must agree; and the fuzzed bytes, taken as raw
// data, must survive compress + decode unchanged.
#include "fuzzsupport.h"

#include "repository/chunkcodec.h"

#include <QtEndian>

using namespace ndb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    const quint32 rawSize = qFromLittleEndian<quint32>(data) % (1024 * 1024 + 2);
    const QByteArray stored = fuzz::bytes(data + 4, size - 4);

    QByteArray out;
    const bool decoded = chunk::decode(stored, rawSize, out);
    QByteArray into(qsizetype(rawSize), '\0');
    const bool decodedInto = chunk::decodeInto(stored.constData(), stored.size(), rawSize, into.data());
    NDB_FUZZ_CHECK(decoded == decodedInto);
    if (decoded)
        NDB_FUZZ_CHECK(out == into);

    static chunk::Compressor compressor(1);
    const QByteArrayView packed = compressor.compress(stored.constData(), stored.size());
    QByteArray back;
    NDB_FUZZ_CHECK(chunk::decode(packed.toByteArray(), quint32(stored.size()), back));
    NDB_FUZZ_CHECK(back == stored);
    return 0;
}
