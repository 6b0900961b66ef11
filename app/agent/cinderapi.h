#pragma once
// The Cinder-compatible Block Storage API on the agent's port (issue #13, API.md "Cinder-compatible
// API"): callers authenticate with an API token (X-Auth-Token) instead of a console certificate;
// volumes are the agent's, backups run as ordinary jobs of the agent's Engine (same catalog and
// repository an ndbackupctl on the node sees). Every call is written to the audit log.
#include "apirouter.h"
#include "cinderrequest.h"

#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QPointer>

namespace ndb {

class Catalog;
class Engine;
class JobHandle;
class TokenStore;
struct Backup;
struct Volume;

class CinderApi
{
public:
    CinderApi(Engine &engine, Catalog &catalog, TokenStore &tokens, QString auditLog, QString nodeName);

    // A request for /, /v2/... or /v3/...
    ApiReply handle(const HttpRequest &request);
    // A request for the console API (/v1/...) from a client without a console certificate.
    ApiReply refuseConsoleApi(const HttpRequest &request);

    // The stable UUID under which a volume of this agent is shown (Cinder's ids are UUIDs; ours
    // are "<driver id>/<name>").
    static QString volumeUuid(const QString &volumeId);

private:
    struct Pending // a backup whose job has not written its row yet
    {
        QString volumeUuid, name, description, container;
        QDateTime createdAt;
        bool finished = false;
        QString error;
    };

    ApiReply dispatch(const CinderRequest &call, const HttpRequest &request);
    ApiReply listVolumes(const CinderRequest &call, const HttpRequest &request);
    ApiReply listBackups(const CinderRequest &call, const HttpRequest &request);
    ApiReply createBackup(const CinderRequest &call, const HttpRequest &request);
    ApiReply restoreBackup(const CinderRequest &call, const HttpRequest &request);
    QList<Volume> currentVolumes();
    Volume volumeByUuid(const QString &uuid, const QList<Volume> &volumes) const;
    QList<QJsonObject> allBackups() const;
    QJsonObject backupByUuid(const QString &id) const;
    QJsonObject volumeJson(const Volume &v, bool detail, const QString &base, const QString &project) const;
    QJsonObject backupJson(const Backup &b) const;
    void audit(const QString &tokenName, const HttpRequest &request, int status) const;

    Engine &m_engine;
    Catalog &m_catalog;
    TokenStore &m_tokens;
    QString m_auditLog;
    QString m_nodeName;
    QHash<QString, Pending> m_pending;
};

} // namespace ndb
