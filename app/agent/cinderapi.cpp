#include "cinderapi.h"

#include "tokenstore.h"

#include "catalog/backupstore.h"
#include "catalog/catalog.h"
#include "catalog/jobstore.h"
#include "catalog/volumestore.h"
#include "engine/engine.h"
#include "jobs/jobhandle.h"
#include "jobs/jobqueue.h"
#include "model/status.h"
#include "volumes/driverset.h"
#include "volumes/volumedriver.h"

#include <QDebug>
#include <QFile>
#include <QJsonDocument>
#include <QUuid>

namespace ndb {

namespace {

// Namespace of the volume UUIDs (UUID v5 of "<driver id>/<name>"): the same volume keeps its id.
const QUuid kVolumeNamespace(QStringLiteral("{5b0c4a52-6d0e-4f4e-9d53-1b2f0e1c8a77}"));

QByteArray microversionHeaders()
{
    return QByteArrayLiteral("OpenStack-API-Version: volume ") + kCinderMicroversion
        + QByteArrayLiteral("\r\nVary: OpenStack-API-Version\r\n");
}

ApiReply json(int status, const QJsonObject &object)
{
    return ApiReply{status, QJsonDocument(object).toJson(QJsonDocument::Compact), microversionHeaders()};
}

ApiReply fault(int status, const QString &message)
{
    return ApiReply{status, cinderFaultBody(status, message), microversionHeaders()};
}

QJsonValue timestamp(const QDateTime &t)
{
    if (!t.isValid())
        return QJsonValue::Null;
    return t.toUTC().toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzz000"));
}

QJsonValue textOrNull(const QString &s)
{
    return s.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s);
}

QString baseUrl(const HttpRequest &request)
{
    // The client's own view of our address (Host), for links; it was validated as a header value.
    QString host = QString::fromLatin1(request.header("host"));
    if (host.isEmpty() || host.contains(QLatin1Char('/')) || host.size() > 255)
        host = QStringLiteral("localhost");
    return QStringLiteral("https://") + host;
}

QJsonArray selfLinks(const QString &base, const CinderRequest &call, const QString &collection, const QString &id)
{
    const QString path = QStringLiteral("/v%1/%2/%3/%4").arg(call.apiVersion).arg(call.project, collection, id);
    return QJsonArray{QJsonObject{{QStringLiteral("rel"), QStringLiteral("self")}, {QStringLiteral("href"), base + path}},
                      QJsonObject{{QStringLiteral("rel"), QStringLiteral("bookmark")},
                                  {QStringLiteral("href"), base + path.mid(path.indexOf(QLatin1Char('/'), 1))}}};
}

// Only the list's fields (and links); the whole object for .../detail.
QJsonObject summary(const QJsonObject &full)
{
    return QJsonObject{{QStringLiteral("id"), full.value(QStringLiteral("id"))},
                       {QStringLiteral("name"), full.value(QStringLiteral("name"))},
                       {QStringLiteral("links"), full.value(QStringLiteral("links"))}};
}

// Cinder's overLimit: a node takes only so much work at once; a client retries later.
void checkJobLimit(const Engine &engine)
{
    const qsizetype limit = qsizetype(std::max(1, engine.config().maxConcurrentJobs)) * 4;
    const qsizetype queued = engine.jobQueue()->jobs().size();
    if (queued >= limit)
        throw CinderFault(413, QStringLiteral("Too many jobs on this node: %1 are queued or running (at most %2, four times "
                                              "max_concurrent_jobs); retry when some have finished.").arg(queued).arg(limit));
}

ApiReply page(const QString &key, QList<QJsonObject> items, const CinderRequest &call, const HttpRequest &request,
              const QStringList &sortKeys, const QString &collectionPath)
{
    bool more = false;
    const QList<QJsonObject> shown = cinderPage(std::move(items), call.list, sortKeys, &more);
    QJsonArray array;
    for (const QJsonObject &o : shown)
        array.append(call.detail ? o : summary(o));
    QJsonObject body{{key, array}};
    if (more && !shown.isEmpty()) {
        QString next = baseUrl(request) + collectionPath + QStringLiteral("?limit=%1&marker=%2")
                                                               .arg(call.list.limit)
                                                               .arg(shown.last().value(QStringLiteral("id")).toString());
        if (!request.query.isEmpty()) {
            // Keep sort and filters, replace limit and marker.
            for (const QByteArray &pair : request.query.split('&'))
                if (!pair.startsWith("limit=") && !pair.startsWith("marker=") && !pair.isEmpty())
                    next += QLatin1Char('&') + QString::fromLatin1(pair);
        }
        body.insert(key + QStringLiteral("_links"),
                    QJsonArray{QJsonObject{{QStringLiteral("rel"), QStringLiteral("next")}, {QStringLiteral("href"), next}}});
    }
    return json(200, body);
}

} // namespace

