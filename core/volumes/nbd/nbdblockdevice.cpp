#include "volumes/nbd/nbdblockdevice.h"

#include "util/error.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>

#include <libnbd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <functional>
#include <mutex>
#include <vector>

namespace ndb {

namespace {

using Clock = std::chrono::steady_clock;

struct HandleCloser
{
    // A healthy connection says goodbye (NBD_CMD_DISC, queued without waiting); any is closed.
    void operator()(nbd_handle *h) const
    {
        if (nbd_aio_is_ready(h) > 0)
            nbd_aio_disconnect(h, 0);
        nbd_close(h);
    }
};
using Handle = std::unique_ptr<nbd_handle, HandleCloser>;

QString libnbdError()
{
    const char *message = nbd_get_error();
    return message && *message ? QString::fromLocal8Bit(message) : QStringLiteral("unknown libnbd error");
}

bool handleLost(nbd_handle *h)
{
    return nbd_aio_is_dead(h) > 0 || nbd_aio_is_closed(h) > 0;
}

// Largest block-status request: NBD lengths are 32-bit.
constexpr qint64 kStatusSpan = qint64(1) << 30;

} // namespace

// One export: a pool of libnbd connections shared by NbdSource and NbdSink. A caller takes a
// connection for the whole of one readAt/writeAt (several requests in flight on it) and gives
// it back; concurrent callers get their own connections up to the limit (multi-conn) or wait.
class NbdClient
{
public:
    NbdClient(const NbdConnectionProperties &properties, bool writable);

    enum class Op { Read, Write, Zero };
    qint64 transfer(Op op, char *buffer, qint64 length, qint64 offset);
    void flushAll();
    std::optional<QList<Extent>> extents();

    NbdConnectionProperties props;
    bool writable;
    QString peer; // "NBD export 'snap' on 127.0.0.1:10809", the subject of every message
    std::unique_ptr<QTemporaryDir> stagedCertificates;
    QString certificatesDir;
    qint64 size = 0;
    bool multiConn = false;
    bool canZero = false;
    bool canFlush = false;
    bool hasAllocation = false;
    std::atomic<qint64> transferred{0};
    // Set from another thread (a lost lease): drive() gives up within a poll slice.
    void interrupt(const QString &reason);
    std::atomic<bool> interrupted{false};
    std::mutex interruptMutex;
    QString interruptReason;

    std::mutex poolMutex;
    std::condition_variable connectionFreed;
    std::vector<Handle> idle;
    int open = 0;

    std::mutex extentsMutex;
    bool extentsDone = false;
    std::optional<QList<Extent>> extentsCache;

private:
    Handle connect();
    Handle acquire();
    void release(Handle handle);
    void discard();
    // Runs the handle's state machine until done() says so. Throws Network when the connection
    // is lost or nothing happens for props.timeoutMs (a silent peer).
    void drive(nbd_handle *h, const std::function<bool()> &done, const QString &what);
    [[noreturn]] void failCommand(nbd_handle *h, const QString &what, int error);

public:
    int maxConnections() const { return multiConn ? qMax(1, props.maxConnections) : 1; }
};

NbdClient::NbdClient(const NbdConnectionProperties &properties, bool writable_)
    : props(properties), writable(writable_)
{
    peer = QStringLiteral("NBD export '%1' on %2:%3").arg(props.exportName, props.host).arg(props.port);
    if (props.host.isEmpty() || props.port == 0)
        throw InvalidInputError(QStringLiteral("%1: the connection properties need a host and a port").arg(peer));
    if (props.requestsInFlight < 1 || props.requestSize < 4096 || props.requestSize > (32 << 20))
        throw InvalidInputError(QStringLiteral("%1: requests in flight must be at least 1 and the request size "
                                               "between 4 KiB and 32 MiB")
                                    .arg(peer));
    // A write to a peer that has gone raises SIGPIPE inside GnuTLS; the error must come back as a
    // failed request, not end the process. Only a default disposition is changed.
    static std::once_flag sigpipeOnce;
    std::call_once(sigpipeOnce, [] {
        struct sigaction current{};
        if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL)
            std::signal(SIGPIPE, SIG_IGN);
    });

