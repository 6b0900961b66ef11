#include "repository/chunkstore.h"

#include "repository/chunkcodec.h"
#include "util/error.h"
#include "util/names.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QUuid>

#include <cstring>
#include <unordered_set>

namespace ndb {

namespace {

constexpr auto kFormatName = "ndbackup-repository";
const QString kConfigKey = QStringLiteral("config");
const QString kPacksPrefix = QStringLiteral("packs/");
const QString kManifestsPrefix = QStringLiteral("manifests/");
// A pack is rewritten by gc when at least this share of its bytes belongs to no backup.
constexpr double kRepackDeadShare = 0.10;

ChunkStore::Key keyOf(const QByteArray &id)
{
    if (id.size() != chunk::kIdSize)
        throw Error(QStringLiteral("Invalid chunk id of %1 bytes").arg(id.size()));
    ChunkStore::Key key;
    std::memcpy(key.bytes.data(), id.constData(), chunk::kIdSize);
    return key;
}

QByteArray idOf(const ChunkStore::Key &key)
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

QString packKey(const QString &packName, const char *suffix)
{
    return kPacksPrefix + packName.left(2) + QLatin1Char('/') + packName + QLatin1String(suffix);
}

// The pack name of a listed key ending in `suffix`, or an empty string for other keys.
QString packNameOf(const QString &key, const char *suffix)
{
    if (!key.endsWith(QLatin1String(suffix)))
        return {};
    const QString file = key.mid(key.lastIndexOf(QLatin1Char('/')) + 1);
    const QString name = file.left(file.size() - qsizetype(qstrlen(suffix)));
    return isPackName(name) ? name : QString();
}

QString manifestKey(const QString &backupId)
{
    validateName(backupId, QStringLiteral("backup id"));
    return kManifestsPrefix + backupId;
}

} // namespace

std::unique_ptr<Repository> ChunkStore::open(std::unique_ptr<ObjectBackend> backend, std::unique_ptr<RepositoryLock> lock,
                                             const RepositoryConfig *createDefaults)
{
    std::unique_ptr<ChunkStore> store(new ChunkStore(std::move(backend), std::move(lock)));
    if (!store->m_backend->head(kConfigKey)) {
        const QString where = store->m_backend->location();
        if (!store->m_backend->list(kManifestsPrefix).isEmpty() || !store->m_backend->list(kPacksPrefix).isEmpty())
            throw CorruptDataError(QStringLiteral("Container %1 is damaged: its configuration (config) is missing, "
                                                  "so its backups cannot be read. Restore the config file from a copy "
                                                  "of the container; a new one would not match its data.")
                                       .arg(where));
        if (!createDefaults)
            throw NotFoundError(QStringLiteral("%1 holds no container: there is no configuration (config) and no "
                                               "backup in it. Check the container name; a backup creates the "
                                               "container.")
                                    .arg(where));
        store->createConfig(*createDefaults);
    }
    store->loadConfig();
    store->m_lock->lockShared();
    store->refreshIndex();
    return store;
}

ChunkStore::ChunkStore(std::unique_ptr<ObjectBackend> backend, std::unique_ptr<RepositoryLock> lock)
    : m_backend(std::move(backend)), m_lock(std::move(lock)), m_reader(*m_backend), m_writer(*m_backend)
{
}

ChunkStore::~ChunkStore()
{
    try {
        flush();
    } catch (...) {
        // An unsealed pack is garbage by definition; nothing references it.
    }
}

void ChunkStore::createConfig(const RepositoryConfig &defaults)
{
    QJsonObject json{
        {QStringLiteral("format"), QLatin1String(kFormatName)},
        {QStringLiteral("formatVersion"), defaults.formatVersion},
        {QStringLiteral("id"), defaults.id.isEmpty() ? QUuid::createUuid().toString(QUuid::WithoutBraces) : defaults.id},
        {QStringLiteral("chunkSize"), qint64(defaults.chunkSize)},
        {QStringLiteral("compressionLevel"), defaults.compressionLevel},
        {QStringLiteral("packTargetSize"), defaults.packTargetSize},
    };
    // Never replaced: of two processes creating the container, one config wins.
    m_backend->put(kConfigKey, QJsonDocument(json).toJson(QJsonDocument::Indented));
}

void ChunkStore::loadConfig()
{
    const QString file = m_backend->describe(kConfigKey);
    const std::optional<QByteArray> data = m_backend->get(kConfigKey);
    if (!data)
        throw CorruptDataError(QStringLiteral("Container %1 is damaged: its configuration %2 is missing")
                                   .arg(m_backend->location(), file));
    m_config = parseConfig(*data, m_backend->location(), file);
}

RepositoryConfig ChunkStore::parseConfig(const QByteArray &data, const QString &location, const QString &file)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(data, &parseError);
    const QJsonObject json = doc.object();
    if (doc.isNull() || json.value(QStringLiteral("format")).toString() != QLatin1String(kFormatName))
        throw CorruptDataError(QStringLiteral("Container %1 is damaged: %2 is not an ndbackup container configuration "
                                              "(%3). Restore the config file from a copy of the container.")
                                   .arg(location, file,
                                        doc.isNull() ? parseError.errorString() : QStringLiteral("wrong format name")));
    RepositoryConfig config;
    config.formatVersion = json.value(QStringLiteral("formatVersion")).toInt();
    config.id = json.value(QStringLiteral("id")).toString();
    config.chunkSize = quint32(json.value(QStringLiteral("chunkSize")).toInteger());
    config.compressionLevel = json.value(QStringLiteral("compressionLevel")).toInt(1);
    config.packTargetSize = json.value(QStringLiteral("packTargetSize")).toInteger();
    if (config.formatVersion != 1)
        throw Error(QStringLiteral("Container %1 has format version %2; this version of ndbackup reads version 1")
                        .arg(location).arg(config.formatVersion));
    if (config.chunkSize < 4096 || config.chunkSize > 64u * 1024 * 1024 || config.chunkSize % 4096)
        throw CorruptDataError(QStringLiteral("Container %1 is damaged: its configuration has an invalid chunk size %2")
                                   .arg(location).arg(config.chunkSize));
    if (config.packTargetSize < config.chunkSize)
        config.packTargetSize = config.chunkSize;
    return config;
}