CinderApi::CinderApi(Engine &engine, Catalog &catalog, TokenStore &tokens, QString auditLog, QString nodeName)
    : m_engine(engine), m_catalog(catalog), m_tokens(tokens), m_auditLog(std::move(auditLog)), m_nodeName(std::move(nodeName))
{
}

QString CinderApi::volumeUuid(const QString &volumeId)
{
    return QUuid::createUuidV5(kVolumeNamespace, volumeId).toString(QUuid::WithoutBraces);
}

void CinderApi::audit(const QString &tokenName, const HttpRequest &request, int status) const
{
    // Never the token: its name only. The path is what was asked (percent-encoded, no query).
    QFile log(m_auditLog);
    if (!log.open(QIODevice::Append | QIODevice::Text)) {
        qWarning().noquote() << QStringLiteral("cannot write the audit log %1: %2").arg(m_auditLog, log.errorString());
        return;
    }
    log.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
    QByteArray path = request.path.left(512);
    path.replace('\t', ' ');
    log.write(QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toUtf8() + '\t'
              + (tokenName.isEmpty() ? QByteArray("-") : tokenName.toUtf8()) + '\t' + request.method + '\t' + path + '\t'
              + QByteArray::number(status) + '\n');
}

ApiReply CinderApi::refuseConsoleApi(const HttpRequest &request)
{
    const QString name = m_tokens.authenticate(request.header("x-auth-token"));
    const ApiReply reply = name.isEmpty()
        ? fault(401, QStringLiteral("authentication required: the console API needs a trusted console certificate, the "
                                    "Cinder-compatible API a valid token in X-Auth-Token"))
        : fault(403, QStringLiteral("the console API (/v1) needs a trusted console certificate (mutual TLS); API tokens "
                                    "are for the Cinder-compatible API (/v3, /v2)"));
    audit(name, request, reply.status);
    return reply;
}

ApiReply CinderApi::handle(const HttpRequest &request)
{
    QString name;
    ApiReply reply;
    try {
        name = m_tokens.authenticate(request.header("x-auth-token"));
        if (isCinderVersionDiscovery(request)) {
            const bool root = request.path == "/";
            reply = json(root ? 300 : 200, root ? cinderVersions(baseUrl(request), false)
                                                : QJsonObject{{QStringLiteral("version"),
                                                               cinderVersions(baseUrl(request), true)
                                                                   .value(QStringLiteral("versions")).toArray().first()}});
        } else if (name.isEmpty()) {
            reply = fault(401, QStringLiteral("authentication required: send a valid API token in X-Auth-Token (an "
                                              "administrator makes one with 'ndbackup-agent token create NAME')"));
        } else {
            const QByteArray version = request.header("openstack-api-version");
            if (!version.isEmpty() && version != "volume " + QByteArray(kCinderMicroversion) && version != "volume latest"
                && version != "volume 3")
                throw CinderFault(406, QStringLiteral("API version '%1' is not supported: this agent speaks volume %2")
                                           .arg(QString::fromLatin1(version.left(100)), QLatin1String(kCinderMicroversion)));
            reply = dispatch(parseCinderRequest(request), request);
        }
    } catch (const Error &e) {
        reply = fault(cinderStatusFor(e), e.message());
    } catch (const std::exception &e) {
        reply = fault(500, QString::fromUtf8(e.what()));
    }
    audit(name, request, reply.status);
    return reply;
}