    if (!props.certificatesDir.isEmpty()) {
        certificatesDir = props.certificatesDir;
    } else {
        // libnbd 1.14 takes only a directory with fixed names: link the given files into a
        // private one (links, so that the key is not copied).
        if (props.caFile.isEmpty() || props.certFile.isEmpty() || props.keyFile.isEmpty())
            throw InvalidInputError(QStringLiteral("%1: TLS is required: give a certificates directory or the CA, "
                                                   "client certificate and client key files")
                                        .arg(peer));
        stagedCertificates = std::make_unique<QTemporaryDir>();
        if (!stagedCertificates->isValid())
            throw Error(QStringLiteral("%1: cannot create a directory for the TLS certificates").arg(peer));
        const std::pair<QString, QString> files[] = {{props.caFile, QStringLiteral("ca-cert.pem")},
                                                    {props.certFile, QStringLiteral("client-cert.pem")},
                                                    {props.keyFile, QStringLiteral("client-key.pem")}};
        for (const auto &[path, name] : files) {
            if (!QFileInfo(path).isReadable())
                throw InvalidInputError(QStringLiteral("%1: cannot read the TLS file %2").arg(peer, path));
            if (!QFile::link(QFileInfo(path).absoluteFilePath(), stagedCertificates->filePath(name)))
                throw Error(QStringLiteral("%1: cannot link %2 into %3").arg(peer, path, stagedCertificates->path()));
        }
        certificatesDir = stagedCertificates->path();
    }
    for (const char *name : {"ca-cert.pem", "client-cert.pem", "client-key.pem"}) {
        const QString path = certificatesDir + QLatin1Char('/') + QLatin1String(name);
        if (!QFileInfo(path).isReadable())
            throw InvalidInputError(QStringLiteral("%1: TLS is required but %2 is missing or unreadable").arg(peer, path));
    }

    Handle first = connect();
    nbd_handle *h = first.get();
    size = nbd_get_size(h);
    if (size < 0)
        throw Error(QStringLiteral("%1: cannot get the export size: %2").arg(peer, libnbdError()), ErrorKind::Network);
    multiConn = nbd_can_multi_conn(h) > 0;
    canZero = nbd_can_zero(h) > 0;
    canFlush = nbd_can_flush(h) > 0;
    hasAllocation = !writable && nbd_can_meta_context(h, LIBNBD_CONTEXT_BASE_ALLOCATION) > 0;
    if (writable && nbd_is_read_only(h) > 0)
        throw Error(QStringLiteral("%1 is read-only: a restore needs a writable export").arg(peer), ErrorKind::Storage);
    open = 1;
    idle.push_back(std::move(first));
}

Handle NbdClient::connect()
{
    Handle handle(nbd_create());
    if (!handle)
        throw Error(QStringLiteral("%1: cannot create a libnbd handle: %2").arg(peer, libnbdError()));
    nbd_handle *h = handle.get();
    const QByteArray dir = QFile::encodeName(certificatesDir);
    const QByteArray name = props.exportName.toUtf8();
    if (nbd_supports_tls(h) != 1)
        throw Error(QStringLiteral("%1: this libnbd was built without TLS support").arg(peer));
    if (nbd_set_tls(h, LIBNBD_TLS_REQUIRE) < 0 || nbd_set_tls_certificates(h, dir.constData()) < 0
        || nbd_set_tls_verify_peer(h, true) < 0 || nbd_set_export_name(h, name.constData()) < 0
        || (!writable && nbd_add_meta_context(h, LIBNBD_CONTEXT_BASE_ALLOCATION) < 0))
        throw Error(QStringLiteral("%1: cannot set up the connection: %2").arg(peer, libnbdError()));
    const QByteArray host = props.host.toUtf8();
    const QByteArray port = QByteArray::number(props.port);
    if (nbd_aio_connect_tcp(h, host.constData(), port.constData()) < 0)
        throw Error(QStringLiteral("Cannot connect to %1: %2").arg(peer, libnbdError()), ErrorKind::Network);
    try {
        drive(h, [h] { return nbd_aio_is_connecting(h) == 0; }, QStringLiteral("connecting"));
        if (nbd_aio_is_ready(h) <= 0)
            throw Error(QStringLiteral("Cannot connect to %1: %2").arg(peer, libnbdError()), ErrorKind::Network);
    } catch (const Error &e) {
        if (e.message().contains(QLatin1String("did not answer")))
            throw;
        // Say what the TLS failure means for the administrator; libnbd's cause stays in brackets.
        const QString cause = libnbdError();
        if (cause.contains(QLatin1String("refused TLS")))
            throw Error(QStringLiteral("Cannot connect to %1: the server does not offer TLS, and exports are never "
                                       "read in the clear (%2)")
                            .arg(peer, cause),
                        ErrorKind::Network);
        if (cause.contains(QLatin1String("gnutls"), Qt::CaseInsensitive) || cause.contains(QLatin1String("TLS")))
            throw Error(QStringLiteral("Cannot connect to %1: the TLS handshake failed: the agent must trust this "
                                       "console's certificate and present the certificate pinned for it (%2)")
                            .arg(peer, cause),
                        ErrorKind::Network);
        throw Error(QStringLiteral("Cannot connect to %1: %2").arg(peer, cause), ErrorKind::Network);
    }
    if (nbd_get_tls_negotiated(h) != 1) // LIBNBD_TLS_REQUIRE already refuses; never read in the clear
        throw Error(QStringLiteral("%1 did not negotiate TLS; refusing to transfer data in the clear").arg(peer),
                    ErrorKind::Network);
    return handle;
}

