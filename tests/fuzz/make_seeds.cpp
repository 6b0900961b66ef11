// Writes the fuzz targets' seed corpus from real project output: a container made by the
// repository code (config, manifest, pack, pack index, stored chunks), a settings file saved by
// EngineConfig, and lvm/device-mapper output as lvm 2.03 and the kernel print it.
//   ndb-fuzz-seeds <tests/fuzz/corpus>
#include "engine/engineconfig.h"
#include "repository/chunkcodec.h"
#include "repository/repository.h"

#include <QCoreApplication>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtEndian>

#include <cstdio>

using namespace ndb;

namespace {

QString g_out;

void put(const QString &target, const QString &name, const QByteArray &content)
{
    QDir().mkpath(g_out + QLatin1Char('/') + target);
    QFile f(g_out + QLatin1Char('/') + target + QLatin1Char('/') + name);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(content) != content.size())
        qFatal("cannot write %s", qPrintable(f.fileName()));
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return f.readAll();
}

QByteArray le32(quint32 v)
{
    QByteArray b(4, '\0');
    qToLittleEndian<quint32>(v, b.data());
    return b;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: ndb-fuzz-seeds <corpus directory>\n");
        return 2;
    }
    g_out = QString::fromLocal8Bit(argv[1]);
    QTemporaryDir tmp;

    // A container with one backup of three chunks: compressible, all zero, random (short).
    RepositoryConfig config;
    config.chunkSize = 4096;
    const QString dir = tmp.path() + QStringLiteral("/container");
    QByteArray compressible(4096, '\0');
    for (int i = 0; i < compressible.size(); ++i)
        compressible[i] = char('a' + (i / 64) % 4);
    QByteArray random(3996, '\0');
    QRandomGenerator rng(14);
    for (char &c : random)
        c = char(rng.bounded(256));
    {
        std::unique_ptr<Repository> repository = Repository::openOrCreate(dir, config);
        chunk::Compressor compressor(1);
        Manifest manifest;
        manifest.backupId = QStringLiteral("seed-backup");
        manifest.volumeId = QStringLiteral("vol-1");
        manifest.volumeName = QStringLiteral("db");
        manifest.size = 4096 * 2 + random.size();
        manifest.chunkSize = 4096;
        manifest.startedAt = QDateTime::fromSecsSinceEpoch(1790000000, Qt::UTC);
        manifest.finishedAt = manifest.startedAt.addSecs(3);
        manifest.extra.insert(QStringLiteral("path"), QStringLiteral("available"));
        for (const QByteArray &raw : {compressible, random}) {
            const QByteArray id = chunk::sha256(raw.constData(), raw.size());
            const QByteArray stored = compressor.compress(raw.constData(), raw.size()).toByteArray();
            manifest.storedBytes += repository->putChunk(id, stored, quint32(raw.size()));
            put(QStringLiteral("chunk"), raw.size() == 4096 ? QStringLiteral("zstd") : QStringLiteral("stored"),
                le32(quint32(raw.size())) + stored);
        }
        manifest.chunks = {chunk::sha256(compressible.constData(), compressible.size()), QByteArray(),
                           chunk::sha256(random.constData(), random.size())};
        repository->flush();
        repository->commitManifest(manifest);
    }
    put(QStringLiteral("repoconfig"), QStringLiteral("config"), readFile(dir + QStringLiteral("/config")));
    put(QStringLiteral("manifest"), QStringLiteral("seed-backup"), readFile(dir + QStringLiteral("/manifests/seed-backup")));
    QDirIterator it(dir + QStringLiteral("/packs"), {QStringLiteral("*.idx")}, QDir::Files, QDirIterator::Subdirectories);
    if (!it.hasNext())
        qFatal("the container has no pack index");
    const QString idxPath = it.next();
    const QByteArray index = readFile(idxPath);
    const QByteArray pack = readFile(idxPath.left(idxPath.size() - 4) + QStringLiteral(".pack"));
    put(QStringLiteral("packindex"), QStringLiteral("seed.idx"), index);
    const QByteArray body = index.left(index.size() - chunk::kIdSize); // fuzz_pack appends the checksum
    QByteArray length(2, '\0');
    qToLittleEndian<quint16>(quint16(body.size()), length.data());
    put(QStringLiteral("pack"), QStringLiteral("seed"), length + body + pack);

    EngineConfig engine = EngineConfig::defaults();
    engine.catalogPath = QStringLiteral("/var/lib/ndbackup/catalog.sqlite");
    engine.repositoryRoot = QStringLiteral("/srv/backup");
    engine.imagePools = {QStringLiteral("/srv/pool"), QStringLiteral("/srv/pool 2")};
    engine.lvmVolumeGroups = {QStringLiteral("ndbvg")};
    engine.preSnapshotHook = QStringLiteral("/usr/local/bin/quiesce");
    const QString ini = tmp.path() + QStringLiteral("/ndbackup.conf");
    engine.save(ini);
    put(QStringLiteral("settings"), QStringLiteral("ndbackup.conf"), readFile(ini));

    // `lvs --reportformat json --units b --nosuffix -o <driver fields> ndbvg`, lvm 2.03.
    put(QStringLiteral("lvmreport"), QStringLiteral("lvs.json"), QByteArrayLiteral(R"({
      "report": [
          {
              "lv": [
                  {"vg_name":"ndbvg", "lv_name":"c1", "lv_uuid":"NrpKQy-xAei-gw6r-G17l-CYup-XyZw-T0VORn", "lv_size":"33554432", "lv_attr":"-wi-ao----", "lv_tags":"", "origin":"", "pool_lv":"", "segtype":"linear", "vg_extent_size":"4194304", "vg_free":"511705088"},
                  {"vg_name":"ndbvg", "lv_name":"c4", "lv_uuid":"bbbbbb-bbbb-bbbb-bbbb-bbbb-bbbb-bbbbbb", "lv_size":"50331648", "lv_attr":"Vwi-a-tz--", "lv_tags":"", "origin":"", "pool_lv":"cpool", "segtype":"thin", "vg_extent_size":"4194304", "vg_free":"511705088"},
                  {"vg_name":"ndbvg", "lv_name":"ndbackup-snap-0a8b6674", "lv_uuid":"cccccc-cccc-cccc-cccc-cccc-cccc-cccccc", "lv_size":"33554432", "lv_attr":"swi-a-s---", "lv_tags":"other,ndbackup", "origin":"c1", "pool_lv":"", "segtype":"linear", "vg_extent_size":"4194304", "vg_free":"511705088"}
              ]
          }
      ]
  }
)"));
    // Status parameters of a dm "snapshot" target, as the kernel reports them.
    put(QStringLiteral("dmstatus"), QStringLiteral("valid"), QByteArrayLiteral("2048/8192 16"));
    put(QStringLiteral("dmstatus"), QStringLiteral("invalid"), QByteArrayLiteral("Invalid"));
    put(QStringLiteral("dmstatus"), QStringLiteral("merge-failed"), QByteArrayLiteral("Merge failed"));
    return 0;
}