ApiReply CinderApi::dispatch(const CinderRequest &call, const HttpRequest &request)
{
    using Op = CinderRequest::Op;
    switch (call.op) {
    case Op::Versions:
    case Op::VersionDoc:
        break; // answered without a token above
    case Op::ListVolumes:
        return listVolumes(call, request);
    case Op::ShowVolume: {
        const Volume v = volumeByUuid(call.id, currentVolumes());
        return json(200, {{QStringLiteral("volume"), volumeJson(v, true, baseUrl(request), call.project)}});
    }
    case Op::ListBackups:
        return listBackups(call, request);
    case Op::ShowBackup: {
        QJsonObject b = backupByUuid(call.id);
        b.insert(QStringLiteral("links"), selfLinks(baseUrl(request), call, QStringLiteral("backups"), call.id));
        return json(200, {{QStringLiteral("backup"), b}});
    }
    case Op::CreateBackup:
        return createBackup(call, request);
    case Op::DeleteBackup: {
        const QJsonObject listed = backupByUuid(call.id); // 404 for what is not (or no longer) there
        const auto pending = m_pending.find(call.id);
        if (pending != m_pending.end() && !BackupStore(m_catalog).find(call.id)) {
            // Its job ended before the backup row existed: nothing is stored, so deleting it is
            // forgetting it (Cinder deletes a backup in 'error'); one still queued is refused.
            if (!pending->finished)
                throw RefusedError(QStringLiteral("Invalid backup: Backup status must be available or error, not '%1'.")
                                       .arg(listed.value(QStringLiteral("status")).toString()));
            m_pending.erase(pending);
            return ApiReply{202, {}, microversionHeaders()};
        }
        m_engine.submitDelete(call.id);
        return ApiReply{202, {}, microversionHeaders()};
    }
    case Op::RestoreBackup:
        return restoreBackup(call, request);
    }
    throw NotFoundError(QStringLiteral("no such resource"));
}

QList<Volume> CinderApi::currentVolumes()
{
    // From the catalog (the last inventory merged with the engine's statuses) and a fresh
    // inventory in the background: a synchronous one would hold the agent's event loop (every
    // console request, lease extensions included) for as long as the slowest storage answers.
    // The jobs ask the storage itself before they act.
    if (!m_engine.inventoryPending())
        m_engine.refreshVolumesAsync();
    return m_engine.volumes();
}

Volume CinderApi::volumeByUuid(const QString &uuid, const QList<Volume> &volumes) const
{
    for (const Volume &v : volumes)
        if (volumeUuid(v.id) == uuid)
            return v;
    throw NotFoundError(QStringLiteral("Volume %1 could not be found.").arg(uuid));
}

QJsonObject CinderApi::volumeJson(const Volume &v, bool detail, const QString &base, const QString &project) const
{
    const QString id = volumeUuid(v.id);
    CinderRequest linkCall;
    linkCall.project = project;
    QJsonObject o{{QStringLiteral("id"), id}, {QStringLiteral("name"), v.name},
                  {QStringLiteral("links"), selfLinks(base, linkCall, QStringLiteral("volumes"), id)}};
    if (!detail)
        return o;
    QJsonArray attachments;
    if (!v.attachedTo.isEmpty())
        attachments.append(QJsonObject{{QStringLiteral("id"), id},
                                       {QStringLiteral("attachment_id"), volumeUuid(v.id + QStringLiteral("#attachment"))},
                                       {QStringLiteral("volume_id"), id},
                                       {QStringLiteral("server_id"), v.attachedTo},
                                       {QStringLiteral("host_name"), m_nodeName},
                                       {QStringLiteral("device"), v.attachedTo},
                                       {QStringLiteral("attached_at"), QJsonValue::Null}});
    o.insert(QStringLiteral("status"), v.status);
    o.insert(QStringLiteral("size"), cinderGigabytes(v.size));
    o.insert(QStringLiteral("attachments"), attachments);
    o.insert(QStringLiteral("availability_zone"), m_nodeName);
    o.insert(QStringLiteral("bootable"), QStringLiteral("false"));
    o.insert(QStringLiteral("encrypted"), false);
    o.insert(QStringLiteral("multiattach"), false);
    o.insert(QStringLiteral("description"), QJsonValue::Null);
    o.insert(QStringLiteral("volume_type"), QJsonValue::Null);
    o.insert(QStringLiteral("snapshot_id"), QJsonValue::Null);
    o.insert(QStringLiteral("source_volid"), QJsonValue::Null);
    o.insert(QStringLiteral("metadata"), QJsonObject{{QStringLiteral("ndbackup_volume_id"), v.id},
                                                     {QStringLiteral("size_bytes"), QString::number(v.size)}});
    o.insert(QStringLiteral("created_at"), QJsonValue::Null);
    o.insert(QStringLiteral("updated_at"), QJsonValue::Null);
    o.insert(QStringLiteral("os-vol-host-attr:host"), m_nodeName);
    return o;
}