void NbdClient::drive(nbd_handle *h, const std::function<bool()> &done, const QString &what)
{
    auto lastProgress = Clock::now();
    const auto limit = std::chrono::milliseconds(qMax(1, props.timeoutMs));
    while (!done()) {
        if (interrupted) {
            std::lock_guard lock(interruptMutex);
            throw Error(QStringLiteral("%1: given up while %2: %3").arg(peer, what, interruptReason), ErrorKind::Network);
        }
        if (handleLost(h))
            throw Error(QStringLiteral("%1: connection lost while %2: %3").arg(peer, what, libnbdError()),
                        ErrorKind::Network);
        const auto left = limit - (Clock::now() - lastProgress);
        if (left <= Clock::duration::zero())
            throw Error(QStringLiteral("%1 did not answer within %2 s while %3; giving up (the agent or the "
                                       "network is down?)")
                            .arg(peer)
                            .arg(props.timeoutMs / 1000.0, 0, 'g', 3)
                            .arg(what),
                        ErrorKind::Network);
        const int slice = int(std::min<qint64>(200, std::chrono::ceil<std::chrono::milliseconds>(left).count()));
        const int r = nbd_poll(h, slice);
        if (r < 0)
            throw Error(QStringLiteral("%1: connection lost while %2: %3").arg(peer, what, libnbdError()),
                        ErrorKind::Network);
        if (r > 0)
            lastProgress = Clock::now();
    }
}

void NbdClient::failCommand(nbd_handle *h, const QString &what, int error)
{
    const QString cause = libnbdError();
    if (handleLost(h) || error == ENOTCONN || error == ESHUTDOWN || error == ECONNRESET || error == EPIPE)
        throw Error(QStringLiteral("%1: connection lost while %2: %3").arg(peer, what, cause), ErrorKind::Network);
    throw Error(QStringLiteral("%1: the server failed %2: %3").arg(peer, what, cause), ErrorKind::Storage);
}

Handle NbdClient::acquire()
{
    std::unique_lock lock(poolMutex);
    for (;;) {
        if (!idle.empty()) {
            Handle h = std::move(idle.back());
            idle.pop_back();
            return h;
        }
        if (open < maxConnections()) {
            ++open;
            lock.unlock();
            try {
                return connect();
            } catch (...) {
                discard();
                throw;
            }
        }
        connectionFreed.wait(lock);
    }
}

void NbdClient::release(Handle handle)
{
    {
        std::lock_guard lock(poolMutex);
        idle.push_back(std::move(handle));
    }
    connectionFreed.notify_one();
}

// A connection that failed may still have requests in flight into a caller's buffer: it is
// closed (never reused) and its place in the pool freed.
void NbdClient::discard()
{
    {
        std::lock_guard lock(poolMutex);
        --open;
    }
    connectionFreed.notify_one();
}

