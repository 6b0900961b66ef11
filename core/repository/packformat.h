#pragma once
// On-disk format of the posix chunk store's packs and pack indexes.
//
//   <name>.pack   "NDBPACK1" + stored chunks back to back
//   <name>.idx    "NDBIDX01", u32 entry count, 4 bytes zero, entries (id 32, offset u64,
//                 stored size u32, raw size u32; little endian), SHA-256 of everything before
#include <QByteArray>
#include <QString>

#include <array>
#include <cstddef>
#include <vector>

namespace ndb::pack {

inline constexpr char kPackMagic[8] = {'N', 'D', 'B', 'P', 'A', 'C', 'K', '1'};

struct Key
{
    std::array<unsigned char, 32> bytes;
    bool operator==(const Key &other) const { return bytes == other.bytes; }
};

struct KeyHash
{
    size_t operator()(const Key &key) const;
};

struct IndexEntry
{
    Key id;
    quint64 offset;
    quint32 storedSize;
    quint32 rawSize;
};

QByteArray encodeIndex(const std::vector<IndexEntry> &entries);
// Throws ndb::Error naming `file` when `data` is not a sound index, an entry included: its raw
// size above `maxRawSize`, stored larger than raw, or a range outside a pack. Readers size their
// buffers by these fields, so they are checked here, once. The default is the largest chunk size
// a container configuration allows (putChunk() takes chunks larger than the container's own).
std::vector<IndexEntry> decodeIndex(const QByteArray &data, const QString &file, quint32 maxRawSize = 64u * 1024 * 1024);

} // namespace ndb::pack
