#pragma once
// The byte-moving pipeline: read -> hash -> compress -> store (and back for restore) on worker
// threads with bounded queues, so memory stays flat whatever the volume size.
#include "repository/repository.h"
#include "volumes/blockdevice.h"

#include <atomic>
#include <functional>

namespace ndb {

struct TransferOptions
{
    int threads = 0;             // hash/compress workers; 0 = one per core
    qint64 bandwidthLimit = 0;   // bytes per second read from the source; 0 = unlimited
    const std::atomic<bool> *cancel = nullptr; // throws CancelledError when set
    // Called from the pipeline (any thread) at most a few times per second.
    std::function<void(qint64 bytesDone, qint64 bytesStored)> progress;
    // Called on the calling thread (never a reader thread) after every ~64 MiB read and once at
    // the end; throws to abort (e.g. snapshot overflowed).
    std::function<void()> healthCheck;
    // I/O scheduling class of the threads that read the source: "idle" (only when the disk is
    // otherwise unused), "best-effort" (lowest best-effort level) or "none" (unchanged).
    QString ioPriority = QStringLiteral("best-effort");
};

struct TransferStats
{
    qint64 bytes = 0;       // volume bytes processed
    qint64 bytesStored = 0; // bytes added to the repository
    qint64 chunksNew = 0;
    qint64 chunksDeduplicated = 0;
    qint64 chunksZero = 0;
    double seconds = 0;
};

// Reads `source` into `repository`, skipping what its allocation map says is a hole; fills manifest.chunks/size/chunkSize/storedBytes.
// Flushes the repository but does NOT commit the manifest: the caller decides if it is usable.
TransferStats backupToRepository(BlockSource &source, Repository &repository, Manifest &manifest,
                                 const TransferOptions &options);
// Writes every chunk of `manifest` to `sink`; throws ndb::Error naming the first bad chunk.
TransferStats restoreFromRepository(const Repository &repository, const Manifest &manifest,
                                    BlockSink &sink, const TransferOptions &options);
// Re-reads and re-hashes every chunk the manifest references.
VerifyReport verifyBackup(const Repository &repository, const Manifest &manifest,
                          const TransferOptions &options);

} // namespace ndb
