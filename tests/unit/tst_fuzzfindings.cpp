// Defects the fuzz targets (tests/fuzz, issue #14) found, each pinned by a test on the real code
// path; the input that found it stays in tests/fuzz/corpus/<target>/ as well.
#include "backup/transfer.h"
#include "repository/chunkcodec.h"
#include "repository/chunkstore.h"
#include "repository/packformat.h"
#include "repository/repository.h"
#include "util/error.h"

#include <QDirIterator>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <limits>

using namespace ndb;

class TestFuzzFindings : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // fuzz.pack: an index entry claiming a raw size of 4 GiB made readChunk() allocate 4 GiB
    // before decoding; stored sizes and offsets were trusted likewise. (The bound is the largest
    // chunk size a container allows, 64 MiB: putChunk() accepts chunks above the container's own.) Such an index is now
    // corrupt, as a bad checksum is: its chunks read as missing and the warning names the entry.
    void packIndexEntryOutOfRangeIsRefused_data()
    {
        QTest::addColumn<quint64>("offset");
        QTest::addColumn<qint64>("storedDelta"); // added to the real stored size
        QTest::addColumn<quint32>("rawSize");    // 0: the real one
        QTest::newRow("raw size 4 GiB") << quint64(8) << qint64(0) << quint32(0xffffffffu);
        QTest::newRow("raw size above the largest chunk size") << quint64(8) << qint64(0) << quint32(64 * 1024 * 1024 + 1);
        QTest::newRow("stored larger than raw") << quint64(8) << qint64(4096) << quint32(0);
        QTest::newRow("offset past qint64") << quint64(std::numeric_limits<quint64>::max() - 16) << qint64(0) << quint32(0);
        QTest::newRow("offset inside the pack header") << quint64(0) << qint64(0) << quint32(0);
    }
    void packIndexEntryOutOfRangeIsRefused()
    {
        QFETCH(quint64, offset);
        QFETCH(qint64, storedDelta);
        QFETCH(quint32, rawSize);
        QTemporaryDir dir;
        RepositoryConfig config;
        config.chunkSize = 4096;
        QByteArray raw(4096, 'n');
        const QByteArray id = chunk::sha256(raw.constData(), raw.size());
        {
            std::unique_ptr<Repository> repository = Repository::openOrCreate(dir.path(), config);
            chunk::Compressor compressor(1);
            repository->putChunk(id, compressor.compress(raw.constData(), raw.size()), quint32(raw.size()));
            repository->flush();
            QCOMPARE(repository->readChunk(id), raw);
        }
        QDirIterator it(dir.path(), {QStringLiteral("*.idx")}, QDir::Files, QDirIterator::Subdirectories);
        QVERIFY(it.hasNext());
        QFile idx(it.next());
        QVERIFY(idx.open(QIODevice::ReadWrite));
        std::vector<pack::IndexEntry> entries = pack::decodeIndex(idx.readAll(), idx.fileName(), 4096);
        QCOMPARE(entries.size(), size_t(1));
        entries[0].offset = offset;
        entries[0].storedSize = quint32(entries[0].storedSize + storedDelta);
        if (rawSize)
            entries[0].rawSize = rawSize;
        QVERIFY(idx.resize(0) && idx.seek(0));
        QVERIFY(idx.write(pack::encodeIndex(entries)) > 0);
        idx.close();

        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("^Pack index .* is corrupt \\(entry 0: ")));
        std::unique_ptr<Repository> repository = Repository::open(dir.path());
        try {
            repository->readChunk(id);
            QFAIL("a chunk behind an impossible index entry was read");
        } catch (const chunk::ChunkError &error) {
            QCOMPARE(error.reason(), QStringLiteral("missing"));
        }
    }

    // fuzz.manifest: a manifest of size 2^63-1 (chunk list checksum intact) made verify and
    // restore compute its chunk count as size + chunkSize - 1: signed overflow (undefined; in
    // practice a negative count). Now it is refused with the count it should have listed.
    void manifestSizeNearInt64MaxIsRefused()
    {
        const QString source = qEnvironmentVariable("NDB_SOURCE_DIR");
        QVERIFY2(!source.isEmpty(), "NDB_SOURCE_DIR is not set (run through ctest)");
        QFile input(source + QStringLiteral("/tests/fuzz/corpus/manifest/size-int64-max"));
        QVERIFY2(input.open(QIODevice::ReadOnly), qPrintable(input.fileName() + QStringLiteral(": ") + input.errorString()));
        const Manifest manifest = ChunkStore::parseManifest(input.readAll(), input.fileName());
        QCOMPARE(manifest.size, std::numeric_limits<qint64>::max());
        QTemporaryDir dir;
        RepositoryConfig config;
        config.chunkSize = 4096;
        std::unique_ptr<Repository> repository = Repository::openOrCreate(dir.path(), config);
        try {
            verifyBackup(*repository, manifest, TransferOptions{});
            QFAIL("a manifest listing no chunks for 2^63-1 bytes was verified");
        } catch (const Error &error) {
            QVERIFY2(error.message().contains(QStringLiteral("lists 0 chunks for 9223372036854775807 bytes; expected 2251799813685248")),
                     qPrintable(error.message()));
        }
    }
};

QTEST_GUILESS_MAIN(TestFuzzFindings)
#include "tst_fuzzfindings.moc"
