// Sources as the drivers hand them out: a sparse image file reports its allocation map and the
// pipeline never reads its holes; the snapshot health check never runs on a reader thread.
#include "backup/transfer.h"
#include "util/error.h"
#include "volumes/blockdevice.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <fcntl.h>
#include <unistd.h>

#include <mutex>
#include <set>
#include <thread>

using namespace ndb;

namespace {

constexpr qint64 MiB = 1024 * 1024;

// Forwards to another source and counts the bytes it was asked to read.
class CountingSource final : public BlockSource
{
public:
    explicit CountingSource(std::unique_ptr<BlockSource> inner, bool forwardMap = true)
        : m_inner(std::move(inner)), m_forwardMap(forwardMap) {}
    qint64 size() const override { return m_inner->size(); }
    std::optional<QList<Extent>> allocatedExtents() const override
    {
        return m_forwardMap ? m_inner->allocatedExtents() : std::nullopt;
    }
    qint64 readAt(char *buffer, qint64 length, qint64 offset) override
    {
        bytesRead += length;
        return m_inner->readAt(buffer, length, offset);
    }
    QString description() const override { return m_inner->description(); }
    std::atomic<qint64> bytesRead{0};

private:
    std::unique_ptr<BlockSource> m_inner;
    bool m_forwardMap;
};

// Zeroes of `size` bytes, slow enough for the pipeline's supervisor to tick while it reads.
class SlowZeroSource final : public BlockSource
{
public:
    explicit SlowZeroSource(qint64 size) : m_size(size) {}
    qint64 size() const override { return m_size; }
    qint64 readAt(char *buffer, qint64 length, qint64 offset) override
    {
        std::this_thread::sleep_for(std::chrono::milliseconds(15));
        length = qMin(length, m_size - offset);
        memset(buffer, 0, size_t(length));
        return length;
    }
    QString description() const override { return QStringLiteral("zeroes"); }

private:
    qint64 m_size;
};

void writeAt(int fd, qint64 offset, qint64 length, char fill)
{
    const QByteArray data(int(length), fill);
    QCOMPARE(::pwrite(fd, data.constData(), size_t(length), offset), ssize_t(length));
}

} // namespace

class TestReaders : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void sparseSourceHolesAreNotRead()
    {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString image = tmp.filePath(QStringLiteral("sparse.img"));
        const qint64 size = 96 * MiB;
        {
            const int fd = ::open(QFile::encodeName(image).constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            QVERIFY(fd >= 0);
            QCOMPARE(::ftruncate(fd, size), 0);
            writeAt(fd, 0, 1 * MiB, 'a');
            writeAt(fd, 40 * MiB + 8192, 300 * 1024, 'b');
            writeAt(fd, size - 4096, 4096, 'c');
            QCOMPARE(::fsync(fd), 0);
            ::close(fd);
        }

        CountingSource sparse(openFileSource(image));
        const std::optional<QList<Extent>> map = sparse.allocatedExtents();
        QVERIFY2(map.has_value(), "a regular file must report its allocation map");
        qint64 allocated = 0;
        for (const Extent &e : *map)
            allocated += e.length;
        QVERIFY2(allocated > 0 && allocated < 8 * MiB, qPrintable(QStringLiteral("allocated %1 bytes").arg(allocated)));

        auto repo = Repository::openOrCreate(tmp.filePath(QStringLiteral("c")));
        Manifest sparseManifest;
        sparseManifest.backupId = QStringLiteral("sparse");
        TransferOptions options;
        options.threads = 2;
        const TransferStats stats = backupToRepository(sparse, *repo, sparseManifest, options);
        QCOMPARE(stats.bytes, size);
        // Only the allocated extents (widened to 4 KiB) were read, never the holes.
        QVERIFY2(sparse.bytesRead.load() <= allocated + 2 * 4096 * map->size(),
                 qPrintable(QStringLiteral("read %1 bytes of which %2 are allocated").arg(sparse.bytesRead.load()).arg(allocated)));
        QVERIFY(sparse.bytesRead.load() >= 1 * MiB + 300 * 1024 + 4096);

        // The same chunks as reading every byte.
        CountingSource dense(openFileSource(image), false);
        Manifest denseManifest;
        denseManifest.backupId = QStringLiteral("dense");
        const TransferStats denseStats = backupToRepository(dense, *repo, denseManifest, options);
        QCOMPARE(dense.bytesRead.load(), size);
        QCOMPARE(sparseManifest.chunks, denseManifest.chunks);
        QCOMPARE(stats.chunksZero, denseStats.chunksZero);
        QVERIFY(stats.chunksZero > 0);
    }

    void healthCheckRunsOnTheCallingThreadOnly()
    {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        auto repo = Repository::openOrCreate(tmp.filePath(QStringLiteral("c")));
        SlowZeroSource source(320 * MiB);
        std::mutex mutex;
        std::set<std::thread::id> threads;
        int calls = 0;
        TransferOptions options;
        options.threads = 2;
        options.healthCheck = [&] {
            std::lock_guard lock(mutex);
            threads.insert(std::this_thread::get_id());
            ++calls;
        };
        Manifest manifest;
        manifest.backupId = QStringLiteral("zeroes");
        backupToRepository(source, *repo, manifest, options);
        QVERIFY2(calls >= 2, qPrintable(QStringLiteral("health checked %1 times; expected during the read and at the end").arg(calls)));
        QCOMPARE(threads.size(), size_t(1));
        QVERIFY2(*threads.begin() == std::this_thread::get_id(), "the health check ran on a reader thread");
    }

    void failingHealthCheckStopsTheTransfer()
    {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        auto repo = Repository::openOrCreate(tmp.filePath(QStringLiteral("c")));
        SlowZeroSource source(320 * MiB);
        TransferOptions options;
        options.threads = 2;
        options.healthCheck = [] { throw Error(QStringLiteral("snapshot invalidated: copy-on-write area full")); };
        Manifest manifest;
        manifest.backupId = QStringLiteral("bad");
        try {
            backupToRepository(source, *repo, manifest, options);
            QFAIL("a failing health check must abort the transfer");
        } catch (const Error &e) {
            QCOMPARE(e.message(), QStringLiteral("snapshot invalidated: copy-on-write area full"));
        }
    }
};

QTEST_GUILESS_MAIN(TestReaders)
#include "tst_readers.moc"
