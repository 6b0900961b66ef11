#include "cinderrequest.h"

#include "net/apijson.h"
#include "util/names.h"

#include <QJsonDocument>
#include <QUuid>

#include <algorithm>

namespace ndb {

namespace {

constexpr int kMaxLimit = 1000; // Cinder's osapi_max_limit

[[noreturn]] void badMethod(const HttpRequest &request)
{
    throw CinderFault(405, QStringLiteral("%1 is not allowed on %2").arg(QString::fromLatin1(request.method),
                                                                         QString::fromLatin1(request.path.left(200))));
}

void requireMethod(const HttpRequest &request, const char *method)
{
    if (request.method != method)
        badMethod(request);
}

// A UUID as Cinder writes it (lower-case, with dashes); anything else is refused before a lookup.
void validateUuid(const QString &id, const QString &what)
{
    validateName(id, what);
    const QUuid uuid = QUuid::fromString(id);
    if (uuid.isNull() || uuid.toString(QUuid::WithoutBraces) != id.toLower())
        throw InvalidInputError(QStringLiteral("invalid %1 '%2': expected a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6")
                                    .arg(what, id));
}

void requireOnlyFields(const QJsonObject &object, const QStringList &allowed, const QString &what)
{
    for (auto it = object.begin(); it != object.end(); ++it)
        if (!allowed.contains(it.key()))
            throw InvalidInputError(QStringLiteral("unknown field '%1' in %2 (allowed: %3)")
                                        .arg(it.key().left(100), what, allowed.join(QLatin1String(", "))));
}

// An optional string field; JSON null is absent (python-cinderclient sends null for what is unset).
QString optionalString(const QJsonObject &object, const QString &field)
{
    const QJsonValue v = object.value(field);
    if (v.isUndefined() || v.isNull())
        return {};
    if (!v.isString())
        throw InvalidInputError(QStringLiteral("field '%1' must be a string").arg(field));
    return v.toString();
}

bool optionalBool(const QJsonObject &object, const QString &field)
{
    const QJsonValue v = object.value(field);
    if (v.isUndefined() || v.isNull())
        return false;
    if (v.isBool())
        return v.toBool();
    // Cinder parses these strictly from strings too ("True", "false").
    if (v.isString()) {
        const QString s = v.toString().toLower();
        if (s == QLatin1String("true"))
            return true;
        if (s == QLatin1String("false"))
            return false;
    }
    throw InvalidInputError(QStringLiteral("field '%1' must be true or false").arg(field));
}

QJsonObject innerObject(const HttpRequest &request, const QString &key)
{
    if (!request.header("content-type").startsWith("application/json"))
        throw CinderFault(415, QStringLiteral("the request body must be application/json"));
    const QJsonObject outer = parseJsonObjectBody(request.body, {key});
    const QJsonValue inner = outer.value(key);
    if (!inner.isObject())
        throw InvalidInputError(QStringLiteral("the request body must be {\"%1\": {...}}").arg(key));
    return inner.toObject();
}

void requireNoBody(const HttpRequest &request)
{
    if (!request.body.isEmpty())
        throw InvalidInputError(QStringLiteral("%1 takes no request body").arg(QString::fromLatin1(request.method)));
}

CinderListQuery parseQuery(const QByteArray &query, const QStringList &filters)
{
    CinderListQuery q;
    QStringList seen;
    QString sortKey, sortDir;
    for (const QByteArray &pair : query.split('&')) {
        if (pair.isEmpty())
            continue;
        const qsizetype eq = pair.indexOf('=');
        QByteArray rawKey = eq < 0 ? pair : pair.left(eq);
        QByteArray rawValue = eq < 0 ? QByteArray() : pair.mid(eq + 1);
        const QString key = QString::fromUtf8(QByteArray::fromPercentEncoding(rawKey.replace('+', ' ')));
        const QString value = QString::fromUtf8(QByteArray::fromPercentEncoding(rawValue.replace('+', ' ')));
        if (seen.contains(key))
            throw InvalidInputError(QStringLiteral("query parameter '%1' is given twice").arg(key.left(100)));
        seen << key;
        validateText(value, QStringLiteral("query parameter"), 1024);
        if (key == QLatin1String("limit")) {
            bool ok = false;
            const int limit = value.toInt(&ok);
            if (!ok || limit < 0)
                throw InvalidInputError(QStringLiteral("limit must be a whole number of at least 0, not '%1'").arg(value.left(100)));
            q.limit = std::min(limit, kMaxLimit);
        } else if (key == QLatin1String("marker")) {
            validateUuid(value, QStringLiteral("marker"));
            q.marker = value.toLower();
        } else if (key == QLatin1String("sort")) {
            for (const QString &item : value.split(QLatin1Char(','))) {
                const QStringList kd = item.trimmed().split(QLatin1Char(':'));
                const QString dir = kd.value(1, QStringLiteral("desc")).trimmed().toLower();
                if (kd.size() > 2 || kd[0].trimmed().isEmpty() || (dir != QLatin1String("asc") && dir != QLatin1String("desc")))
                    throw InvalidInputError(QStringLiteral("sort '%1' is not KEY[:asc|desc][,KEY[:asc|desc]...]").arg(value.left(100)));
                // python-cinderclient sends the v1 name of the name key.
                const QString sortKey = kd[0].trimmed() == QLatin1String("display_name") ? QStringLiteral("name") : kd[0].trimmed();
                q.sort.append({sortKey, dir == QLatin1String("asc")});
            }
        } else if (key == QLatin1String("sort_key")) {
            sortKey = value == QLatin1String("display_name") ? QStringLiteral("name") : value;
        } else if (key == QLatin1String("sort_dir")) {
            sortDir = value.toLower();
            if (sortDir != QLatin1String("asc") && sortDir != QLatin1String("desc"))
                throw InvalidInputError(QStringLiteral("sort_dir must be asc or desc, not '%1'").arg(value.left(100)));
        } else if (key == QLatin1String("all_tenants") || key == QLatin1String("with_count")) {
            // One project per agent: all tenants are this one; counts are not offered.
        } else if (filters.contains(key)) {
            q.filters.append({key == QLatin1String("display_name") ? QStringLiteral("name") : key, value});
        } else {
            throw InvalidInputError(QStringLiteral("unknown query parameter '%1' (allowed: limit, marker, sort, sort_key, "
                                                   "sort_dir, all_tenants, %2)")
                                        .arg(key.left(100), filters.join(QLatin1String(", "))));
        }
    }
    if (!sortKey.isEmpty() || !sortDir.isEmpty()) {
        if (!q.sort.isEmpty())
            throw InvalidInputError(QStringLiteral("give either sort or sort_key/sort_dir, not both"));
        q.sort.append({sortKey.isEmpty() ? QStringLiteral("created_at") : sortKey, sortDir == QLatin1String("asc")});
    }
    return q;
}

void parseCreateBackup(const HttpRequest &request, CinderRequest &r)
{
    const QJsonObject b = innerObject(request, QStringLiteral("backup"));
    requireOnlyFields(b, {QStringLiteral("volume_id"), QStringLiteral("container"), QStringLiteral("name"),
                          QStringLiteral("description"), QStringLiteral("display_name"), QStringLiteral("display_description"),
                          QStringLiteral("force"), QStringLiteral("incremental"), QStringLiteral("snapshot_id")},
                      QStringLiteral("the backup"));
    r.volumeId = optionalString(b, QStringLiteral("volume_id")).toLower();
    if (r.volumeId.isEmpty())
        throw InvalidInputError(QStringLiteral("the backup needs a volume_id (see GET .../volumes)"));
    validateUuid(r.volumeId, QStringLiteral("volume_id"));
    if (!optionalString(b, QStringLiteral("snapshot_id")).isEmpty())
        throw InvalidInputError(QStringLiteral("backups of Cinder snapshots are not offered: back up the volume itself "
                                               "(in-use volumes with force; the agent takes its own temporary snapshot)"));
    r.container = optionalString(b, QStringLiteral("container"));
    if (!r.container.isEmpty())
        validateName(r.container, QStringLiteral("container"));
    // The specification's display_* names and later Cinder's; both given must agree.
    const auto either = [&](const QString &modern, const QString &old) {
        const QString a = optionalString(b, modern), c = optionalString(b, old);
        if (!a.isEmpty() && !c.isEmpty() && a != c)
            throw InvalidInputError(QStringLiteral("'%1' and '%2' differ: give one of them").arg(modern, old));
        return a.isEmpty() ? c : a;
    };
    r.name = either(QStringLiteral("name"), QStringLiteral("display_name"));
    r.description = either(QStringLiteral("description"), QStringLiteral("display_description"));
    validateText(r.name, QStringLiteral("backup name"), 255);
    validateText(r.description, QStringLiteral("description"), 4096);
    r.force = optionalBool(b, QStringLiteral("force"));
    r.incremental = optionalBool(b, QStringLiteral("incremental"));
}

void parseRestore(const HttpRequest &request, CinderRequest &r)
{
    const QJsonObject b = innerObject(request, QStringLiteral("restore"));
    requireOnlyFields(b, {QStringLiteral("volume_id"), QStringLiteral("name")}, QStringLiteral("the restore"));
    r.restoreVolumeId = optionalString(b, QStringLiteral("volume_id")).toLower();
    if (!r.restoreVolumeId.isEmpty())
        validateUuid(r.restoreVolumeId, QStringLiteral("volume_id"));
    r.restoreName = optionalString(b, QStringLiteral("name"));
    if (!r.restoreName.isEmpty())
        validateUserName(r.restoreName, QStringLiteral("volume"));
}

} // namespace

bool isCinderVersionDiscovery(const HttpRequest &request)
{
    return request.method == "GET"
        && (request.path == "/" || request.path == "/v3" || request.path == "/v3/" || request.path == "/v2"
            || request.path == "/v2/");
}

CinderRequest parseCinderRequest(const HttpRequest &request)
{
    CinderRequest r;
    QStringList parts;
    for (const QByteArray &segment : request.path.split('/').mid(1))
        parts << QString::fromUtf8(QByteArray::fromPercentEncoding(segment));
    if (!parts.isEmpty() && parts.last().isEmpty())
        parts.removeLast(); // "/v3/" as "/v3"
    const auto notFound = [&] {
        return NotFoundError(QStringLiteral("no such resource: %1 (this agent serves volumes and backups of the Block "
                                            "Storage API v3, and v2 backups)").arg(QString::fromLatin1(request.path.left(200))));
    };
    if (parts.isEmpty()) {
        requireMethod(request, "GET");
        requireNoBody(request);
        return r;
    }
    if (parts[0] != QLatin1String("v3") && parts[0] != QLatin1String("v2"))
        throw notFound();
    r.apiVersion = parts[0] == QLatin1String("v3") ? 3 : 2;
    if (parts.size() == 1) {
        requireMethod(request, "GET");
        requireNoBody(request);
        r.op = CinderRequest::Op::VersionDoc;
        return r;
    }
    if (parts.size() < 3 || parts.size() > 5 || parts.contains(QString()))
        throw notFound();
    r.project = parts[1];
    validateName(r.project, QStringLiteral("project id"));
    const QString &collection = parts[2];
    const QString sub = parts.value(3);
    if (collection == QLatin1String("volumes") && parts.size() <= 4) {
        if (request.method == "POST" && parts.size() == 3)
            throw CinderFault(405, QStringLiteral("volumes are not created through this API: restore a backup to a new volume "
                                                  "(POST .../backups/{id}/restore), or create it on the node"));
        requireMethod(request, "GET");
        requireNoBody(request);
        if (parts.size() == 3 || sub == QLatin1String("detail")) {
            r.op = CinderRequest::Op::ListVolumes;
            r.detail = parts.size() == 4;
            r.list = parseQuery(request.query, {QStringLiteral("name"), QStringLiteral("display_name"), QStringLiteral("status")});
            return r;
        }
        validateUuid(sub, QStringLiteral("volume id"));
        r.op = CinderRequest::Op::ShowVolume;
        r.id = sub.toLower();
        return r;
    }
    if (collection != QLatin1String("backups"))
        throw notFound();
    if (parts.size() == 3 || (parts.size() == 4 && sub == QLatin1String("detail"))) {
        if (request.method == "POST" && parts.size() == 3) {
            r.op = CinderRequest::Op::CreateBackup;
            parseCreateBackup(request, r);
            return r;
        }
        requireMethod(request, "GET");
        requireNoBody(request);
        r.op = CinderRequest::Op::ListBackups;
        r.detail = parts.size() == 4;
        r.list = parseQuery(request.query, {QStringLiteral("name"), QStringLiteral("display_name"), QStringLiteral("status"),
                                            QStringLiteral("volume_id"), QStringLiteral("container")});
        return r;
    }
    validateUuid(sub, QStringLiteral("backup id"));
    r.id = sub.toLower();
    if (parts.size() == 4) {
        if (request.method == "GET")
            r.op = CinderRequest::Op::ShowBackup;
        else if (request.method == "DELETE")
            r.op = CinderRequest::Op::DeleteBackup;
        else
            badMethod(request);
        requireNoBody(request);
        return r;
    }
    if (parts[4] != QLatin1String("restore"))
        throw notFound();
    requireMethod(request, "POST");
    r.op = CinderRequest::Op::RestoreBackup;
    parseRestore(request, r);
    return r;
}

QList<QJsonObject> cinderPage(QList<QJsonObject> items, const CinderListQuery &query, const QStringList &sortKeys, bool *more)
{
    QList<QPair<QString, bool>> sort = query.sort;
    for (const auto &[key, ascending] : sort)
        if (!sortKeys.contains(key))
            throw InvalidInputError(QStringLiteral("cannot sort by '%1' (sort keys: %2)").arg(key.left(100), sortKeys.join(QLatin1String(", "))));
    if (sort.isEmpty())
        sort.append({QStringLiteral("created_at"), false});
    if (std::none_of(sort.begin(), sort.end(), [](const auto &s) { return s.first == QLatin1String("id"); }))
        sort.append({QStringLiteral("id"), false}); // a total order, so that markers page reliably
    items.removeIf([&](const QJsonObject &item) {
        for (const auto &[key, value] : query.filters)
            if (item.value(key).toVariant().toString() != value)
                return true;
        return false;
    });
    std::stable_sort(items.begin(), items.end(), [&](const QJsonObject &a, const QJsonObject &b) {
        for (const auto &[key, ascending] : sort) {
            const QJsonValue x = a.value(key), y = b.value(key);
            int c = 0;
            if (x.isDouble() && y.isDouble())
                c = x.toDouble() < y.toDouble() ? -1 : x.toDouble() > y.toDouble() ? 1 : 0;
            else
                c = x.toVariant().toString().compare(y.toVariant().toString());
            if (c != 0)
                return ascending ? c < 0 : c > 0;
        }
        return false;
    });
    qsizetype start = 0;
    if (!query.marker.isEmpty()) {
        const auto it = std::find_if(items.begin(), items.end(), [&](const QJsonObject &item) {
            return item.value(QStringLiteral("id")).toString() == query.marker;
        });
        if (it == items.end())
            throw InvalidInputError(QStringLiteral("marker %1 is not in the list (it must be the id of the last item of the "
                                                   "previous page)").arg(query.marker));
        start = (it - items.begin()) + 1;
    }
    const qsizetype end = query.limit < 0 ? items.size() : std::min(items.size(), start + query.limit);
    if (more)
        *more = end < items.size();
    return items.mid(start, end - start);
}

QByteArray cinderFaultBody(int status, const QString &message)
{
    QString type;
    switch (status) {
    case 400: type = QStringLiteral("badRequest"); break;
    case 401: type = QStringLiteral("unauthorized"); break;
    case 403: type = QStringLiteral("forbidden"); break;
    case 404: type = QStringLiteral("itemNotFound"); break;
    case 405: type = QStringLiteral("badMethod"); break;
    case 406: type = QStringLiteral("notAcceptable"); break;
    case 409: type = QStringLiteral("conflictingRequest"); break;
    case 413: type = QStringLiteral("overLimit"); break;
    case 415: type = QStringLiteral("badMediaType"); break;
    default: type = QStringLiteral("computeFault"); break;
    }
    return QJsonDocument(QJsonObject{{type, QJsonObject{{QStringLiteral("message"), message}, {QStringLiteral("code"), status}}}})
        .toJson(QJsonDocument::Compact);
}

int cinderStatusFor(const Error &error)
{
    if (const auto *fault = dynamic_cast<const CinderFault *>(&error))
        return fault->status();
    switch (error.kind()) {
    case ErrorKind::InvalidInput:
    case ErrorKind::Refused: // Cinder's InvalidVolume / InvalidBackup are 400
        return 400;
    case ErrorKind::NotFound:
        return 404;
    default:
        return 500;
    }
}

QJsonObject cinderVersions(const QString &base, bool onlyV3)
{
    const auto version = [&](const QString &id, const QString &status, const QString &current, const QString &minimum) {
        return QJsonObject{{QStringLiteral("id"), id},
                           {QStringLiteral("status"), status},
                           {QStringLiteral("version"), current},
                           {QStringLiteral("min_version"), minimum},
                           {QStringLiteral("updated"), QStringLiteral("2016-02-08T12:20:21Z")},
                           {QStringLiteral("links"), QJsonArray{QJsonObject{{QStringLiteral("rel"), QStringLiteral("self")},
                                                                            {QStringLiteral("href"), base + QLatin1Char('/') + id.left(2) + QLatin1Char('/')}}}},
                           {QStringLiteral("media-types"),
                            QJsonArray{QJsonObject{{QStringLiteral("base"), QStringLiteral("application/json")},
                                                   {QStringLiteral("type"), QStringLiteral("application/vnd.openstack.volume+json;version=%1")
                                                                                .arg(id.mid(1, 1))}}}}};
    };
    QJsonArray versions{version(QStringLiteral("v3.0"), QStringLiteral("CURRENT"), QString::fromLatin1(kCinderMicroversion),
                                QStringLiteral("3.0"))};
    if (!onlyV3)
        versions.append(version(QStringLiteral("v2.0"), QStringLiteral("DEPRECATED"), QString(), QString()));
    return QJsonObject{{QStringLiteral("versions"), versions}};
}

qint64 cinderGigabytes(qint64 bytes)
{
    constexpr qint64 GiB = qint64(1) << 30;
    return bytes <= 0 ? 0 : (bytes + GiB - 1) / GiB;
}

} // namespace ndb
