#pragma once
// The byte-level rules of the chunk store, shared by the repository backends and the transfer
// pipeline: chunk ids (SHA-256), zero detection and zstd (de)compression.
// A stored chunk whose stored length equals its raw length is kept uncompressed
// (the pipeline only keeps zstd output that is strictly smaller).
#include "util/error.h"

#include <QByteArray>
#include <QByteArrayView>

#include <memory>

namespace ndb::chunk {

constexpr int kIdSize = 32;

// A chunk that cannot be read back; `reason` is the short form for VerifyReport.
// A chunk that is missing or fails its hash or decoding: the data cannot be trusted.
class ChunkError : public CorruptDataError
{
public:
    ChunkError(QString message, QString reason) : CorruptDataError(std::move(message)), m_reason(std::move(reason)) {}
    const QString &reason() const { return m_reason; }

private:
    QString m_reason;
};

// SHA-256 of `data` (OpenSSL EVP; uses SHA-NI where the CPU has it).
QByteArray sha256(const char *data, qint64 length);
void sha256(const char *data, qint64 length, unsigned char out[kIdSize]);

bool isAllZero(const char *data, qint64 length);

// One zstd context per thread; not thread-safe itself.
class Compressor
{
public:
    explicit Compressor(int level);
    ~Compressor();
    Compressor(const Compressor &) = delete;
    Compressor &operator=(const Compressor &) = delete;
    // Returns the bytes to store: zstd output when strictly smaller, else `data` itself. The
    // view is valid until the next call (and while `data` lives): no allocation, no copy.
    QByteArrayView compress(const char *data, qint64 length);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

// Decodes a stored chunk of `rawSize` bytes; returns false when the data cannot be decoded.
bool decode(const QByteArray &stored, quint32 rawSize, QByteArray &out);
// The same into `out`, which holds `rawSize` bytes (restore decodes straight into its buffer).
bool decodeInto(const char *stored, qint64 storedSize, quint32 rawSize, char *out);

} // namespace ndb::chunk