std::vector<ChunkStore::IndexEntry> ChunkStore::readIndexFile(const QString &packName) const
{
    const QString key = packKey(packName, ".idx");
    const std::optional<QByteArray> data = m_backend->get(key);
    if (!data)
        throw Error(QStringLiteral("Pack index %1 is missing").arg(m_backend->describe(key)));
    return pack::decodeIndex(*data, m_backend->describe(key));
}

void ChunkStore::loadIndexFile(const QString &packName) const
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

void ChunkStore::refreshIndex() const
{
    QStringList found;
    for (const QString &key : m_backend->list(kPacksPrefix)) {
        if (const QString name = packNameOf(key, ".idx"); !name.isEmpty())
            found.append(name);
    }
    std::lock_guard lock(m_mutex);
    for (const QString &name : std::as_const(found)) {
        if (!m_packNumbers.contains(name))
            loadIndexFile(name);
    }
}

void ChunkStore::forgetIndex()
{
    std::lock_guard lock(m_mutex);
    m_index.clear();
    m_packNames.clear();
    m_packNumbers.clear();
    m_reader.reset();
}

bool ChunkStore::hasChunk(const QByteArray &id) const
{
    const Key key = keyOf(id);
    std::lock_guard lock(m_mutex);
    return m_index.find(key) != m_index.end();
}

