#include "apirouter.h"
#include "agentconfig.h"
#include "cinderapi.h"
#include "exportmanager.h"
#include "net/apijson.h"
#include "net/identity.h"
#include "util/names.h"
#include "util/runsync.h"
#include "volumes/driverset.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QUuid>

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

} // namespace

ApiRouter::ApiRouter(const AgentConfig &config, ExportManager &exports, DriverSet &drivers, const TlsIdentity &identity)
    : m_config(config), m_exports(exports), m_drivers(drivers), m_identity(identity)
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
        return reply(202, runOperation([=, this] {
                         return QJsonObject{{QStringLiteral("snapshot"), m_exports.createSnapshot(volumeId, backupId, name)}};
                     }));
    }
    if (parts.size() == 3 && collection == QLatin1String("operations")) {
        if (method != "GET")
            return methodNotAllowed(request);
        validateName(parts[2], QStringLiteral("operation id"));
        const auto it = m_operations.constFind(parts[2]);
        if (it == m_operations.constEnd())
            throw NotFoundError(QStringLiteral("no operation with id '%1' (operations are kept until the agent restarts)")
                                    .arg(parts[2]));
        return reply(200, QJsonObject{{QStringLiteral("operation"), *it}});
    }
    if (collection == QLatin1String("snapshots") && (parts.size() == 3 || parts.size() == 4)) {
        const QString snapshotId = parts[2];
        validateName(snapshotId, QStringLiteral("snapshot id"));
        const QString sub = parts.value(3);
        if (sub.isEmpty()) {
            if (method != "DELETE")
                return methodNotAllowed(request);
            parseJsonObjectBody(request.body, {});
            m_exports.deleteSnapshot(snapshotId); // NotFoundError before an operation exists
            return reply(202, runOperation([=] { return QJsonObject{{QStringLiteral("snapshot_id"), snapshotId}}; }));
        }
        if (sub == QLatin1String("export") || sub == QLatin1String("connection")) {
            parseJsonObjectBody(request.body, {});
            const bool isExport = sub == QLatin1String("export");
            if (method == "POST")
                return isExport ? reply(200, {{QStringLiteral("export"), m_exports.createExport(snapshotId, fingerprint)}})
                                : reply(200, {{QStringLiteral("connection"), m_exports.initializeConnection(snapshotId, console)}});
            if (method == "DELETE") {
                if (isExport)
                    m_exports.removeExport(snapshotId, fingerprint);
                else
                    m_exports.terminateConnection(snapshotId, fingerprint);
                return ApiReply{204, {}};
            }
            return methodNotAllowed(request);
        }
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

QJsonObject ApiRouter::runOperation(const std::function<QJsonObject()> &work)
{
    // The API is asynchronous (long operations are polled); the reflink snapshots of this
    // version finish before the answer, so the operation is complete when it is first seen.
    const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    QJsonObject operation{{QStringLiteral("id"), id}, {QStringLiteral("status"), QStringLiteral("running")}};
    try {
        operation[QStringLiteral("result")] = work();
        operation[QStringLiteral("status")] = QStringLiteral("succeeded");
    } catch (const Error &e) {
        if (e.kind() == ErrorKind::InvalidInput || e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::Refused)
            throw; // refused before anything was started: a plain error answer, no operation
        operation[QStringLiteral("status")] = QStringLiteral("failed");
        operation[QStringLiteral("error")] = QJsonObject{{QStringLiteral("kind"), errorKindName(e.kind())},
                                                        {QStringLiteral("message"), e.message()}};
    }
    m_operations.insert(id, operation);
    return QJsonObject{{QStringLiteral("operation"), QJsonObject{{QStringLiteral("id"), id},
                                                                  {QStringLiteral("status"), operation.value(QStringLiteral("status"))}}}};
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
    QJsonArray list;
    for (VolumeDriver *driver : m_drivers.all()) {
        const QString location = driver->id().section(QLatin1Char(':'), 1);
        for (const Volume &v : runSync(driver->listVolumes()))
            list.append(QJsonObject{{QStringLiteral("id"), v.id},
                                    {QStringLiteral("name"), v.name},
                                    {QStringLiteral("driver"), driver->kind()},
                                    {QStringLiteral("pool"), location},
                                    {QStringLiteral("size"), v.size},
                                    {QStringLiteral("status"), v.status},
                                    {QStringLiteral("attachment"), v.attachedTo}});
    }
    return QJsonObject{{QStringLiteral("volumes"), list}};
}

} // namespace ndb
