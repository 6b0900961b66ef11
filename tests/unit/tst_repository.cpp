// The chunk store: over the posix backend (config, chunks, manifests, crash safety, locking,
// concurrent writers, damaged containers, containers written before the backend split) and over
// an in-memory backend (it needs nothing of posix).
#include "repository/chunkcodec.h"
#include "repository/chunkstore.h"
#include "repository/packformat.h"
#include "repository/repository.h"
#include "support/childprocess.h"
#include "support/scratchfs.h"
#include "util/error.h"

#include <QDirIterator>
#include <QRandomGenerator>
#include <QThread>
#include <QTemporaryDir>
#include <QtTest>

#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <sys/mount.h>
#include <thread>
#include <unistd.h>

using namespace ndb;
using ndbtest::forkChild;
using ndbtest::waitForChild;

namespace {

QByteArray randomBytes(qsizetype size, quint32 seed)
{
    QByteArray data(size, Qt::Uninitialized);
    QRandomGenerator rng(seed);
    rng.fillRange(reinterpret_cast<quint32 *>(data.data()), size / 4);
    return data;
}

// Puts a raw chunk the way the pipeline does; returns its id.
QByteArray putRaw(Repository &repo, const QByteArray &raw, qint64 *added = nullptr)
{
    chunk::Compressor compressor(repo.config().compressionLevel);
    const QByteArray id = chunk::sha256(raw.constData(), raw.size());
    const qint64 n = repo.putChunk(id, compressor.compress(raw.constData(), raw.size()), quint32(raw.size()));
    if (added)
        *added = n;
    return id;
}

QStringList filesMatching(const QString &dir, const QString &pattern)
{
    QStringList out;
    QDirIterator it(dir, {pattern}, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext())
        out << it.next();
    return out;
}

Manifest manifestOf(const QString &backupId, const QList<QByteArray> &ids, quint32 chunkSize)
{
    Manifest m;
    m.backupId = backupId;
    m.volumeId = QStringLiteral("vol-1");
    m.volumeName = QStringLiteral("data");
    m.chunkSize = chunkSize;
    m.chunks = QVector<QByteArray>(ids.begin(), ids.end());
    m.size = qint64(ids.size()) * chunkSize;
    m.startedAt = QDateTime::currentDateTimeUtc();
    m.finishedAt = m.startedAt.addSecs(3);
    m.consistency = QStringLiteral("frozen-copy");
    m.extra.insert(QStringLiteral("path"), QStringLiteral("snapshot"));
    return m;
}

// An object backend in memory: our own interface, so a legitimate test double. Objects are
// visible only once put or finished, as on an object store. The state is shared so that a store
// can be reopened over the same objects.
struct MemoryObjects
{
    std::mutex mutex;
    std::map<QString, QByteArray> objects;
    int deferredSyncs = 0;
};

class MemoryBackend final : public ObjectBackend
{
public:
    explicit MemoryBackend(std::shared_ptr<MemoryObjects> objects) : m(std::move(objects)) {}
    QString location() const override { return QStringLiteral("memory:"); }
    QString describe(const QString &key) const override { return QStringLiteral("memory:") + key; }

    bool put(const QString &key, const QByteArray &data, Durability) override
    {
        std::lock_guard lock(m->mutex);
        return m->objects.try_emplace(key, data).second;
    }

    std::unique_ptr<ObjectWriter> create(const QString &key) override
    {
        struct Writer final : ObjectWriter
        {
            std::shared_ptr<MemoryObjects> m;
            QString key;
            std::mutex mutex;
            QByteArray data;
            void writeAt(const char *bytes, qint64 length, qint64 offset) override
            {
                std::lock_guard lock(mutex);
                if (data.size() < offset + length)
                    data.resize(offset + length);
                std::memcpy(data.data() + offset, bytes, size_t(length));
            }
            void finish() override
            {
                std::lock_guard lock(m->mutex);
                if (!m->objects.try_emplace(key, data).second)
                    throw Error(QStringLiteral("object %1 exists").arg(key));
            }
        };
        auto writer = std::make_unique<Writer>();
        writer->m = m;
        writer->key = key;
        return writer;
    }