qint64 NbdClient::transfer(Op op, char *buffer, qint64 length, qint64 offset)
{
    if (offset < 0 || length < 0 || offset > size)
        throw Error(QStringLiteral("%1: request at %2 is outside the export (%3 bytes)").arg(peer).arg(offset).arg(size));
    length = qMin(length, size - offset);
    if (length == 0)
        return 0;
    const QString what = op == Op::Read    ? QStringLiteral("reading at %1").arg(offset)
                         : op == Op::Write ? QStringLiteral("writing at %1").arg(offset)
                                           : QStringLiteral("zeroing at %1").arg(offset);
    Handle handle = acquire();
    nbd_handle *h = handle.get();
    try {
        std::vector<std::pair<int64_t, qint64>> pending; // cookie, bytes
        qint64 issued = 0;
        while (issued < length || !pending.empty()) {
            while (issued < length && qsizetype(pending.size()) < props.requestsInFlight) {
                const qint64 count = qMin(op == Op::Zero ? kStatusSpan : props.requestSize, length - issued);
                int64_t cookie = -1;
                if (op == Op::Read)
                    cookie = nbd_aio_pread(h, buffer + issued, size_t(count), uint64_t(offset + issued),
                                           NBD_NULL_COMPLETION, 0);
                else if (op == Op::Write)
                    cookie = nbd_aio_pwrite(h, buffer + issued, size_t(count), uint64_t(offset + issued),
                                            NBD_NULL_COMPLETION, 0);
                else
                    cookie = nbd_aio_zero(h, uint64_t(count), uint64_t(offset + issued), NBD_NULL_COMPLETION, 0);
                if (cookie < 0)
                    failCommand(h, what, nbd_get_errno());
                pending.emplace_back(cookie, count);
                issued += count;
            }
            drive(h, [&] {
                bool any = false;
                for (auto it = pending.begin(); it != pending.end();) {
                    const int r = nbd_aio_command_completed(h, uint64_t(it->first));
                    if (r < 0)
                        failCommand(h, what, nbd_get_errno());
                    if (r == 0) {
                        ++it;
                        continue;
                    }
                    if (op != Op::Zero)
                        transferred += it->second;
                    it = pending.erase(it);
                    any = true;
                }
                return any || pending.empty();
            }, what);
        }
    } catch (...) {
        handle.reset();
        discard();
        throw;
    }
    release(std::move(handle));
    return length;
}

void NbdClient::flushAll()
{
    std::vector<Handle> handles;
    {
        // Take every connection: a flush must follow every write that has completed.
        std::unique_lock lock(poolMutex);
        connectionFreed.wait(lock, [&] { return int(idle.size()) == open; });
        handles.swap(idle);
    }
    std::exception_ptr failure;
    for (Handle &handle : handles) {
        nbd_handle *h = handle.get();
        try {
            if (canFlush) {
                const int64_t cookie = nbd_aio_flush(h, NBD_NULL_COMPLETION, 0);
                if (cookie < 0)
                    failCommand(h, QStringLiteral("flushing"), nbd_get_errno());
                drive(h, [&] {
                    const int r = nbd_aio_command_completed(h, uint64_t(cookie));
                    if (r < 0)
                        failCommand(h, QStringLiteral("flushing"), nbd_get_errno());
                    return r == 1;
                }, QStringLiteral("flushing"));
            }
            release(std::move(handle));
        } catch (...) {
            if (!failure)
                failure = std::current_exception();
            handle.reset();
            discard();
        }
    }
    if (failure)
        std::rethrow_exception(failure);
}

