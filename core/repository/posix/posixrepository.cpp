#include "repository/posix/posixrepository.h"

#include "repository/chunkcodec.h"
#include "repository/posix/fileio.h"
#include "util/error.h"
#include "util/names.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>
#include <QThread>
#include <QUuid>
#include <QtEndian>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_set>

namespace ndb {

using namespace fileio;

namespace {

constexpr auto kFormatName = "ndbackup-repository";
// A pack is rewritten by gc when at least this share of its bytes belongs to no backup.
constexpr double kRepackDeadShare = 0.10;

PosixRepository::Key keyOf(const QByteArray &id)
{
    if (id.size() != chunk::kIdSize)
        throw Error(QStringLiteral("Invalid chunk id of %1 bytes").arg(id.size()));
    PosixRepository::Key key;
    std::memcpy(key.bytes.data(), id.constData(), chunk::kIdSize);
    return key;
}

QByteArray idOf(const PosixRepository::Key &key)
{
    return QByteArray(reinterpret_cast<const char *>(key.bytes.data()), chunk::kIdSize);
}

QString newPackName()
{
    return QUuid::createUuid().toString(QUuid::Id128);
}

bool isPackName(const QString &name)
{
    static const QRegularExpression re(QStringLiteral("^[0-9a-f]{32}$"));
    return re.match(name).hasMatch();
}

} // namespace

QString chunkIdHex(const QByteArray &id)
{
    return QString::fromLatin1(id.toHex());
}

std::unique_ptr<Repository> Repository::openOrCreate(const QString &directory,
                                                     const RepositoryConfig &defaults)
{
    return PosixRepository::openDirectory(directory, &defaults);
}

std::unique_ptr<Repository> Repository::open(const QString &directory)
{
    return PosixRepository::openDirectory(directory, nullptr);
}

std::unique_ptr<Repository> PosixRepository::openDirectory(const QString &directory,
                                                           const RepositoryConfig *createDefaults)
{
    if (directory.isEmpty())
        throw Error(QStringLiteral("No container directory given"));
    const QString dir = QDir(directory).absolutePath();
    if (!QFileInfo::exists(dir + QStringLiteral("/config"))) {
        if (!createDefaults)
            throw Error(QStringLiteral("There is no container at %1").arg(dir));
        makeDirectory(dir);
    }
    std::unique_ptr<PosixRepository> repo(new PosixRepository(dir));
    if (!QFileInfo::exists(dir + QStringLiteral("/config")))
        repo->createConfig(*createDefaults);
    repo->loadConfig();
    makeDirectory(dir + QStringLiteral("/packs"));
    makeDirectory(dir + QStringLiteral("/manifests"));

    const QString lockPath = dir + QStringLiteral("/lock");
    repo->m_lockFd = ::open(native(lockPath).constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (repo->m_lockFd < 0)
        throw Error(QStringLiteral("Cannot open %1: %2").arg(lockPath, errnoText(errno)));
    repo->lockShared();
    repo->refreshIndex();
    return repo;
}

PosixRepository::PosixRepository(const QString &directory) : m_path(directory) {}

PosixRepository::~PosixRepository()
{
    try {
        flush();
    } catch (...) {
        // An unsealed pack is garbage by definition; nothing references it.
    }
    if (m_lockFd >= 0)
        ::close(m_lockFd); // releases the flock
}

void PosixRepository::createConfig(const RepositoryConfig &defaults)
{
    QJsonObject json{
        {QStringLiteral("format"), QLatin1String(kFormatName)},
        {QStringLiteral("formatVersion"), defaults.formatVersion},
        {QStringLiteral("id"), defaults.id.isEmpty() ? QUuid::createUuid().toString(QUuid::WithoutBraces) : defaults.id},
        {QStringLiteral("chunkSize"), qint64(defaults.chunkSize)},
        {QStringLiteral("compressionLevel"), defaults.compressionLevel},
        {QStringLiteral("packTargetSize"), defaults.packTargetSize},
    };
    try {
        // link() instead of rename(): of two processes creating the container, one config wins.
        writeFileAtomically(m_path + QStringLiteral("/config"),
                            QJsonDocument(json).toJson(QJsonDocument::Indented), false);
    } catch (const Error &) {
        if (!QFileInfo::exists(m_path + QStringLiteral("/config")))
            throw;
    }
}

void PosixRepository::loadConfig()
{
    const QString file = m_path + QStringLiteral("/config");
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(readWholeFile(file), &parseError);
    const QJsonObject json = doc.object();
    if (doc.isNull() || json.value(QStringLiteral("format")).toString() != QLatin1String(kFormatName))
        throw Error(QStringLiteral("%1 is not an ndbackup container configuration").arg(file));
    m_config.formatVersion = json.value(QStringLiteral("formatVersion")).toInt();
    m_config.id = json.value(QStringLiteral("id")).toString();
    m_config.chunkSize = quint32(json.value(QStringLiteral("chunkSize")).toInteger());
    m_config.compressionLevel = json.value(QStringLiteral("compressionLevel")).toInt(1);
    m_config.packTargetSize = json.value(QStringLiteral("packTargetSize")).toInteger();
    if (m_config.formatVersion != 1)
        throw Error(QStringLiteral("Container %1 has format version %2; this version of ndbackup reads version 1")
                        .arg(m_path).arg(m_config.formatVersion));
    if (m_config.chunkSize < 4096 || m_config.chunkSize > 64u * 1024 * 1024 || m_config.chunkSize % 4096)
        throw Error(QStringLiteral("Container %1 has an invalid chunk size %2").arg(m_path).arg(m_config.chunkSize));
    if (m_config.packTargetSize < m_config.chunkSize)
        m_config.packTargetSize = m_config.chunkSize;
}

void PosixRepository::lockShared()
{
    while (::flock(m_lockFd, LOCK_SH) != 0) {
        if (errno != EINTR)
            throw Error(QStringLiteral("Cannot lock container %1: %2").arg(m_path, errnoText(errno)));
    }
}

void PosixRepository::lockExclusive()
{
    // Converting a shared flock drops it first when the conversion fails, so re-take it.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(m_lockTimeoutMsec);
    for (;;) {
        if (::flock(m_lockFd, LOCK_EX | LOCK_NB) == 0)
            return;
        if (errno != EWOULDBLOCK && errno != EINTR)
            throw Error(QStringLiteral("Cannot lock container %1: %2").arg(m_path, errnoText(errno)));
        lockShared();
        if (std::chrono::steady_clock::now() >= deadline)
            throw Error(QStringLiteral("Container %1 is in use by a running backup, restore or verification; "
                                       "garbage collection did not run. Try again when it has finished.")
                            .arg(m_path));
        QThread::msleep(100);
    }
}

QString PosixRepository::packPath(const QString &packName, const char *suffix) const
{
    return m_path + QStringLiteral("/packs/") + packName.left(2) + QLatin1Char('/') + packName
        + QLatin1String(suffix);
}

std::vector<PosixRepository::IndexEntry> PosixRepository::readIndexFile(const QString &packName) const
{
    const QString file = packPath(packName, ".idx");
    return pack::decodeIndex(readWholeFile(file), file);
}

void PosixRepository::loadIndexFile(const QString &packName) const
{
    std::vector<IndexEntry> entries;
    try {
        entries = readIndexFile(packName);
    } catch (const Error &error) {
        qWarning("%s", error.what()); // its chunks show as missing in verify; gc leaves it alone
        return;
    }
    const quint32 number = quint32(m_packNames.size());
    m_packNames.append(packName);
    m_packNumbers.insert(packName, number);
    for (const IndexEntry &entry : entries)
        m_index.try_emplace(entry.id, Location{entry.offset, number, entry.storedSize, entry.rawSize});
}

void PosixRepository::refreshIndex() const
{
    QStringList found;
    QDirIterator it(m_path + QStringLiteral("/packs"), {QStringLiteral("*.idx")}, QDir::Files,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        const QString name = it.fileInfo().completeBaseName();
        if (isPackName(name))
            found.append(name);
    }
    std::lock_guard lock(m_mutex);
    for (const QString &name : std::as_const(found)) {
        if (!m_packNumbers.contains(name))
            loadIndexFile(name);
    }
}

bool PosixRepository::hasChunk(const QByteArray &id) const
{
    const Key key = keyOf(id);
    std::lock_guard lock(m_mutex);
    return m_index.find(key) != m_index.end();
}

void PosixRepository::appendLocked(const Key &key, const char *data, quint32 storedSize, quint32 rawSize,
                                   bool replaceLocation)
{
    if (!m_open) {
        const QString name = newPackName();
        makeDirectory(m_path + QStringLiteral("/packs/") + name.left(2));
        const quint32 number = quint32(m_packNames.size());
        m_open = m_writer.create(number, packPath(name, ".pack"),
                                 QByteArray::fromRawData(pack::kPackMagic, sizeof pack::kPackMagic));
        m_packNames.append(name);
        m_packNumbers.insert(name, number);
    }
    const quint64 offset = quint64(m_writer.append(*m_open, key, data, storedSize, rawSize));
    const Location location{offset, m_open->number(), storedSize, rawSize};
    if (replaceLocation)
        m_index.insert_or_assign(key, location);
    else
        m_index.try_emplace(key, location);
    if (m_open->size() >= m_config.packTargetSize)
        m_writer.seal(std::move(m_open)); // the caller waits for seal capacity after unlocking
}

qint64 PosixRepository::putChunk(const QByteArray &id, QByteArrayView stored, quint32 rawSize)
{
    const Key key = keyOf(id);
    if (stored.size() > qsizetype(rawSize))
        throw Error(QStringLiteral("Chunk %1 is stored larger than its raw size").arg(chunkIdHex(id)));
    {
        std::lock_guard lock(m_mutex);
        if (m_index.find(key) != m_index.end())
            return 0;
        appendLocked(key, stored.constData(), quint32(stored.size()), rawSize, false);
    }
    m_writer.waitForSealCapacity(); // outside the lock: dedup hits go on meanwhile
    return stored.size();
}

void PosixRepository::flush()
{
    {
        std::lock_guard lock(m_mutex);
        if (m_open)
            m_writer.seal(std::move(m_open));
    }
    m_writer.drain();
}

void PosixRepository::commitManifest(const Manifest &manifest)
{
    validateName(manifest.backupId, QStringLiteral("backup id"));
    QByteArray ids;
    ids.reserve(manifest.chunks.size() * chunk::kIdSize);
    const QByteArray zero(chunk::kIdSize, '\0');
    for (const QByteArray &id : manifest.chunks) {
        if (id.isEmpty())
            ids += zero;
        else if (id.size() == chunk::kIdSize)
            ids += id;
        else
            throw Error(QStringLiteral("Manifest of backup %1 has an invalid chunk id").arg(manifest.backupId));
    }
    QJsonObject json{
        {QStringLiteral("format"), QStringLiteral("ndbackup-manifest")},
        {QStringLiteral("formatVersion"), 1},
        {QStringLiteral("backupId"), manifest.backupId},
        {QStringLiteral("volumeId"), manifest.volumeId},
        {QStringLiteral("volumeName"), manifest.volumeName},
        {QStringLiteral("parentId"), manifest.parentId},
        {QStringLiteral("size"), manifest.size},
        {QStringLiteral("chunkSize"), qint64(manifest.chunkSize)},
        {QStringLiteral("chunkCount"), qint64(manifest.chunks.size())},
        {QStringLiteral("storedBytes"), manifest.storedBytes},
        {QStringLiteral("startedAt"), manifest.startedAt.toUTC().toString(Qt::ISODateWithMs)},
        {QStringLiteral("finishedAt"), manifest.finishedAt.toUTC().toString(Qt::ISODateWithMs)},
        {QStringLiteral("extra"), manifest.extra},
        // All-zero chunks are written as 32 zero bytes; no SHA-256 is all zero.
        {QStringLiteral("chunks"), QString::fromLatin1(ids.toBase64())},
        {QStringLiteral("chunksSha256"), QString::fromLatin1(chunk::sha256(ids.constData(), ids.size()).toHex())},
    };
    writeFileAtomically(m_path + QStringLiteral("/manifests/") + manifest.backupId,
                        QJsonDocument(json).toJson(QJsonDocument::Compact), false);
}

QStringList PosixRepository::listBackups() const
{
    QStringList ids;
    const QStringList names = QDir(m_path + QStringLiteral("/manifests")).entryList(QDir::Files, QDir::Name);
    for (const QString &name : names) {
        try {
            validateName(name, QStringLiteral("backup id")); // skips ".tmp-*" and foreign files
            ids.append(name);
        } catch (const Error &) {
        }
    }
    return ids;
}

bool PosixRepository::hasManifest(const QString &backupId) const
{
    validateName(backupId, QStringLiteral("backup id"));
    return QFileInfo::exists(m_path + QStringLiteral("/manifests/") + backupId);
}

Manifest PosixRepository::readManifest(const QString &backupId) const
{
    validateName(backupId, QStringLiteral("backup id"));
    const QString file = m_path + QStringLiteral("/manifests/") + backupId;
    if (!QFileInfo::exists(file))
        throw Error(QStringLiteral("Backup %1 has no manifest in container %2").arg(backupId, m_path));
    const QJsonDocument doc = QJsonDocument::fromJson(readWholeFile(file));
    const QJsonObject json = doc.object();
    if (doc.isNull() || json.value(QStringLiteral("format")).toString() != QStringLiteral("ndbackup-manifest"))
        throw Error(QStringLiteral("Manifest %1 is not readable").arg(file));
    const QByteArray ids = QByteArray::fromBase64(json.value(QStringLiteral("chunks")).toString().toLatin1());
    if (ids.size() % chunk::kIdSize
        || ids.size() / chunk::kIdSize != json.value(QStringLiteral("chunkCount")).toInteger()
        || QString::fromLatin1(chunk::sha256(ids.constData(), ids.size()).toHex())
            != json.value(QStringLiteral("chunksSha256")).toString())
        throw Error(QStringLiteral("Manifest %1 is corrupt (chunk list checksum mismatch)").arg(file));
    Manifest m;
    m.backupId = json.value(QStringLiteral("backupId")).toString();
    m.volumeId = json.value(QStringLiteral("volumeId")).toString();
    m.volumeName = json.value(QStringLiteral("volumeName")).toString();
    m.parentId = json.value(QStringLiteral("parentId")).toString();
    m.size = json.value(QStringLiteral("size")).toInteger();
    m.chunkSize = quint32(json.value(QStringLiteral("chunkSize")).toInteger());
    m.storedBytes = json.value(QStringLiteral("storedBytes")).toInteger();
    m.startedAt = QDateTime::fromString(json.value(QStringLiteral("startedAt")).toString(), Qt::ISODateWithMs);
    m.finishedAt = QDateTime::fromString(json.value(QStringLiteral("finishedAt")).toString(), Qt::ISODateWithMs);
    m.extra = json.value(QStringLiteral("extra")).toObject();
    const QByteArray zero(chunk::kIdSize, '\0');
    const qsizetype count = ids.size() / chunk::kIdSize;
    m.chunks.reserve(count);
    for (qsizetype i = 0; i < count; ++i) {
        const QByteArray id = ids.mid(i * chunk::kIdSize, chunk::kIdSize);
        m.chunks.append(id == zero ? QByteArray() : id);
    }
    return m;
}

void PosixRepository::visitStored(const Location &location, const QByteArray &id,
                                  const std::function<void(const char *)> &use) const
{
    QString packName;
    bool written;
    {
        std::lock_guard lock(m_mutex);
        packName = m_packNames[location.pack];
        written = !(m_open && m_open->number() == location.pack) && !m_writer.isSealing(location.pack);
    }
    if (!written) {
        // A chunk this object wrote itself and that is not on disk yet: seal its pack first.
        // A backup never reads back what it writes, so this costs a smaller pack only rarely.
        // A write error stays for flush() to report; the read then fails on its own.
        {
            std::lock_guard lock(m_mutex);
            if (m_open && m_open->number() == location.pack)
                m_writer.seal(std::move(m_open));
        }
        m_writer.waitUntilSealed(location.pack);
    }
    try {
        m_reader.visit(location.pack, packPath(packName, ".pack"), qint64(location.offset), location.storedSize, use);
    } catch (const chunk::ChunkError &) {
        throw; // from `use`: already names the chunk
    } catch (const Error &error) {
        throw chunk::ChunkError(QStringLiteral("Chunk %1 cannot be read: %2").arg(chunkIdHex(id), error.message()),
                                QStringLiteral("read error"));
    }
}

QByteArray PosixRepository::readStored(const Location &location, const QByteArray &id) const
{
    QByteArray stored;
    visitStored(location, id, [&](const char *data) { stored = QByteArray(data, qsizetype(location.storedSize)); });
    return stored;
}

PosixRepository::Location PosixRepository::locate(const QByteArray &id) const
{
    const Key key = keyOf(id);
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (attempt == 1)
            refreshIndex(); // another process may have written it since we opened
        std::lock_guard lock(m_mutex);
        if (auto it = m_index.find(key); it != m_index.end())
            return it->second;
    }
    throw chunk::ChunkError(QStringLiteral("Chunk %1 is missing from container %2").arg(chunkIdHex(id), m_path),
                            QStringLiteral("missing"));
}

namespace {

void checkDecoded(bool decoded, const char *raw, qint64 length, const QByteArray &id)
{
    if (!decoded)
        throw chunk::ChunkError(QStringLiteral("Chunk %1 is corrupt: decompression failed").arg(chunkIdHex(id)),
                                QStringLiteral("decompression failed"));
    unsigned char digest[chunk::kIdSize];
    chunk::sha256(raw, length, digest);
    if (std::memcmp(digest, id.constData(), chunk::kIdSize) != 0)
        throw chunk::ChunkError(QStringLiteral("Chunk %1 is corrupt: hash mismatch").arg(chunkIdHex(id)),
                                QStringLiteral("hash mismatch"));
}

void checkSize(quint32 rawSize, qint64 length, const QByteArray &id)
{
    if (qint64(rawSize) != length)
        throw chunk::ChunkError(QStringLiteral("Chunk %1 holds %2 bytes, expected %3").arg(chunkIdHex(id)).arg(rawSize).arg(length),
                                QStringLiteral("wrong size"));
}

} // namespace

QByteArray PosixRepository::readChunk(const QByteArray &id) const
{
    const Location location = locate(id);
    const QByteArray stored = readStored(location, id);
    QByteArray raw;
    const bool decoded = chunk::decode(stored, location.rawSize, raw);
    checkDecoded(decoded, raw.constData(), raw.size(), id);
    return raw;
}

void PosixRepository::readChunkInto(const QByteArray &id, char *out, qint64 length) const
{
    const Location location = locate(id);
    checkSize(location.rawSize, length, id);
    visitStored(location, id, [&](const char *stored) {
        checkDecoded(chunk::decodeInto(stored, location.storedSize, location.rawSize, out), out, length, id);
    });
}

void PosixRepository::checkChunk(const QByteArray &id, qint64 length) const
{
    const Location location = locate(id);
    checkSize(location.rawSize, length, id);
    visitStored(location, id, [&](const char *stored) {
        if (location.storedSize == location.rawSize) { // uncompressed: hash it where it lies
            checkDecoded(true, stored, length, id);
            return;
        }
        thread_local QByteArray scratch;
        scratch.resize(qsizetype(location.rawSize));
        checkDecoded(chunk::decodeInto(stored, location.storedSize, location.rawSize, scratch.data()),
                     scratch.constData(), length, id);
    });
}

void PosixRepository::deleteManifest(const QString &backupId)
{
    validateName(backupId, QStringLiteral("backup id"));
    const QString file = m_path + QStringLiteral("/manifests/") + backupId;
    if (::unlink(native(file).constData()) != 0 && errno != ENOENT)
        throw Error(QStringLiteral("Cannot delete manifest %1: %2").arg(file, errnoText(errno)));
    fsyncDirectory(m_path + QStringLiteral("/manifests"));
}

qint64 PosixRepository::diskUsage() const
{
    qint64 total = 0;
    QDirIterator it(m_path, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QByteArray file = native(it.next());
        struct stat st{};
        if (::lstat(file.constData(), &st) == 0)
            total += qint64(st.st_blocks) * 512;
    }
    return total;
}

GcReport PosixRepository::collectGarbage()
{
    flush();
    lockExclusive();
    struct Downgrade
    {
        PosixRepository *repo;
        ~Downgrade() { repo->lockShared(); }
    } downgrade{this};

    GcReport report;
    const qint64 usageBefore = diskUsage();
    auto removeFile = [](const QString &file) {
        if (::unlink(native(file).constData()) != 0 && errno != ENOENT)
            throw Error(QStringLiteral("Cannot delete %1: %2").arg(file, errnoText(errno)));
    };

    // 1. Garbage no one can be writing now that we hold the lock exclusively:
    //    temp files, and packs whose index was never written (a crashed or cancelled writer).
    QStringList sealedPacks;
    {
        QDirIterator it(m_path + QStringLiteral("/manifests"), {QStringLiteral(".tmp-*")},
                        QDir::Files | QDir::Hidden);
        while (it.hasNext())
            removeFile(it.next());
        QDirIterator packs(m_path + QStringLiteral("/packs"), QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
        while (packs.hasNext()) {
            const QFileInfo info(packs.next());
            const QString name = info.fileName();
            if (name.startsWith(QLatin1String(".tmp-"))) {
                removeFile(info.filePath());
            } else if (name.endsWith(QLatin1String(".pack")) && isPackName(info.completeBaseName())) {
                if (QFileInfo::exists(packPath(info.completeBaseName(), ".idx")))
                    sealedPacks.append(info.completeBaseName());
                else
                    removeFile(info.filePath());
            }
        }
    }

    // 2. A fresh view of the index (other processes may have added packs) and the referenced set.
    {
        std::lock_guard lock(m_mutex);
        m_index.clear();
        m_packNames.clear();
        m_packNumbers.clear();
        m_reader.reset();
    }
    refreshIndex();
    std::unordered_set<Key, KeyHash> referenced;
    for (const QString &backupId : listBackups()) {
        const Manifest manifest = readManifest(backupId); // an unreadable manifest stops gc: no guessing
        for (const QByteArray &id : manifest.chunks) {
            if (!id.isEmpty())
                referenced.insert(keyOf(id));
        }
    }

    // 3. Delete dead packs; copy the live chunks of mostly dead packs into new packs.
    QStringList repacked;
    for (const QString &name : std::as_const(sealedPacks)) {
        std::vector<IndexEntry> entries;
        try {
            entries = readIndexFile(name);
        } catch (const Error &error) {
            qWarning("%s", error.what()); // never delete what we cannot read
            continue;
        }
        quint32 number;
        {
            std::lock_guard lock(m_mutex);
            number = m_packNumbers.value(name);
        }
        qint64 liveBytes = 0, deadBytes = 0;
        std::vector<IndexEntry> live;
        for (const IndexEntry &entry : entries) {
            bool isLive = false;
            if (referenced.count(entry.id)) {
                std::lock_guard lock(m_mutex);
                const auto it = m_index.find(entry.id);
                isLive = it != m_index.end() && it->second.pack == number && it->second.offset == entry.offset;
            }
            if (isLive) {
                live.push_back(entry);
                liveBytes += entry.storedSize;
            } else {
                deadBytes += entry.storedSize;
                ++report.chunksRemoved;
            }
        }
        if (deadBytes == 0)
            continue;
        if (liveBytes > 0 && double(deadBytes) < kRepackDeadShare * double(liveBytes + deadBytes)) {
            report.chunksRemoved -= qint64(entries.size() - live.size());
            continue;
        }
        for (const IndexEntry &entry : live) {
            Location location;
            {
                std::lock_guard lock(m_mutex);
                location = m_index.at(entry.id);
            }
            const QByteArray stored = readStored(location, idOf(entry.id));
            {
                std::lock_guard lock(m_mutex);
                appendLocked(entry.id, stored.constData(), entry.storedSize, entry.rawSize, true);
            }
            m_writer.waitForSealCapacity();
        }
        repacked.append(name);
        if (live.empty())
            ++report.packsDeleted;
        else
            ++report.packsRewritten;
    }
    flush(); // the copies are durable before the originals go
    for (const QString &name : std::as_const(repacked)) {
        // Index first: a pack without an index is garbage, an index without a pack is not allowed.
        removeFile(packPath(name, ".idx"));
        removeFile(packPath(name, ".pack"));
    }
    {
        QDirIterator dirs(m_path + QStringLiteral("/packs"), QDir::Dirs | QDir::NoDotAndDotDot);
        while (dirs.hasNext()) {
            const QString dir = dirs.next();
            fsyncDirectory(dir);
            QDir().rmdir(dir); // only succeeds when empty
        }
    }
    fsyncDirectory(m_path + QStringLiteral("/packs"));

    // 4. Start over from what is on disk now.
    {
        std::lock_guard lock(m_mutex);
        m_index.clear();
        m_packNames.clear();
        m_packNumbers.clear();
        m_reader.reset();
    }
    refreshIndex();
    report.bytesFreed = usageBefore - diskUsage();
    return report;
}

} // namespace ndb