    std::optional<QByteArray> get(const QString &key) const override
    {
        std::lock_guard lock(m->mutex);
        const auto it = m->objects.find(key);
        return it == m->objects.end() ? std::nullopt : std::optional<QByteArray>(it->second);
    }

    std::unique_ptr<ObjectReader> openReader(const QString &key) const override
    {
        struct Reader final : ObjectReader
        {
            QByteArray data;
            qint64 size() const override { return data.size(); }
            bool prefersAlignedReads() const override { return true; }
            qint64 read(char *buffer, qint64 length, qint64 offset, bool) const override
            {
                const qint64 n = qBound<qint64>(0, data.size() - offset, length);
                std::memcpy(buffer, data.constData() + offset, size_t(n));
                return n;
            }
        };
        auto reader = std::make_unique<Reader>();
        const std::optional<QByteArray> data = get(key);
        if (!data)
            throw Error(QStringLiteral("no object %1").arg(key));
        reader->data = *data;
        return reader;
    }

    std::optional<qint64> head(const QString &key) const override
    {
        const std::optional<QByteArray> data = get(key);
        return data ? std::optional<qint64>(data->size()) : std::nullopt;
    }

    QStringList list(const QString &prefix) const override
    {
        std::lock_guard lock(m->mutex);
        QStringList keys;
        for (const auto &[key, data] : m->objects) {
            if (key.startsWith(prefix))
                keys << key;
        }
        return keys;
    }

    void remove(const QString &key, Durability) override
    {
        std::lock_guard lock(m->mutex);
        m->objects.erase(key);
    }

    void syncDeferred() override
    {
        std::lock_guard lock(m->mutex);
        ++m->deferredSyncs;
    }

    void removeIncomplete() override {}

    qint64 storedBytes() const override
    {
        std::lock_guard lock(m->mutex);
        qint64 total = 0;
        for (const auto &[key, data] : m->objects)
            total += data.size();
        return total;
    }

private:
    std::shared_ptr<MemoryObjects> m;
};

class MemoryLock final : public RepositoryLock
{
public:
    void lockShared() override {}
    void lockExclusive(int) override {}
};

std::unique_ptr<Repository> openMemory(const std::shared_ptr<MemoryObjects> &objects,
                                       const RepositoryConfig *defaults = nullptr)
{
    return ChunkStore::open(std::make_unique<MemoryBackend>(objects), std::make_unique<MemoryLock>(), defaults);
}

// Cuts a file to half its length, like a crash or a full disk in the middle of writing it.
void truncateToHalf(const QString &path)
{
    QFile file(path);
    QVERIFY2(file.open(QIODevice::ReadWrite), qPrintable(path));
    QVERIFY(file.resize(file.size() / 2));
}

// Checks that `action` throws E with a message containing every one of `words`.
template<class E>
void expectThrows(const std::function<void()> &action, const QStringList &words)
{
    try {
        action();
        QFAIL("expected an exception");
    } catch (const E &e) {
        for (const QString &word : words)
            QVERIFY2(e.message().contains(word), qPrintable(e.message()));
    }
}

} // namespace

class TestRepository : public QObject
{
    Q_OBJECT

private slots:
    void createsConfigAndReopens()
    {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath(QStringLiteral("c1"));
        QVERIFY_THROWS_EXCEPTION(Error, Repository::open(dir));
        RepositoryConfig defaults;
        defaults.chunkSize = 64 * 1024;
        QString id;
        {
            auto repo = Repository::openOrCreate(dir, defaults);
            QCOMPARE(repo->config().chunkSize, 64u * 1024);
            id = repo->config().id;
            QVERIFY(!id.isEmpty());
        }
        QVERIFY(QFileInfo::exists(dir + QStringLiteral("/config")));
        auto again = Repository::openOrCreate(dir); // other defaults do not change an existing container
        QCOMPARE(again->config().chunkSize, 64u * 1024);
        QCOMPARE(again->config().id, id);
        QCOMPARE(Repository::open(dir)->config().id, id);
    }

