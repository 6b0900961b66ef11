#include "apirouter.h"
#include "agentconfig.h"
#include "cinderapi.h"
#include "exportmanager.h"
#include "net/apijson.h"
#include "net/identity.h"
#include "operations.h"
#include "storageworker.h"
#include "util/names.h"
#include "util/runsync.h"
#include "volumes/driverset.h"
#include "volumes/image/imagedriver.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUuid>

#include <sys/statvfs.h>

namespace ndb {

namespace {

QByteArray toJson(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

ApiReply reply(int status, const QJsonObject &object)
{
    return ApiReply{status, toJson(object)};
}

ApiReply methodNotAllowed(const HttpRequest &request)
{
    return ApiReply{405, apiErrorBody(QStringLiteral("invalid"),
                                      QStringLiteral("%1 is not allowed on %2 (see API.md)")
                                          .arg(QString::fromLatin1(request.method), QString::fromLatin1(request.path)))};
}

// The four export calls of a snapshot or of a volume (a restore target).
struct ExportCalls
{
    std::function<QJsonObject()> create, connect;
    std::function<void()> remove, terminate;
};

// POST or DELETE on …/export (create / remove) or …/connection (initialize / terminate).
ApiReply exportCall(const HttpRequest &request, bool isExport, const ExportCalls &calls)
{
    parseJsonObjectBody(request.body, {});
    if (request.method == "POST")
        return isExport ? reply(200, {{QStringLiteral("export"), calls.create()}})
                        : reply(200, {{QStringLiteral("connection"), calls.connect()}});
    if (request.method == "DELETE") {
        if (isExport)
            calls.remove();
        else
            calls.terminate();
        return ApiReply{204, {}};
    }
    return methodNotAllowed(request);
}

} // namespace

ApiRouter::ApiRouter(const AgentConfig &config, ExportManager &exports, DriverSet &drivers, const TlsIdentity &identity,
                     StorageWorker &worker)
    : m_config(config), m_exports(exports), m_drivers(drivers), m_identity(identity), m_worker(worker)
{
}

ApiReply ApiRouter::handle(const HttpRequest &request, const QSslCertificate &console)
{
    // /v1 is the consoles' (mutual TLS); everything else is the Cinder-compatible API (tokens).
    const bool consoleApi = request.path == "/v1" || request.path.startsWith("/v1/");
    if (m_cinder && !consoleApi)
        return m_cinder->handle(request);
    if (console.isNull())
        return m_cinder ? m_cinder->refuseConsoleApi(request)
                        : ApiReply{401, apiErrorBody(QStringLiteral("refused"), QStringLiteral("a trusted console certificate is required"))};
    try {
        const QByteArray type = request.header("content-type");
        if (!request.body.isEmpty() && !type.startsWith("application/json"))
            return ApiReply{415, apiErrorBody(QStringLiteral("invalid"), QStringLiteral("request bodies must be "
                                                                                        "application/json"))};
        return route(request, console);
    } catch (const Error &e) {
        return ApiReply{httpStatusFor(e.kind()), apiErrorBody(errorKindName(e.kind()), e.message())};
    } catch (const std::exception &e) {
        return ApiReply{500, apiErrorBody(errorKindName(ErrorKind::Failed), QString::fromUtf8(e.what()))};
    }
}

ApiReply ApiRouter::route(const HttpRequest &request, const QSslCertificate &console)
{
    // Segments are percent-decoded one by one (a volume id holds '/', sent as %2F); every id is
    // validated where it is used, and a volume id must be one the drivers list.
    QStringList parts;
    for (const QByteArray &segment : request.path.split('/').mid(1))
        parts << QString::fromUtf8(QByteArray::fromPercentEncoding(segment));
    const QString fingerprint = certificateFingerprint(console);
    const QByteArray &method = request.method;
    const auto notFound = [&] {
        return ApiReply{404, apiErrorBody(errorKindName(ErrorKind::NotFound),
                                          QStringLiteral("no such resource: %1").arg(QString::fromLatin1(request.path.left(200))))};
    };
    if (parts.size() < 2 || parts[0] != QLatin1String("v1") || parts.contains(QString()))
        return notFound();
    const QString &collection = parts[1];

    if (parts.size() == 2 && collection == QLatin1String("node")) {
        if (method != "GET")
            return methodNotAllowed(request);
        return reply(200, node());
    }
    if (parts.size() == 2 && collection == QLatin1String("volumes")) {
        if (method == "POST")
            return createVolume(request);
        if (method != "GET")
            return methodNotAllowed(request);
        return reply(200, volumes());
    }
    if (parts.size() == 4 && collection == QLatin1String("volumes") && parts[3] == QLatin1String("snapshots")) {
        if (method != "POST")
            return methodNotAllowed(request);
        const QJsonObject body = parseJsonObjectBody(request.body, {QStringLiteral("backup_id"), QStringLiteral("name")});
        const QString backupId = jsonString(body, QStringLiteral("backup_id"));
        const QString name = jsonString(body, QStringLiteral("name"), false);
        validateName(backupId, QStringLiteral("backup id"));
        validateText(name, QStringLiteral("snapshot name"), 255);
        const QString volumeId = parts[2];
        m_exports.checkCopyRequest(volumeId, backupId);
        return startOperation(QStringLiteral("snapshot"), [=](ExportManager &exports) {
            return QJsonObject{{QStringLiteral("snapshot"), exports.createSnapshot(volumeId, backupId, name)}};
        });
    }
    if (parts.size() == 4 && collection == QLatin1String("volumes")
        && (parts[3] == QLatin1String("export") || parts[3] == QLatin1String("connection"))) {
        // A writable export of the volume itself: the target of a restore.
        const QString &volumeId = parts[2];
        return exportCall(request, parts[3] == QLatin1String("export"),
                          {[&] { return m_exports.createVolumeExport(volumeId, fingerprint); },
                           [&] { return m_exports.initializeVolumeConnection(volumeId, console); },
                           [&] { m_exports.removeVolumeExport(volumeId, fingerprint); },
                           [&] { m_exports.terminateVolumeConnection(volumeId, fingerprint); }});
    }
    if (parts.size() == 3 && collection == QLatin1String("operations")) {
        if (method != "GET")
            return methodNotAllowed(request);
        return reply(200, QJsonObject{{QStringLiteral("operation"), OperationStore(m_exports.catalog()).get(parts[2])}});
    }
    if (collection == QLatin1String("snapshots") && (parts.size() == 3 || parts.size() == 4)) {
        const QString snapshotId = parts[2];
        validateName(snapshotId, QStringLiteral("snapshot id"));
        const QString sub = parts.value(3);
        if (sub.isEmpty()) {
            if (method == "GET")
                return reply(200, {{QStringLiteral("snapshot"), m_exports.snapshotState(snapshotId)}});
            if (method != "DELETE")
                return methodNotAllowed(request);
            parseJsonObjectBody(request.body, {});
            // The export goes now (NotFoundError before an operation exists); the storage call
            // runs on the worker.
            m_exports.beginDelete(snapshotId);
            return startOperation(QStringLiteral("delete-snapshot"), [=](ExportManager &exports) {
                exports.deleteSnapshot(snapshotId);
                return QJsonObject{{QStringLiteral("snapshot_id"), snapshotId}};
            });
        }
        if (sub == QLatin1String("export") || sub == QLatin1String("connection"))
            return exportCall(request, sub == QLatin1String("export"),
                              {[&] { return m_exports.createExport(snapshotId, fingerprint); },
                               [&] { return m_exports.initializeConnection(snapshotId, console); },
                               [&] { m_exports.removeExport(snapshotId, fingerprint); },
                               [&] { m_exports.terminateConnection(snapshotId, fingerprint); }});
        return notFound();
    }
    if (parts.size() == 4 && collection == QLatin1String("exports") && parts[3] == QLatin1String("lease")) {
        if (method != "POST")
            return methodNotAllowed(request);
        const QJsonObject body = parseJsonObjectBody(request.body, {QStringLiteral("seconds")});
        const int seconds = int(jsonInteger(body, QStringLiteral("seconds"), 1, 3600));
        return reply(200, {{QStringLiteral("export"), m_exports.extendLease(parts[2], fingerprint, seconds)}});
    }
    return notFound();
}

ApiReply ApiRouter::startOperation(const QString &kind, std::function<QJsonObject(ExportManager &)> work)
{
    const QString id = OperationStore(m_exports.catalog()).start(kind);
    m_worker.run(id, std::move(work));
    return reply(202, operationReference(id, QStringLiteral("running")));
}

ApiReply ApiRouter::createVolume(const HttpRequest &request)
{
    const QJsonObject body = parseJsonObjectBody(request.body, {QStringLiteral("driver"), QStringLiteral("name"), QStringLiteral("size")});
    const QString driverId = jsonString(body, QStringLiteral("driver"));
    const QString name = jsonString(body, QStringLiteral("name"));
    // Up to 64 TiB, whole 512-byte sectors.
    constexpr qint64 kMaxSize = qint64(1) << 46;
    const qint64 size = jsonInteger(body, QStringLiteral("size"), 512, kMaxSize);
    validateUserName(name, QStringLiteral("volume name"));
    if (size % 512 != 0)
        throw InvalidInputError(QStringLiteral("size %1 is not a whole number of 512-byte sectors").arg(size));
    VolumeDriver *driver = &m_exports.driverById(driverId);
    // An image is sparse, but a restore fills it: one larger than the pool's free space would
    // fail half-way through the restore instead of now.
    if (const auto *image = dynamic_cast<const ImageDriver *>(driver)) {
        struct statvfs st {};
        if (::statvfs(QFile::encodeName(image->poolPath()).constData(), &st) == 0) {
            const qint64 free = qint64(st.f_bavail) * qint64(st.f_frsize);
            if (size > free)
                throw InvalidInputError(QStringLiteral("size %1 bytes is more than the %2 bytes free in image pool %3; ask for "
                                                       "a smaller volume or free space in the pool")
                                            .arg(size).arg(free).arg(image->poolPath()));
        }
    }
    return startOperation(QStringLiteral("create-volume"), [=](ExportManager &exports) {
        return QJsonObject{{QStringLiteral("volume"), exports.createVolume(driverId, name, size)}};
    });
}

QJsonObject ApiRouter::node() const
{
    QJsonArray drivers;
    for (VolumeDriver *driver : m_drivers.all())
        drivers.append(QJsonObject{{QStringLiteral("id"), driver->id()}, {QStringLiteral("kind"), driver->kind()}});
    return QJsonObject{{QStringLiteral("name"), m_config.nodeName},
                       {QStringLiteral("version"), QStringLiteral(NDBACKUP_VERSION)},
                       {QStringLiteral("fingerprint"), m_identity.fingerprint()},
                       {QStringLiteral("drivers"), drivers}};
}

QJsonObject ApiRouter::volumes() const
{
    QJsonArray list, errors;
    const QSet<QString> restoring = m_exports.restoringVolumes();
    for (VolumeDriver *driver : m_drivers.all()) {
        // One pool or volume group that cannot be listed (gone, unmounted) must not hide the
        // node's other volumes: it is reported beside them.
        QList<Volume> volumes;
        try {
            volumes = runSync(driver->listVolumes());
        } catch (const Error &e) {
            errors.append(QJsonObject{{QStringLiteral("driver"), driver->id()},
                                      {QStringLiteral("pool"), driver->id().section(QLatin1Char(':'), 1)},
                                      {QStringLiteral("kind"), errorKindName(e.kind())},
                                      {QStringLiteral("message"), e.message()}});
            continue;
        }
        for (const Volume &v : volumes) {
            QJsonObject volume = volumeJson(*driver, v);
            // Our writable export holds it open: a restore target, not a volume in use.
            if (restoring.contains(v.id))
                volume[QStringLiteral("status")] = VolumeStatus::RestoringBackup;
            list.append(volume);
        }
    }
    return QJsonObject{{QStringLiteral("volumes"), list}, {QStringLiteral("errors"), errors}};
}

} // namespace ndb