std::optional<QList<Extent>> NbdClient::extents()
{
    std::lock_guard guard(extentsMutex);
    if (extentsDone)
        return extentsCache;
    if (!hasAllocation) {
        extentsDone = true;
        return std::nullopt;
    }
    struct Collect
    {
        QList<Extent> extents;
        qint64 reached = 0;
    } collect;
    auto callback = [](void *data, const char *context, uint64_t offset, uint32_t *entries, size_t count,
                       int *) -> int {
        if (std::strcmp(context, LIBNBD_CONTEXT_BASE_ALLOCATION) != 0)
            return 0;
        auto *c = static_cast<Collect *>(data);
        qint64 at = qint64(offset);
        for (size_t i = 0; i + 1 < count; i += 2) {
            const qint64 length = entries[i];
            // Only ZERO promises zeroes; a hole without it may read as anything.
            if (!(entries[i + 1] & LIBNBD_STATE_ZERO)) {
                if (!c->extents.isEmpty() && c->extents.last().offset + c->extents.last().length == at)
                    c->extents.last().length += length;
                else
                    c->extents.append(Extent{at, length});
            }
            at += length;
        }
        c->reached = at;
        return 0;
    };
    Handle handle = acquire();
    nbd_handle *h = handle.get();
    try {
        while (collect.reached < size) {
            const qint64 from = collect.reached;
            const int64_t cookie = nbd_aio_block_status(
                h, uint64_t(qMin(kStatusSpan, size - from)), uint64_t(from),
                nbd_extent_callback{callback, &collect, nullptr}, NBD_NULL_COMPLETION, 0);
            const QString what = QStringLiteral("reading the allocation map at %1").arg(from);
            if (cookie < 0)
                failCommand(h, what, nbd_get_errno());
            drive(h, [&] {
                const int r = nbd_aio_command_completed(h, uint64_t(cookie));
                if (r < 0)
                    failCommand(h, what, nbd_get_errno());
                return r == 1;
            }, what);
            if (collect.reached <= from)
                throw Error(QStringLiteral("%1: the server's allocation map made no progress at %2").arg(peer).arg(from),
                            ErrorKind::Storage);
        }
    } catch (...) {
        handle.reset();
        discard();
        throw;
    }
    release(std::move(handle));
    // The last reply may reach past the end.
    if (!collect.extents.isEmpty() && collect.extents.last().offset + collect.extents.last().length > size)
        collect.extents.last().length = size - collect.extents.last().offset;
    extentsCache = std::move(collect.extents);
    extentsDone = true;
    return extentsCache;
}

// ---------- NbdSource ----------

NbdSource::NbdSource(const NbdConnectionProperties &properties)
    : d(std::make_unique<NbdClient>(properties, false))
{
}

NbdSource::~NbdSource() = default;

qint64 NbdSource::size() const
{
    return d->size;
}

std::optional<QList<Extent>> NbdSource::allocatedExtents() const
{
    return d->extents();
}

qint64 NbdSource::readAt(char *buffer, qint64 length, qint64 offset)
{
    return d->transfer(NbdClient::Op::Read, buffer, length, offset);
}

QString NbdSource::description() const
{
    return d->peer;
}

int NbdSource::preferredConcurrentReads() const
{
    return d->maxConnections();
}

qint64 NbdSource::bytesTransferred() const
{
    return d->transferred;
}

int NbdSource::connectionCount() const
{
    std::lock_guard lock(d->poolMutex);
    return d->open;
}

void NbdClient::interrupt(const QString &reason)
{
    {
        std::lock_guard lock(interruptMutex);
        if (interrupted)
            return;
        interruptReason = reason;
    }
    interrupted = true;
}

void NbdSource::interrupt(const QString &reason)
{
    d->interrupt(reason);
}

// ---------- NbdSink ----------

NbdSink::NbdSink(const NbdConnectionProperties &properties)
    : d(std::make_unique<NbdClient>(properties, true))
{
}

NbdSink::~NbdSink() = default;

qint64 NbdSink::size() const
{
    return d->size;
}

void NbdSink::writeAt(const char *buffer, qint64 length, qint64 offset)
{
    if (offset + length > d->size)
        throw Error(QStringLiteral("%1: write of %2 bytes at %3 is past its end (%4 bytes)")
                        .arg(d->peer).arg(length).arg(offset).arg(d->size),
                    ErrorKind::Storage);
    d->transfer(NbdClient::Op::Write, const_cast<char *>(buffer), length, offset);
}

void NbdSink::writeZeroes(qint64 length, qint64 offset)
{
    if (d->canZero) {
        d->transfer(NbdClient::Op::Zero, nullptr, length, offset);
        return;
    }
    static const QByteArray zeroes(1 << 20, '\0');
    for (qint64 done = 0; done < length;) {
        const qint64 count = qMin<qint64>(zeroes.size(), length - done);
        d->transfer(NbdClient::Op::Write, const_cast<char *>(zeroes.constData()), count, offset + done);
        done += count;
    }
}

void NbdSink::finish()
{
    d->flushAll();
}

QString NbdSink::description() const
{
    return d->peer;
}

void NbdSink::interrupt(const QString &reason)
{
    d->interrupt(reason);
}

qint64 NbdSink::bytesTransferred() const
{
    return d->transferred;
}

} // namespace ndb
