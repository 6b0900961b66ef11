#include "repository/packformat.h"

#include "repository/chunkcodec.h"
#include "util/error.h"

#include <QtEndian>

#include <cstring>
#include <limits>

namespace ndb::pack {

namespace {

constexpr char kIndexMagic[8] = {'N', 'D', 'B', 'I', 'D', 'X', '0', '1'};
constexpr int kIndexEntrySize = 32 + 8 + 4 + 4;
constexpr int kIndexHeaderSize = 16;

} // namespace

size_t KeyHash::operator()(const Key &key) const
{
    size_t h;
    std::memcpy(&h, key.bytes.data(), sizeof h); // SHA-256 bytes are uniformly distributed
    return h;
}

QByteArray encodeIndex(const std::vector<IndexEntry> &entries)
{
    QByteArray index(kIndexHeaderSize + qsizetype(entries.size()) * kIndexEntrySize, '\0');
    std::memcpy(index.data(), kIndexMagic, 8);
    qToLittleEndian<quint32>(quint32(entries.size()), index.data() + 8);
    char *p = index.data() + kIndexHeaderSize;
    for (const IndexEntry &entry : entries) {
        std::memcpy(p, entry.id.bytes.data(), 32);
        qToLittleEndian<quint64>(entry.offset, p + 32);
        qToLittleEndian<quint32>(entry.storedSize, p + 40);
        qToLittleEndian<quint32>(entry.rawSize, p + 44);
        p += kIndexEntrySize;
    }
    index += chunk::sha256(index.constData(), index.size());
    return index;
}

std::vector<IndexEntry> decodeIndex(const QByteArray &data, const QString &file, quint32 maxRawSize)
{
    auto corrupt = [&](const QString &why) {
        return Error(QStringLiteral("Pack index %1 is corrupt (%2)").arg(file, why));
    };
    if (data.size() < kIndexHeaderSize + chunk::kIdSize || std::memcmp(data.constData(), kIndexMagic, 8) != 0)
        throw corrupt(QStringLiteral("bad header"));
    const quint32 count = qFromLittleEndian<quint32>(data.constData() + 8);
    if (qint64(data.size()) != kIndexHeaderSize + qint64(count) * kIndexEntrySize + chunk::kIdSize)
        throw corrupt(QStringLiteral("bad length"));
    const qint64 body = data.size() - chunk::kIdSize;
    if (chunk::sha256(data.constData(), body) != data.mid(body))
        throw corrupt(QStringLiteral("checksum mismatch"));
    std::vector<IndexEntry> entries(count);
    const char *p = data.constData() + kIndexHeaderSize;
    for (quint32 i = 0; i < count; ++i, p += kIndexEntrySize) {
        std::memcpy(entries[i].id.bytes.data(), p, 32);
        entries[i].offset = qFromLittleEndian<quint64>(p + 32);
        entries[i].storedSize = qFromLittleEndian<quint32>(p + 40);
        entries[i].rawSize = qFromLittleEndian<quint32>(p + 44);
        const IndexEntry &e = entries[i];
        if (e.rawSize == 0 || e.rawSize > maxRawSize || e.storedSize == 0 || e.storedSize > e.rawSize
            || e.offset < sizeof kPackMagic || e.offset > quint64(std::numeric_limits<qint64>::max() - e.storedSize))
            throw corrupt(QStringLiteral("entry %1: %2 bytes stored at offset %3 for %4 raw bytes; the container's "
                                         "chunks hold at most %5")
                              .arg(i).arg(e.storedSize).arg(e.offset).arg(e.rawSize).arg(maxRawSize));
    }
    return entries;
}

} // namespace ndb::pack