ApiReply CinderApi::listVolumes(const CinderRequest &call, const HttpRequest &request)
{
    QList<QJsonObject> items;
    for (const Volume &v : currentVolumes()) {
        QJsonObject o = volumeJson(v, true, baseUrl(request), call.project);
        items.append(o);
    }
    return page(QStringLiteral("volumes"), items, call, request,
                {QStringLiteral("id"), QStringLiteral("name"), QStringLiteral("status"), QStringLiteral("size"),
                 QStringLiteral("created_at")},
                QStringLiteral("/v%1/%2/volumes%3").arg(call.apiVersion).arg(call.project, call.detail ? QStringLiteral("/detail") : QString()));
}

QJsonObject CinderApi::backupJson(const Backup &b) const
{
    return QJsonObject{{QStringLiteral("id"), b.id},
                       {QStringLiteral("name"), textOrNull(b.name)},
                       {QStringLiteral("description"), textOrNull(b.description)},
                       {QStringLiteral("status"), b.status},
                       {QStringLiteral("fail_reason"), textOrNull(b.failReason)},
                       {QStringLiteral("volume_id"), volumeUuid(b.volumeId)},
                       {QStringLiteral("container"), b.container},
                       {QStringLiteral("size"), cinderGigabytes(b.size)},
                       {QStringLiteral("object_count"), 0},
                       {QStringLiteral("availability_zone"), m_nodeName},
                       {QStringLiteral("created_at"), timestamp(b.createdAt)},
                       {QStringLiteral("updated_at"), timestamp(b.updatedAt)},
                       {QStringLiteral("data_timestamp"), timestamp(b.startedAt.isValid() ? b.startedAt : b.createdAt)},
                       {QStringLiteral("is_incremental"), false},
                       {QStringLiteral("has_dependent_backups"), false},
                       {QStringLiteral("snapshot_id"), QJsonValue::Null}};
}

QList<QJsonObject> CinderApi::allBackups() const
{
    QList<QJsonObject> items;
    QStringList known;
    for (const Backup &b : m_engine.backups({}, true)) {
        known << b.id; // deleted ones too: their pending entry is over
        if (b.status != BackupStatus::Deleted)
            items.append(backupJson(b));
    }
    // Submitted, but the job has not written the row yet (queued): 'creating' as Cinder shows it,
    // or 'error' when the job ended without one.
    for (auto it = m_pending.constBegin(); it != m_pending.constEnd(); ++it) {
        if (known.contains(it.key()))
            continue;
        Backup b;
        b.id = it.key();
        b.name = it->name;
        b.description = it->description;
        b.container = it->container;
        b.createdAt = b.updatedAt = it->createdAt;
        b.status = it->finished ? BackupStatus::Error : BackupStatus::Creating;
        b.failReason = it->error;
        QJsonObject o = backupJson(b);
        o.insert(QStringLiteral("volume_id"), it->volumeUuid);
        items.append(o);
    }
    return items;
}

QJsonObject CinderApi::backupByUuid(const QString &id) const
{
    for (const QJsonObject &o : allBackups())
        if (o.value(QStringLiteral("id")).toString() == id)
            return o;
    throw NotFoundError(QStringLiteral("Backup %1 could not be found.").arg(id));
}

ApiReply CinderApi::listBackups(const CinderRequest &call, const HttpRequest &request)
{
    QList<QJsonObject> items = allBackups();
    const QString base = baseUrl(request);
    for (QJsonObject &o : items)
        o.insert(QStringLiteral("links"), selfLinks(base, call, QStringLiteral("backups"), o.value(QStringLiteral("id")).toString()));
    return page(QStringLiteral("backups"), items, call, request,
                {QStringLiteral("id"), QStringLiteral("name"), QStringLiteral("status"), QStringLiteral("size"),
                 QStringLiteral("created_at"), QStringLiteral("container"), QStringLiteral("volume_id")},
                QStringLiteral("/v%1/%2/backups%3").arg(call.apiVersion).arg(call.project, call.detail ? QStringLiteral("/detail") : QString()));
}

