#pragma once
// NBD over TLS: the console's side of the data plane (DESIGN "The data paths", path 5). An agent
// exports a temporary snapshot (read-only) or a restore target (writable) with nbdkit, TLS
// required and the peer verified; the console reads or writes it here with libnbd.
//
// Several connections (when the server advertises multi-conn) and several requests in flight
// on each; the allocation map comes from `base:allocation`, so holes and zero regions are not
// transferred. Every wait has a deadline: a dead or silent peer ends in a Network error, never
// in a hang.
#include "volumes/blockdevice.h"

#include <QString>

#include <memory>

namespace ndb {

class NbdClient; // the connection pool, shared by NbdSource and NbdSink

// Connection properties of one export, as the agent hands them out.
struct NbdConnectionProperties
{
    QString host;       // name or address; TLS checks it against the server certificate
    quint16 port = 0;
    QString exportName;
    // Either a directory with ca-cert.pem (the agent's pinned certificate), client-cert.pem and
    // client-key.pem (the console's), as libnbd expects it ...
    QString certificatesDir;
    // ... or the three PEM files by path (used when certificatesDir is empty).
    QString caFile;
    QString certFile;
    QString keyFile;
    // Tuning (measured with ndbackup-bench --remote; see tests/bench/README.md).
    int maxConnections = 4;        // used only when the server advertises multi-conn
    int requestsInFlight = 8;      // per connection
    qint64 requestSize = 1 << 20;  // bytes per NBD request
    // Longest wait for the server (connecting, the TLS handshake, a reply) before the operation
    // fails with ErrorKind::Network.
    int timeoutMs = 30000;
};

// Reads an export. Throws ndb::Error (Network: cannot connect, TLS refused, connection lost,
// no reply in time; Storage: the server reported an I/O error) from the constructor and readAt.
class NbdSource : public BlockSource
{
public:
    explicit NbdSource(const NbdConnectionProperties &properties);
    ~NbdSource() override;
    qint64 size() const override;
    // From base:allocation: the extents that are not known to read as zeroes. nullopt when the
    // server does not offer the context.
    std::optional<QList<Extent>> allocatedExtents() const override;
    qint64 readAt(char *buffer, qint64 length, qint64 offset) override;
    QString description() const override;
    // One read per connection the server allows (multi-conn), so that requests keep flowing.
    int preferredConcurrentReads() const override;
    // Payload bytes received so far (for progress figures and tests).
    qint64 bytesTransferred() const;
    // Connections open now (at least one; more only with multi-conn and concurrent callers).
    int connectionCount() const;
    // From any thread: reads in progress and later ones fail (Network) with `reason` within a
    // poll slice, instead of waiting for the silent-peer limit (the export's lease is lost).
    void interrupt(const QString &reason);

private:
    std::unique_ptr<NbdClient> d;
};

// Writes an export (restore onto a volume on a node). Refuses a read-only export.
class NbdSink : public BlockSink
{
public:
    explicit NbdSink(const NbdConnectionProperties &properties);
    ~NbdSink() override;
    qint64 size() const override;
    void writeAt(const char *buffer, qint64 length, qint64 offset) override;
    // NBD_CMD_WRITE_ZEROES where the server offers it, else written zero buffers.
    void writeZeroes(qint64 length, qint64 offset) override;
    // NBD_CMD_FLUSH on every connection.
    void finish() override;
    QString description() const override;
    qint64 bytesTransferred() const;

    // As NbdSource::interrupt: writes in progress and later ones fail (Network) with `reason`.
    void interrupt(const QString &reason);

private:
    std::unique_ptr<NbdClient> d;
};

} // namespace ndb
