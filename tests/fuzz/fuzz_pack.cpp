// A pack and its index as a container holds them, read through the real ChunkStore (posix
// backend) the way restore and verify read them: readChunk, checkChunk and readChunkInto of every
// chunk the index lists. Input: a 2-byte little-endian length n, n bytes of index (magic, count
// and checksum are made to fit, so the entries themselves are what is fuzzed), then the pack.
#include "fuzzsupport.h"

#include "repository/chunkcodec.h"
#include "repository/packformat.h"
#include "repository/repository.h"
#include "util/error.h"

#include <QtEndian>

using namespace ndb;

namespace {

const QString kPack = QStringLiteral("0123456789abcdef0123456789abcdef");

QString containerDir()
{
    static const QString dir = [] {
        const QString d = fuzz::scratchDir() + QStringLiteral("/container");
        RepositoryConfig config;
        config.chunkSize = 4096;
        Repository::openOrCreate(d, config); // writes the config
        return d;
    }();
    return dir;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const size_t n = qMin<size_t>(qFromLittleEndian<quint16>(data), size - 2);
    constexpr int header = 16, entry = 48;
    QByteArray index = fuzz::bytes(data + 2, n);
    if (index.size() < header)
        index.resize(header, '\0');
    index.truncate(header + (index.size() - header) / entry * entry);
    std::memcpy(index.data(), "NDBIDX01", 8);
    qToLittleEndian<quint32>(quint32((index.size() - header) / entry), index.data() + 8);
    index += chunk::sha256(index.constData(), index.size());
    const QByteArray pack = fuzz::bytes(data + 2 + n, size - 2 - n);

    const QString dir = containerDir();
    const QString base = dir + QStringLiteral("/packs/") + kPack.left(2) + QLatin1Char('/') + kPack;
    fuzz::writeFile(base + QStringLiteral(".idx"), index);
    fuzz::writeFile(base + QStringLiteral(".pack"), pack);

    std::unique_ptr<Repository> repository = Repository::open(dir);
    std::vector<pack::IndexEntry> entries;
    try {
        entries = pack::decodeIndex(index, QStringLiteral("fuzz.idx"));
    } catch (const Error &) {
        // The store refuses it too: its first chunk must read as missing, nothing worse.
        if (index.size() >= header + entry + chunk::kIdSize) {
            pack::IndexEntry first{};
            std::memcpy(first.id.bytes.data(), index.constData() + header, chunk::kIdSize);
            entries.push_back(first);
        }
    }
    for (const pack::IndexEntry &e : entries) {
        const QByteArray id(reinterpret_cast<const char *>(e.id.bytes.data()), chunk::kIdSize);
        try {
            const QByteArray raw = repository->readChunk(id);
            NDB_FUZZ_CHECK(chunk::sha256(raw.constData(), raw.size()) == id);
        } catch (const Error &) {
        }
        try {
            repository->checkChunk(id, repository->config().chunkSize);
        } catch (const Error &) {
        }
        QByteArray out(qsizetype(repository->config().chunkSize), '\0');
        try {
            repository->readChunkInto(id, out.data(), out.size());
        } catch (const Error &) {
        }
    }
    return 0;
}