ApiReply CinderApi::createBackup(const CinderRequest &call, const HttpRequest &request)
{
    const Volume volume = volumeByUuid(call.volumeId, currentVolumes());
    // A restore (a console's writable export or a job) or another backup holds it: say who.
    const QString holder = VolumeStore(m_catalog).holderOf(volume.id);
    if (!holder.isEmpty())
        throw RefusedError(QStringLiteral("Invalid volume: Volume %1 is '%2', held by %3; back it up once that has ended.")
                               .arg(volume.name, volume.status, holder));
    checkJobLimit(m_engine);
    BackupRequest backup;
    backup.volumeId = volume.id;
    backup.container = call.container;
    backup.name = call.name;
    backup.description = call.description;
    backup.force = call.force;
    // Every backup is a whole, deduplicated one (only new chunks are stored): `incremental` is
    // accepted and changes nothing, and no backup depends on another.
    JobHandle *job = m_engine.submitBackup(backup); // the status rules refuse here, creating nothing
    const std::optional<Job> row = JobStore(m_catalog).find(job->id());
    const QString id = row ? row->backupId : QString();
    Pending pending{volumeUuid(volume.id), call.name, call.description,
                    call.container.isEmpty() ? m_engine.config().defaultContainer : call.container,
                    QDateTime::currentDateTimeUtc(), false, QString()};
    m_pending.insert(id, pending);
    QObject::connect(job, &JobHandle::finished, &m_engine, [this, id](const QString &status, const QString &error) {
        const auto it = m_pending.find(id);
        if (it == m_pending.end())
            return;
        if (jobSucceeded(status)) {
            m_pending.erase(it); // its row is in the catalog
            return;
        }
        it->finished = true;
        it->error = error;
    });
    return json(202, {{QStringLiteral("backup"), QJsonObject{{QStringLiteral("id"), id},
                                                             {QStringLiteral("name"), textOrNull(call.name)},
                                                             {QStringLiteral("links"), selfLinks(baseUrl(request), call,
                                                                                                 QStringLiteral("backups"), id)}}}});
}

ApiReply CinderApi::restoreBackup(const CinderRequest &call, const HttpRequest &request)
{
    Q_UNUSED(request);
    backupByUuid(call.id); // 404 for what is not (or no longer) there
    const Backup backup = m_engine.backup(call.id);
    if (backup.status != BackupStatus::Available)
        throw RefusedError(QStringLiteral("Invalid backup: Backup status must be available, not '%1'.").arg(backup.status));
    const QList<Volume> volumes = currentVolumes();
    RestoreRequest restore;
    restore.backupId = backup.id;
    Volume target;
    if (!call.restoreVolumeId.isEmpty()) {
        target = volumeByUuid(call.restoreVolumeId, volumes);
        // Nothing may read or write it meanwhile: a console's copy, a backup, another restore.
        const QString holder = VolumeStore(m_catalog).holderOf(target.id, true);
        if (!holder.isEmpty())
            throw RefusedError(QStringLiteral("Invalid volume: Volume %1 is held by %2; restore onto it once that has ended.")
                                   .arg(target.name, holder));
        if (target.status != VolumeStatus::Available)
            throw RefusedError(QStringLiteral("Invalid volume: Volume %1 is '%2'; a backup is restored only onto an "
                                              "'available' volume.").arg(target.name, target.status));
        if (target.size < backup.size)
            throw RefusedError(QStringLiteral("Invalid volume: volume %1 has %2 bytes, the backup %3: restore onto a volume "
                                              "at least as large, or to a new volume.")
                                   .arg(target.name).arg(target.size).arg(backup.size));
        restore.target = RestoreRequest::Target::ExistingVolume;
        restore.volumeId = target.id;
    } else {
        // A new volume beside the backup's own volume (or on the first storage when that is gone).
        QString driverId;
        for (const Volume &v : volumes)
            if (v.id == backup.volumeId)
                driverId = v.driverId;
        if (driverId.isEmpty() && !m_engine.drivers().isEmpty())
            driverId = m_engine.drivers().first()->id();
        restore.target = RestoreRequest::Target::NewVolume;
        restore.driverId = driverId;
        restore.newVolumeName = call.restoreName.isEmpty() ? QStringLiteral("restore-") + backup.id : call.restoreName;
        const QString newId = DriverSet::volumeId(driverId, restore.newVolumeName);
        for (const Volume &v : volumes)
            if (v.id == newId)
                throw RefusedError(QStringLiteral("a volume named '%1' exists already: restore onto it (volume_id) or give "
                                                  "another name").arg(restore.newVolumeName));
        target.id = newId;
        target.name = restore.newVolumeName;
    }
    checkJobLimit(m_engine);
    m_engine.submitRestore(restore);
    return json(202, {{QStringLiteral("restore"), QJsonObject{{QStringLiteral("backup_id"), backup.id},
                                                              {QStringLiteral("volume_id"), volumeUuid(target.id)},
                                                              {QStringLiteral("volume_name"), target.name}}}});
}

} // namespace ndb
