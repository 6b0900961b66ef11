// Manifest parser (ChunkStore::parseManifest) and what verify does with what it returns.
// Manifests carry a SHA-256 of their chunk list, which random mutation almost never matches; so
// every input that is a JSON object is tried a second time with chunkCount and chunksSha256 made
// to fit, which takes the fuzzer past the checksum to the fields behind it.
#include "fuzzsupport.h"

#include "backup/transfer.h"
#include "repository/chunkcodec.h"
#include "repository/chunkstore.h"
#include "util/error.h"

#include <QJsonDocument>
#include <QJsonObject>

using namespace ndb;

namespace {

const Repository &container()
{
    // A real (empty) container with the smallest chunk size: verify reports missing chunks.
    static std::unique_ptr<Repository> repository = [] {
        RepositoryConfig config;
        config.chunkSize = 4096;
        return Repository::openOrCreate(fuzz::scratchDir() + QStringLiteral("/container"), config);
    }();
    return *repository;
}

void tryManifest(const QByteArray &data)
{
    Manifest manifest;
    try {
        manifest = ChunkStore::parseManifest(data, QStringLiteral("fuzz-manifest"));
    } catch (const Error &) {
        return;
    }
    for (const QByteArray &id : std::as_const(manifest.chunks))
        NDB_FUZZ_CHECK(id.isEmpty() || id.size() == chunk::kIdSize);
    if (manifest.chunks.size() > 4096)
        return; // verify's cost grows with the list; its shape checks are what matters here
    TransferOptions options;
    options.threads = 1;
    try {
        verifyBackup(container(), manifest, options);
    } catch (const Error &) {
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input = fuzz::bytes(data, size);
    tryManifest(input);
    QJsonObject json = QJsonDocument::fromJson(input).object();
    if (json.isEmpty())
        return 0;
    const QByteArray ids = QByteArray::fromBase64(json.value(QStringLiteral("chunks")).toString().toLatin1());
    json.insert(QStringLiteral("chunkCount"), qint64(ids.size() / chunk::kIdSize));
    json.insert(QStringLiteral("chunksSha256"), QString::fromLatin1(chunk::sha256(ids.constData(), ids.size()).toHex()));
    tryManifest(QJsonDocument(json).toJson(QJsonDocument::Compact));
    return 0;
}