void ChunkStore::appendLocked(const Key &key, const char *data, quint32 storedSize, quint32 rawSize,
                              bool replaceLocation)
{
    if (!m_open) {
        const QString name = newPackName();
        const quint32 number = quint32(m_packNames.size());
        m_open = m_writer.create(number, packKey(name, ".pack"), packKey(name, ".idx"),
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

qint64 ChunkStore::putChunk(const QByteArray &id, QByteArrayView stored, quint32 rawSize)
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

void ChunkStore::flush()
{
    {
        std::lock_guard lock(m_mutex);
        if (m_open)
            m_writer.seal(std::move(m_open));
    }
    m_writer.drain();
}

void ChunkStore::commitManifest(const Manifest &manifest)
{
    const QString key = manifestKey(manifest.backupId);
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
        {QStringLiteral("consistency"), manifest.consistency},
        {QStringLiteral("extra"), manifest.extra},
        // All-zero chunks are written as 32 zero bytes; no SHA-256 is all zero.
        {QStringLiteral("chunks"), QString::fromLatin1(ids.toBase64())},
        {QStringLiteral("chunksSha256"), QString::fromLatin1(chunk::sha256(ids.constData(), ids.size()).toHex())},
    };
    if (!m_backend->put(key, QJsonDocument(json).toJson(QJsonDocument::Compact)))
        throw Error(QStringLiteral("%1 exists already").arg(m_backend->describe(key)));
}

QStringList ChunkStore::listBackups() const
{
    QStringList ids;
    for (const QString &key : m_backend->list(kManifestsPrefix)) {
        const QString name = key.mid(kManifestsPrefix.size());
        try {
            validateName(name, QStringLiteral("backup id")); // skips foreign names
            ids.append(name);
        } catch (const Error &) {
        }
    }
    ids.sort();
    return ids;
}

bool ChunkStore::hasManifest(const QString &backupId) const
{
    return m_backend->head(manifestKey(backupId)).has_value();
}

Manifest ChunkStore::readManifest(const QString &backupId) const
{
    const QString key = manifestKey(backupId);
    const QString file = m_backend->describe(key);
    const std::optional<QByteArray> data = m_backend->get(key);
    if (!data)
        throw Error(QStringLiteral("Backup %1 has no manifest in container %2").arg(backupId, m_backend->location()));
    return parseManifest(*data, file);
}

Manifest ChunkStore::parseManifest(const QByteArray &data, const QString &file)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(data, &parseError);
    const QJsonObject json = doc.object();
    if (doc.isNull())
        throw CorruptDataError(QStringLiteral("Manifest %1 is damaged (%2 at byte %3 of %4: truncated or overwritten)")
                                   .arg(file, parseError.errorString()).arg(parseError.offset).arg(data.size()));
    if (json.value(QStringLiteral("format")).toString() != QStringLiteral("ndbackup-manifest"))
        throw CorruptDataError(QStringLiteral("Manifest %1 is damaged (not an ndbackup manifest)").arg(file));
    const QByteArray ids = QByteArray::fromBase64(json.value(QStringLiteral("chunks")).toString().toLatin1());
    if (ids.size() % chunk::kIdSize
        || ids.size() / chunk::kIdSize != json.value(QStringLiteral("chunkCount")).toInteger()
        || QString::fromLatin1(chunk::sha256(ids.constData(), ids.size()).toHex())
            != json.value(QStringLiteral("chunksSha256")).toString())
        throw CorruptDataError(QStringLiteral("Manifest %1 is corrupt (chunk list checksum mismatch)").arg(file));
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
    m.consistency = json.value(QStringLiteral("consistency")).toString(QStringLiteral("unknown"));
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

void ChunkStore::visitStored(const Location &location, const QByteArray &id,
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
        // A chunk this object wrote itself and that is not stored yet: seal its pack first.
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
        m_reader.visit(location.pack, packKey(packName, ".pack"), qint64(location.offset), location.storedSize, use);
    } catch (const chunk::ChunkError &) {
        throw; // from `use`: already names the chunk
    } catch (const Error &error) {
        // The disk failing to read is not the data being damaged: callers tell the two apart.
        if (error.kind() == ErrorKind::Storage)
            throw Error(QStringLiteral("Chunk %1 cannot be read: %2").arg(chunkIdHex(id), error.message()), ErrorKind::Storage);
        throw chunk::ChunkError(QStringLiteral("Chunk %1 cannot be read: %2").arg(chunkIdHex(id), error.message()),
                                QStringLiteral("read error"));
    }
}

QByteArray ChunkStore::readStored(const Location &location, const QByteArray &id) const
{
    QByteArray stored;
    visitStored(location, id, [&](const char *data) { stored = QByteArray(data, qsizetype(location.storedSize)); });
    return stored;
}

ChunkStore::Location ChunkStore::locate(const QByteArray &id) const
{
    const Key key = keyOf(id);
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (attempt == 1)
            refreshIndex(); // another process may have written it since we opened
        std::lock_guard lock(m_mutex);
        if (auto it = m_index.find(key); it != m_index.end())
            return it->second;
    }
    throw chunk::ChunkError(QStringLiteral("Chunk %1 is missing from container %2").arg(chunkIdHex(id), m_backend->location()),
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

QByteArray ChunkStore::readChunk(const QByteArray &id) const
{
    const Location location = locate(id);
    const QByteArray stored = readStored(location, id);
    QByteArray raw;
    const bool decoded = chunk::decode(stored, location.rawSize, raw);
    checkDecoded(decoded, raw.constData(), raw.size(), id);
    return raw;
}

void ChunkStore::readChunkInto(const QByteArray &id, char *out, qint64 length) const
{
    const Location location = locate(id);
    checkSize(location.rawSize, length, id);
    visitStored(location, id, [&](const char *stored) {
        checkDecoded(chunk::decodeInto(stored, location.storedSize, location.rawSize, out), out, length, id);
    });
}

void ChunkStore::checkChunk(const QByteArray &id, qint64 length) const
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

void ChunkStore::deleteManifest(const QString &backupId)
{
    m_backend->remove(manifestKey(backupId));
}

qint64 ChunkStore::diskUsage() const
{
    return m_backend->storedBytes();
}

GcReport ChunkStore::collectGarbage()
{
    flush();
    m_lock->lockExclusive(m_lockTimeoutMsec);
    struct Downgrade
    {
        RepositoryLock &lock;
        ~Downgrade() { lock.lockShared(); }
    } downgrade{*m_lock};

    GcReport report;
    const qint64 usageBefore = diskUsage();

    // 1. Garbage no one can be writing now that we hold the lock exclusively: interrupted puts,
    //    and packs whose index was never put (a crashed or cancelled writer).
    m_backend->removeIncomplete();
    QStringList sealedPacks;
    {
        const QStringList keys = m_backend->list(kPacksPrefix);
        const QSet<QString> listed(keys.begin(), keys.end());
        for (const QString &key : keys) {
            const QString name = packNameOf(key, ".pack");
            if (name.isEmpty())
                continue;
            // A listing may lag behind; the index's own head() decides before anything goes.
            if (listed.contains(packKey(name, ".idx")) || m_backend->head(packKey(name, ".idx")))
                sealedPacks.append(name);
            else
                m_backend->remove(key, ObjectBackend::Durability::Deferred);
        }
    }

    // 2. A fresh view of the index (other processes may have added packs) and the referenced set.
    //    A manifest that cannot be read is reported, and then nothing that it may reference can
    //    be told from garbage: gc keeps every pack and only removes the garbage of step 1.
    forgetIndex();
    refreshIndex();
    std::unordered_set<Key, KeyHash> referenced;
    for (const QString &backupId : listBackups()) {
        try {
            const Manifest manifest = readManifest(backupId);
            for (const QByteArray &id : manifest.chunks) {
                if (!id.isEmpty())
                    referenced.insert(keyOf(id));
            }
        } catch (const Error &error) {
            report.skippedManifests.append({backupId, error.message()});
        }
    }
    if (!report.skippedManifests.isEmpty())
        sealedPacks.clear();

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
        m_backend->remove(packKey(name, ".idx"), ObjectBackend::Durability::Deferred);
        m_backend->remove(packKey(name, ".pack"), ObjectBackend::Durability::Deferred);
    }
    m_backend->syncDeferred();

    // 4. Start over from what is stored now.
    forgetIndex();
    refreshIndex();
    report.bytesFreed = usageBefore - diskUsage();
    return report;
}

} // namespace ndb
