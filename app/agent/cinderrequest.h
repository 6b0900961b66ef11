#pragma once
// The Cinder-compatible Block Storage API (issue #13) as pure functions over a parsed HTTP request:
// which call it is, with its ids, list options and body fields checked (strict JSON, unknown
// fields refused, names and ids validated), and the list, error and version documents Cinder's
// clients expect. No engine, no sockets: tests and the fuzz target call them with bytes.
#include "net/httpmessage.h"
#include "util/error.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>

namespace ndb {

// The microversion this agent speaks: the base of v3 (what python-cinderclient negotiates down to).
inline constexpr auto kCinderMicroversion = "3.0";

// An error with the HTTP status Cinder answers with (405, 406, 413, 415 ...); other ndb::Error
// kinds map through cinderStatusFor().
class CinderFault : public Error
{
public:
    CinderFault(int status, QString message) : Error(std::move(message), ErrorKind::InvalidInput), m_status(status) {}
    int status() const { return m_status; }

private:
    int m_status;
};

struct CinderListQuery
{
    int limit = -1;                            // -1: all
    QString marker;                            // id of the last item of the previous page
    QList<QPair<QString, bool>> sort;          // key, ascending; empty: created_at desc, id desc
    QList<QPair<QString, QString>> filters;    // name, status, volume_id ... (exact matches)
};

struct CinderRequest
{
    enum class Op { Versions, VersionDoc, ListVolumes, ShowVolume, ListBackups, ShowBackup, CreateBackup, DeleteBackup,
                    RestoreBackup };
    Op op = Op::Versions;
    int apiVersion = 3; // 2 or 3: the path's
    QString project;
    QString id;          // volume or backup id in the path
    bool detail = false; // .../detail lists
    CinderListQuery list;

    // CreateBackup (the specification's display_name/display_description, or name/description)
    QString volumeId;
    QString container;
    QString name;
    QString description;
    bool force = false;
    bool incremental = false;

    // RestoreBackup: an existing volume, or (empty) a new volume named restoreName (may be empty)
    QString restoreVolumeId;
    QString restoreName;
};

// Version discovery needs no token (python-cinderclient asks for it without one, as of Cinder).
bool isCinderVersionDiscovery(const HttpRequest &request);
// Throws CinderFault / ndb::Error saying what is wrong; an unknown path is NotFoundError.
CinderRequest parseCinderRequest(const HttpRequest &request);

// Sorts, filters and pages `items` (each with at least "id"); `more` tells whether a page was
// cut short by the limit. An unknown marker or sort key is InvalidInputError.
QList<QJsonObject> cinderPage(QList<QJsonObject> items, const CinderListQuery &query, const QStringList &sortKeys,
                              bool *more);

// {"<type>": {"message": ..., "code": status}} with Cinder's fault type for the status.
QByteArray cinderFaultBody(int status, const QString &message);
int cinderStatusFor(const Error &error);
// GET / and GET /v3/ documents; `base` is "https://host:port".
QJsonObject cinderVersions(const QString &base, bool onlyV3);

// Whole GiB, rounded up (Cinder's sizes); 0 bytes is 0.
qint64 cinderGigabytes(qint64 bytes);

} // namespace ndb
