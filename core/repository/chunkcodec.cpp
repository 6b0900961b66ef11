#include "repository/chunkcodec.h"

#include "util/error.h"

#include <openssl/evp.h>
#include <zstd.h>

#include <cstring>

namespace ndb::chunk {

namespace {

// Fetch the digest once: the implicit fetch in EVP_sha256() costs a lock per call in OpenSSL 3.
const EVP_MD *sha256Md()
{
    static EVP_MD *md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return md;
}

} // namespace

void sha256(const char *data, qint64 length, unsigned char out[kIdSize])
{
    unsigned int outLength = 0;
    if (EVP_Digest(data, size_t(length), out, &outLength, sha256Md(), nullptr) != 1)
        throw Error(QStringLiteral("SHA-256 computation failed"));
}

QByteArray sha256(const char *data, qint64 length)
{
    QByteArray id(kIdSize, Qt::Uninitialized);
    sha256(data, length, reinterpret_cast<unsigned char *>(id.data()));
    return id;
}

bool isAllZero(const char *data, qint64 length)
{
    if (length <= 0)
        return true;
    // Check a short prefix word by word first: most non-zero chunks fail there at once.
    const qint64 head = qMin<qint64>(length, 64);
    for (qint64 i = 0; i < head; ++i) {
        if (data[i])
            return false;
    }
    // A buffer is all zero iff its first byte is zero and it equals itself shifted by one.
    return std::memcmp(data, data + 1, size_t(length - 1)) == 0;
}

struct Compressor::Private
{
    ZSTD_CCtx *cctx = nullptr;
    int level = 1;
    QByteArray out; // reused: sized for the largest chunk seen
};

Compressor::Compressor(int level) : d(std::make_unique<Private>())
{
    d->cctx = ZSTD_createCCtx();
    d->level = level;
    if (!d->cctx)
        throw Error(QStringLiteral("Cannot create a zstd compression context"));
}

Compressor::~Compressor()
{
    ZSTD_freeCCtx(d->cctx);
}

QByteArrayView Compressor::compress(const char *data, qint64 length)
{
    const qsizetype bound = qsizetype(ZSTD_compressBound(size_t(length)));
    if (d->out.size() < bound)
        d->out.resize(bound);
    const size_t n = ZSTD_compressCCtx(d->cctx, d->out.data(), size_t(d->out.size()), data, size_t(length), d->level);
    if (ZSTD_isError(n) || qint64(n) >= length)
        return QByteArrayView(data, qsizetype(length));
    return QByteArrayView(d->out.constData(), qsizetype(n));
}

namespace {

ZSTD_DCtx *threadDecompressionContext()
{
    // One decompression context per thread: ZSTD_decompress() would allocate one per chunk.
    struct Context
    {
        ZSTD_DCtx *dctx = ZSTD_createDCtx();
        ~Context() { ZSTD_freeDCtx(dctx); }
    };
    thread_local Context context;
    return context.dctx;
}

} // namespace

bool decode(const QByteArray &stored, quint32 rawSize, QByteArray &out)
{
    if (quint32(stored.size()) == rawSize) {
        out = stored; // kept uncompressed: shared, not copied
        return true;
    }
    out.resize(qsizetype(rawSize));
    return decodeInto(stored.constData(), stored.size(), rawSize, out.data());
}

bool decodeInto(const char *stored, qint64 storedSize, quint32 rawSize, char *out)
{
    if (storedSize == qint64(rawSize)) {
        std::memcpy(out, stored, size_t(rawSize));
        return true;
    }
    const size_t n = ZSTD_decompressDCtx(threadDecompressionContext(), out, rawSize, stored, size_t(storedSize));
    return !ZSTD_isError(n) && n == rawSize;
}

} // namespace ndb::chunk