    void putReadAndDedup()
    {
        QTemporaryDir tmp;
        auto repo = Repository::openOrCreate(tmp.path());
        const QByteArray text = QByteArray("the quick brown fox ").repeated(5000);
        const QByteArray noise = randomBytes(100000, 7);
        qint64 added = 0;
        const QByteArray textId = putRaw(*repo, text, &added);
        QVERIFY(added > 0 && added < text.size() / 10); // compressed
        const QByteArray noiseId = putRaw(*repo, noise, &added);
        QCOMPARE(added, noise.size()); // incompressible: stored raw
        putRaw(*repo, text, &added);
        QCOMPARE(added, 0); // dedup
        QVERIFY(repo->hasChunk(textId));
        QCOMPARE(repo->readChunk(textId), text); // readable before the pack is sealed
        repo->flush();
        QCOMPARE(repo->readChunk(noiseId), noise);

        auto reopened = Repository::open(tmp.path());
        QCOMPARE(reopened->readChunk(textId), text);
        const QByteArray unknown = chunk::sha256("nothing", 7);
        try {
            reopened->readChunk(unknown);
            QFAIL("reading a missing chunk must throw");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(chunkIdHex(unknown)), qPrintable(e.message()));
        }
    }

    void packsRotateAtTargetSize()
    {
        QTemporaryDir tmp;
        RepositoryConfig defaults;
        defaults.packTargetSize = 1024 * 1024;
        auto repo = Repository::openOrCreate(tmp.path(), defaults);
        QList<QByteArray> ids;
        for (int i = 0; i < 10; ++i)
            ids << putRaw(*repo, randomBytes(256 * 1024, 100 + i));
        repo->flush();
        const QStringList packs = filesMatching(tmp.path(), QStringLiteral("*.pack"));
        QCOMPARE(packs.size(), 3); // 4 + 4 + 2 chunks of 256 KiB
        QCOMPARE(filesMatching(tmp.path(), QStringLiteral("*.idx")).size(), 3);
        auto reopened = Repository::open(tmp.path());
        for (int i = 0; i < 10; ++i)
            QCOMPARE(reopened->readChunk(ids[i]), randomBytes(256 * 1024, 100 + i));
    }

    void manifestInvisibleUntilCommitted()
    {
        QTemporaryDir tmp;
        auto repo = Repository::openOrCreate(tmp.path());
        const quint32 cs = repo->config().chunkSize;
        const QByteArray a = putRaw(*repo, randomBytes(cs, 1));
        repo->flush();
        const Manifest m = manifestOf(QStringLiteral("b-1"), {a, QByteArray(), a}, cs);
        QVERIFY(repo->listBackups().isEmpty());
        QVERIFY(!repo->hasManifest(QStringLiteral("b-1")));
        QVERIFY_THROWS_EXCEPTION(Error, repo->readManifest(QStringLiteral("b-1")));
        repo->commitManifest(m);
        QCOMPARE(repo->listBackups(), QStringList{QStringLiteral("b-1")});
        QVERIFY(filesMatching(tmp.path(), QStringLiteral(".tmp-*")).isEmpty());

        const Manifest back = Repository::open(tmp.path())->readManifest(QStringLiteral("b-1"));
        QCOMPARE(back.chunks, m.chunks);
        QVERIFY(back.chunks[1].isEmpty());
        QCOMPARE(back.size, m.size);
        QCOMPARE(back.chunkSize, cs);
        QCOMPARE(back.volumeName, QStringLiteral("data"));
        QCOMPARE(back.startedAt, m.startedAt);
        QCOMPARE(back.extra.value(QStringLiteral("path")).toString(), QStringLiteral("snapshot"));
        QCOMPARE(back.consistency, QStringLiteral("frozen-copy"));

        QVERIFY_THROWS_EXCEPTION(Error, repo->commitManifest(m)); // never overwritten
        Manifest evil = m;
        evil.backupId = QStringLiteral("../escape");
        QVERIFY_THROWS_EXCEPTION(Error, repo->commitManifest(evil));
        QVERIFY_THROWS_EXCEPTION(Error, repo->readManifest(QStringLiteral("../config")));

        repo->deleteManifest(QStringLiteral("b-1"));
        QVERIFY(repo->listBackups().isEmpty());
        repo->deleteManifest(QStringLiteral("b-1")); // idempotent, for interrupted deletes
    }

    void corruptManifestIsRejected()
    {
        QTemporaryDir tmp;
        auto repo = Repository::openOrCreate(tmp.path());
        const QByteArray a = putRaw(*repo, randomBytes(4096, 3));
        repo->flush();
        repo->commitManifest(manifestOf(QStringLiteral("b-2"), {a}, repo->config().chunkSize));
        QFile file(tmp.filePath(QStringLiteral("manifests/b-2")));
        QVERIFY(file.open(QIODevice::ReadWrite));
        QByteArray json = file.readAll();
        const QByteArray b64 = a.toBase64();
        QVERIFY(json.contains(b64));
        QByteArray changed = b64;
        changed[3] = changed[3] == 'A' ? 'B' : 'A';
        json.replace(b64, changed);
        file.seek(0);
        file.write(json);
        file.close();
        QVERIFY_THROWS_EXCEPTION(Error, repo->readManifest(QStringLiteral("b-2")));
    }

    // A writer that dies before sealing leaves a pack without index: never trusted, gc removes it.
    void crashedWriterLeavesOnlyGarbage()
    {
        QTemporaryDir tmp;
        Repository::openOrCreate(tmp.path());
        // Three 2 MiB chunks: more than one 4 MiB write block, so part of the pack reaches the disk.
        QList<QByteArray> raws;
        for (int i = 0; i < 3; ++i)
            raws << randomBytes(2 * 1024 * 1024, 11 + i);
        QString why;
        const pid_t child = forkChild([&] {
            auto repo = Repository::open(tmp.path());
            for (const QByteArray &raw : std::as_const(raws))
                putRaw(*repo, raw);
            // Crash only once the first block is on disk (the writer thread is asynchronous).
            for (int wait = 0; wait < 500; ++wait) {
                const QStringList packs = filesMatching(tmp.path(), QStringLiteral("*.pack"));
                if (!packs.isEmpty() && QFileInfo(packs.first()).size() >= 4 * 1024 * 1024)
                    break;
                QThread::msleep(10);
            }
            _exit(0); // no destructor, no flush: like a crash
            return 0;
        }, &why);
        QVERIFY2(child > 0, qPrintable(why));
        QVERIFY2(waitForChild(child, 60000, &why), qPrintable(why));
        const QStringList packs = filesMatching(tmp.path(), QStringLiteral("*.pack"));
        QCOMPARE(packs.size(), 1);
        QCOMPARE(filesMatching(tmp.path(), QStringLiteral("*.idx")).size(), 0);
        const qint64 packSize = QFileInfo(packs.first()).size();
        QVERIFY2(packSize >= 4 * 1024 * 1024, qPrintable(QString::number(packSize)));

        auto repo = Repository::open(tmp.path());
        const QByteArray id = chunk::sha256(raws[0].constData(), raws[0].size());
        QVERIFY(!repo->hasChunk(id));
        QVERIFY_THROWS_EXCEPTION(Error, repo->readChunk(id));
        const GcReport gc = repo->collectGarbage();
        QVERIFY2(gc.bytesFreed >= packSize, qPrintable(QString::number(gc.bytesFreed)));
        QCOMPARE(filesMatching(tmp.path(), QStringLiteral("*.pack")).size(), 0);
    }

    // Reading back a chunk that is not on disk yet seals its pack, but must not swallow a write
    // error that flush() has to report: otherwise a manifest could follow a failed pack.
    void readBackKeepsTheWriteErrorForFlush()
    {
        QTemporaryDir tmp;
        std::optional<ndbtest::MemoryFilesystem> smallDisk;
        NDB_TRY(smallDisk.emplace(tmp.filePath(QStringLiteral("mnt")), QStringLiteral("tmpfs"), QStringLiteral("size=6m")));
        auto repo = Repository::openOrCreate(smallDisk->mountPoint() + QStringLiteral("/c"));
        QByteArray lastId;
        try {
            for (int i = 0; i < 12; ++i) // 12 MiB into a 6 MiB disk
                lastId = putRaw(*repo, randomBytes(1024 * 1024, 300 + i));
        } catch (const Error &) {
            // the writer's error may already stop the puts; flush() must still report it
        }
        QVERIFY(!lastId.isEmpty());
        QVERIFY_THROWS_EXCEPTION(Error, repo->readChunk(lastId));
        try {
            repo->flush();
            QFAIL("flush() after a failed pack write must throw");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(QStringLiteral("No space left")) || e.message().contains(QStringLiteral("incomplete")),
                     qPrintable(e.message()));
        }
        QCOMPARE(filesMatching(repo->path(), QStringLiteral("*.idx")).size(), 0);
    }

    // gc needs the container alone: it waits for other users and gives up with a clear message.
    void gcWaitsForOtherUsers()
    {
        QTemporaryDir tmp;
        auto gcSide = Repository::openOrCreate(tmp.path());
        gcSide->setLockTimeout(300);
        {
            auto backupSide = Repository::open(tmp.path());
            try {
                gcSide->collectGarbage();
                QFAIL("gc must not run while another user holds the container");
            } catch (const Error &e) {
                QVERIFY2(e.message().contains(QStringLiteral("in use")), qPrintable(e.message()));
            }
            // The failed attempt must not have dropped our shared lock for good.
            putRaw(*gcSide, randomBytes(4096, 5));
        }
        gcSide->collectGarbage(); // alone now
    }

    // The chunk store needs nothing of posix: backup, dedup, read, verify, delete and gc over
    // objects in memory, in the same format (pack and index objects decode as on disk).
    void chunkStoreOverAnyBackend()
    {
        auto objects = std::make_shared<MemoryObjects>();
        RepositoryConfig defaults;
        defaults.packTargetSize = 1024 * 1024;
        QList<QByteArray> ids;
        {
            auto repo = openMemory(objects, &defaults);
            const QByteArray text = QByteArray("compressible text ").repeated(15000);
            for (int i = 0; i < 10; ++i)
                ids << putRaw(*repo, randomBytes(256 * 1024, 700 + i));
            ids << putRaw(*repo, text);
            qint64 added = -1;
            putRaw(*repo, text, &added);
            QCOMPARE(added, 0); // dedup
            repo->flush();
            QVERIFY(objects->deferredSyncs > 0); // indexes were made durable before any manifest
            repo->commitManifest(manifestOf(QStringLiteral("keep"), ids.mid(0, 5) + QList<QByteArray>{ids[10]}, 256 * 1024));
            repo->commitManifest(manifestOf(QStringLiteral("drop"), ids.mid(5, 5), 256 * 1024));
        }
        int packs = 0;
        for (const auto &[key, data] : objects->objects) {
            QVERIFY2(key == QLatin1String("config") || key.startsWith(QLatin1String("manifests/"))
                         || key.startsWith(QLatin1String("packs/")),
                     qPrintable(key));
            if (key.endsWith(QLatin1String(".pack"))) {
                ++packs;
                QVERIFY(data.startsWith(QByteArray(pack::kPackMagic, sizeof pack::kPackMagic)));
                QString idx = key;
                idx.replace(QLatin1String(".pack"), QLatin1String(".idx"));
                QVERIFY2(objects->objects.count(idx), qPrintable(idx));
                QVERIFY(!pack::decodeIndex(objects->objects[idx], idx).empty());
            }
        }
        QVERIFY2(packs >= 3, qPrintable(QString::number(packs)));

        auto repo = openMemory(objects); // reopened: everything comes from the objects
        QCOMPARE(repo->listBackups(), (QStringList{QStringLiteral("drop"), QStringLiteral("keep")}));
        for (int i = 0; i < 10; ++i) {
            QCOMPARE(repo->readChunk(ids[i]), randomBytes(256 * 1024, 700 + i));
            repo->checkChunk(ids[i], 256 * 1024);
        }
        QByteArray out(256 * 1024, Qt::Uninitialized);
        repo->readChunkInto(ids[3], out.data(), out.size());
        QCOMPARE(out, randomBytes(256 * 1024, 703));

        repo->deleteManifest(QStringLiteral("drop"));
        const GcReport gc = repo->collectGarbage();
        QCOMPARE(gc.chunksRemoved, 5);
        QVERIFY(gc.bytesFreed >= 5 * 256 * 1024);
        QVERIFY(gc.skippedManifests.isEmpty());
        auto after = openMemory(objects);
        for (const QByteArray &id : after->readManifest(QStringLiteral("keep")).chunks)
            QVERIFY(!after->readChunk(id).isEmpty());
        QVERIFY(!after->hasChunk(ids[7]));
    }

    // A container written by the posix repository before the chunk store was split from it
    // (tests/unit/data/presplit-container, written by that code) opens, reads, verifies, takes
    // new chunks and collects garbage unchanged.
    void opensContainerWrittenBeforeTheSplit()
    {
        const QString source = qEnvironmentVariable("NDB_SOURCE_DIR") + QStringLiteral("/tests/unit/data/presplit-container");
        QVERIFY2(QFileInfo::exists(source + QStringLiteral("/config")), qPrintable(source + " is missing (NDB_SOURCE_DIR?)"));
        QTemporaryDir tmp;
        const QString dir = tmp.filePath(QStringLiteral("c"));
        QDirIterator it(source, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString file = it.next();
            const QString target = dir + file.mid(source.size());
            QVERIFY(QDir().mkpath(QFileInfo(target).absolutePath()));
            QVERIFY(QFile::copy(file, target));
            QVERIFY(QFile::setPermissions(target, QFile::ReadOwner | QFile::WriteOwner));
        }
        auto repo = Repository::open(dir);
        QCOMPARE(repo->config().chunkSize, 65536u);
        QCOMPARE(repo->listBackups(), QStringList{QStringLiteral("presplit")});
        const Manifest m = repo->readManifest(QStringLiteral("presplit"));
        QCOMPARE(m.size, 262144);
        QCOMPARE(m.consistency, QStringLiteral("unknown")); // written before manifests recorded it
        QCOMPARE(m.chunks.size(), 4);
        QVERIFY(m.chunks[1].isEmpty()); // the zero chunk
        QByteArray image;
        for (const QByteArray &id : m.chunks) {
            if (id.isEmpty()) {
                image += QByteArray(65536, '\0');
                continue;
            }
            repo->checkChunk(id, 65536);
            image += repo->readChunk(id);
        }
        QCOMPARE(chunk::sha256(image.constData(), image.size()).toHex(),
                 QByteArray("da93e153ee89b56a234b15df5fd34fdde901fbba3239e628944e50fa37f07d1d"));

        const QByteArray added = putRaw(*repo, randomBytes(65536, 9));
        repo->flush();
        repo->commitManifest(manifestOf(QStringLiteral("after"), {added, m.chunks[0]}, 65536));
        repo->collectGarbage();
        auto reopened = Repository::open(dir);
        QCOMPARE(reopened->readChunk(added), randomBytes(65536, 9));
        QCOMPARE(reopened->readChunk(m.chunks[2]).size(), 65536);
    }

    // A missing or damaged container says what is wrong; a damaged one is never "repaired" by
    // writing a new config over it.
    void damagedContainerSaysWhatIsWrong()
    {
        QTemporaryDir tmp;
        const QString missing = tmp.filePath(QStringLiteral("nothing-here"));
        expectThrows<NotFoundError>([&] { Repository::open(missing); }, {QStringLiteral("does not exist")});
        QVERIFY(!Repository::exists(missing));
        const QString empty = tmp.filePath(QStringLiteral("empty"));
        QVERIFY(QDir().mkpath(empty));
        expectThrows<NotFoundError>([&] { Repository::open(empty); }, {QStringLiteral("no configuration")});
        QVERIFY(!Repository::exists(empty));

        const QString dir = tmp.filePath(QStringLiteral("c"));
        {
            auto repo = Repository::openOrCreate(dir);
            const QByteArray a = putRaw(*repo, randomBytes(4096, 3));
            repo->flush();
            repo->commitManifest(manifestOf(QStringLiteral("b-1"), {a}, repo->config().chunkSize));
        }
        QFile config(dir + QStringLiteral("/config"));
        QVERIFY(config.open(QIODevice::ReadOnly));
        const QByteArray goodConfig = config.readAll();
        config.close();

        QVERIFY(QFile::remove(dir + QStringLiteral("/config")));
        QVERIFY(Repository::exists(dir));
        const QStringList lostConfig{QStringLiteral("damaged"), QStringLiteral("config")};
        expectThrows<CorruptDataError>([&] { Repository::open(dir); }, lostConfig);
        expectThrows<CorruptDataError>([&] { Repository::openOrCreate(dir); }, lostConfig);
        QVERIFY(!QFileInfo::exists(dir + QStringLiteral("/config"))); // no new config over old data

        QVERIFY(config.open(QIODevice::WriteOnly));
        config.write("{\"chunkSize\": 65536, gar");
        config.close();
        QVERIFY_THROWS_EXCEPTION(CorruptDataError, Repository::open(dir));

        QVERIFY(config.open(QIODevice::WriteOnly));
        config.write(goodConfig);
        config.close();
        truncateToHalf(dir + QStringLiteral("/manifests/b-1"));
        auto repo = Repository::open(dir);
        expectThrows<CorruptDataError>([&] { repo->readManifest(QStringLiteral("b-1")); }, {QStringLiteral("damaged")});
    }

    // A read-only container still restores and verifies; writing to it says why it fails and
    // what to do.
    void readOnlyContainerSaysWhy()
    {
        QTemporaryDir tmp;
        std::optional<ndbtest::MemoryFilesystem> disk;
        NDB_TRY(disk.emplace(tmp.filePath(QStringLiteral("mnt")), QStringLiteral("tmpfs"), QStringLiteral("size=8m")));
        const QString dir = disk->mountPoint() + QStringLiteral("/c");
        QByteArray id;
        {
            auto repo = Repository::openOrCreate(dir);
            id = putRaw(*repo, randomBytes(4096, 77));
            repo->flush();
            repo->commitManifest(manifestOf(QStringLiteral("b-1"), {id}, repo->config().chunkSize));
        }
        QVERIFY2(::mount(nullptr, QFile::encodeName(disk->mountPoint()).constData(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) == 0,
                 strerror(errno));
        auto repo = Repository::open(dir);
        QCOMPARE(repo->readChunk(id), randomBytes(4096, 77));
        QCOMPARE(repo->listBackups(), QStringList{QStringLiteral("b-1")});
        const QStringList why{QStringLiteral("Read-only file system"), QStringLiteral("not writable")};
        expectThrows<Error>([&] {
            putRaw(*repo, randomBytes(4096, 78));
            repo->flush();
        }, why);
        expectThrows<Error>([&] { Repository::openOrCreate(disk->mountPoint() + QStringLiteral("/new")); }, why);
    }

    // A damaged manifest does not stop gc; gc reports it and, not knowing what it references,
    // keeps every pack.
    void gcSkipsDamagedManifestAndKeepsEveryPack()
    {
        QTemporaryDir tmp;
        RepositoryConfig defaults;
        defaults.packTargetSize = 256 * 1024;
        auto repo = Repository::openOrCreate(tmp.path(), defaults);
        const quint32 cs = repo->config().chunkSize;
        const QByteArray a = putRaw(*repo, randomBytes(cs, 41));
        repo->flush();
        const QByteArray b = putRaw(*repo, randomBytes(cs, 42));
        repo->flush();
        repo->commitManifest(manifestOf(QStringLiteral("a"), {a}, cs));
        repo->commitManifest(manifestOf(QStringLiteral("b"), {b}, cs));
        QCOMPARE(filesMatching(tmp.path(), QStringLiteral("*.pack")).size(), 2);
        repo->deleteManifest(QStringLiteral("a"));
        truncateToHalf(tmp.filePath(QStringLiteral("manifests/b")));

        const GcReport gc = repo->collectGarbage();
        QCOMPARE(gc.skippedManifests.size(), 1);
        QCOMPARE(gc.skippedManifests.first().backupId, QStringLiteral("b"));
        QVERIFY2(gc.skippedManifests.first().reason.contains(QStringLiteral("damaged")),
                 qPrintable(gc.skippedManifests.first().reason));
        QCOMPARE(gc.chunksRemoved, 0);
        QCOMPARE(filesMatching(tmp.path(), QStringLiteral("*.pack")).size(), 2);
        QCOMPARE(repo->readChunk(b), randomBytes(cs, 42));

        repo->deleteManifest(QStringLiteral("b")); // given up: now gc frees both
        const GcReport again = repo->collectGarbage();
        QVERIFY(again.skippedManifests.isEmpty());
        QCOMPARE(again.chunksRemoved, 2);
        QCOMPARE(filesMatching(tmp.path(), QStringLiteral("*.pack")).size(), 0);
    }

    // Several threads with their own Repository objects, and several processes, on one container.
    void concurrentWriters()
    {
        QTemporaryDir tmp;
        RepositoryConfig defaults;
        defaults.packTargetSize = 512 * 1024;
        Repository::openOrCreate(tmp.path(), defaults);
        constexpr int kThreads = 4, kChunks = 40;
        auto writeSet = [&](int writer) {
            auto repo = Repository::open(tmp.path());
            QList<QByteArray> ids;
            for (int i = 0; i < kChunks; ++i) // half shared by every writer, half its own
                ids << putRaw(*repo, randomBytes(64 * 1024, i % 2 ? 1000 + i : 5000 + writer * 100 + i));
            repo->flush();
            repo->commitManifest(manifestOf(QStringLiteral("w%1").arg(writer), ids, repo->config().chunkSize));
        };
        // Fork first: a child must not inherit locks held by this process's writer threads.
        std::vector<pid_t> children;
        for (int p = 0; p < 2; ++p) {
            QString why;
            const pid_t child = forkChild([&] { writeSet(kThreads + p); return 0; }, &why);
            QVERIFY2(child > 0, qPrintable(why));
            children.push_back(child);
        }
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&, t] { writeSet(t); });
        for (auto &thread : threads)
            thread.join();
        for (pid_t child : children) {
            QString why;
            QVERIFY2(waitForChild(child, 120000, &why), qPrintable(why));
        }
        auto repo = Repository::open(tmp.path());
        QCOMPARE(repo->listBackups().size(), kThreads + 2);
        for (int w = 0; w < kThreads + 2; ++w) {
            const Manifest m = repo->readManifest(QStringLiteral("w%1").arg(w));
            for (int i = 0; i < kChunks; ++i)
                QCOMPARE(repo->readChunk(m.chunks[i]), randomBytes(64 * 1024, i % 2 ? 1000 + i : 5000 + w * 100 + i));
        }
        // gc keeps everything that is referenced.
        repo->collectGarbage();
        auto after = Repository::open(tmp.path());
        for (int w = 0; w < kThreads + 2; ++w) {
            const Manifest m = after->readManifest(QStringLiteral("w%1").arg(w));
            for (const QByteArray &id : m.chunks)
                QVERIFY(!after->readChunk(id).isEmpty());
        }
    }
};

QTEST_GUILESS_MAIN(TestRepository)
#include "tst_repository.moc"
