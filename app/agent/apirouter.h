#pragma once
// The agent's API (app/agent/API.md): routes a parsed request of an authenticated console to
// the export manager and the drivers, and turns every outcome into a status and a JSON body.
// Independent of sockets, so tests and fuzzers can call it with bytes.
#include "net/httpmessage.h"

#include <QHash>
#include <QJsonObject>
#include <QSslCertificate>

namespace ndb {

struct AgentConfig;
class DriverSet;
class ExportManager;
struct TlsIdentity;

struct ApiReply
{
    int status = 200;
    QByteArray body; // JSON; empty for 204
};

class ApiRouter
{
public:
    ApiRouter(const AgentConfig &config, ExportManager &exports, DriverSet &drivers, const TlsIdentity &identity);
    ApiReply handle(const HttpRequest &request, const QSslCertificate &console);

private:
    ApiReply route(const HttpRequest &request, const QSslCertificate &console);
    QJsonObject node() const;
    QJsonObject volumes() const;
    QJsonObject runOperation(const std::function<QJsonObject()> &work);

    const AgentConfig &m_config;
    ExportManager &m_exports;
    DriverSet &m_drivers;
    const TlsIdentity &m_identity;
    QHash<QString, QJsonObject> m_operations; // id -> {id, status, result, error}
};

} // namespace ndb
