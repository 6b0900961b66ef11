#pragma once
// Block and file formats of ndb-test-writer, shared by the writer and its checkers.
// Header only and free of Qt so that the writer stays a tiny program.
#include <cstdint>
#include <cstring>

namespace ndbtest::writer {

inline constexpr int kBlockSize = 4096;
inline constexpr std::uint64_t kMagic = 0x315254525742444eULL; // "NDBWRTR1"
inline constexpr int kChecksumOffset = kBlockSize - 8;

inline std::uint64_t splitmix64(std::uint64_t &state)
{
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// The block written by sequence number `seq` (1-based): a deterministic pseudo-random order.
inline std::uint64_t blockForSeq(std::uint64_t seed, std::uint64_t seq, std::uint64_t blocks)
{
    std::uint64_t state = seed * 0x100000001b3ULL ^ seq;
    return splitmix64(state) % blocks;
}

inline std::uint64_t fnv1a(const unsigned char *data, std::size_t length)
{
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (std::size_t i = 0; i < length; ++i) {
        h ^= data[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

// header: magic, seq, block, generation, seed; payload derived from them; checksum at the end.
inline void makeBlock(unsigned char *out, std::uint64_t seed, std::uint64_t seq, std::uint64_t block, std::uint64_t generation)
{
    const std::uint64_t header[5] = {kMagic, seq, block, generation, seed};
    std::memcpy(out, header, sizeof header);
    std::uint64_t state = seed ^ (seq << 20) ^ (block << 1) ^ (generation * 0x9e3779b97f4a7c15ULL);
    for (int off = int(sizeof header); off < kChecksumOffset; off += 8) {
        const std::uint64_t v = splitmix64(state);
        std::memcpy(out + off, &v, 8);
    }
    const std::uint64_t sum = fnv1a(out, kChecksumOffset);
    std::memcpy(out + kChecksumOffset, &sum, 8);
}

struct BlockHeader
{
    std::uint64_t seq = 0, block = 0, generation = 0, seed = 0;
};

// 1: a valid writer block; 0: not a writer block (initial content); -1: magic but bad checksum (torn).
inline int parseBlock(const unsigned char *in, BlockHeader &header)
{
    std::uint64_t magic;
    std::memcpy(&magic, in, 8);
    if (magic != kMagic)
        return 0;
    std::uint64_t sum;
    std::memcpy(&sum, in + kChecksumOffset, 8);
    if (sum != fnv1a(in, kChecksumOffset))
        return -1;
    std::memcpy(&header.seq, in + 8, 8);
    std::memcpy(&header.block, in + 16, 8);
    std::memcpy(&header.generation, in + 24, 8);
    std::memcpy(&header.seed, in + 32, 8);
    return 1;
}

} // namespace ndbtest::writer
