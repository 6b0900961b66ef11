#pragma once
// The agent's API (app/agent/API.md): routes a parsed request of an authenticated console to
// the export manager and the drivers, and turns every outcome into a status and a JSON body.
// Independent of sockets, so tests and fuzzers can call it with bytes.
#include "net/httpmessage.h"

#include <QJsonObject>
#include <QSslCertificate>

#include <functional>

namespace ndb {

struct AgentConfig;
class DriverSet;
class ExportManager;
class StorageWorker;
struct TlsIdentity;

struct ApiReply
{
    ApiReply() = default;
    ApiReply(int status, QByteArray body, QByteArray headers = {})
        : status(status), body(std::move(body)), headers(std::move(headers)) {}

    int status = 200;
    QByteArray body; // JSON; empty for 204
    QByteArray headers; // extra "Name: value\r\n" lines (the Cinder API's microversion)
};

class CinderApi;

class ApiRouter
{
public:
    // Storage calls go to `worker`; everything else runs on the calling (event loop) thread.
    ApiRouter(const AgentConfig &config, ExportManager &exports, DriverSet &drivers, const TlsIdentity &identity,
              StorageWorker &worker);
    // `console` is null for a client without a certificate: it may use the Cinder-compatible API
    // (with a token), never /v1.
    ApiReply handle(const HttpRequest &request, const QSslCertificate &console);
    // The Cinder-compatible API (/, /v2, /v3); without one those paths are 404.
    void setCinderApi(CinderApi *cinder) { m_cinder = cinder; }

private:
    ApiReply route(const HttpRequest &request, const QSslCertificate &console);
    QJsonObject node() const;
    QJsonObject volumes() const;
    // Records a running operation of `kind`, queues `work` on the storage worker; the 202 answer.
    ApiReply startOperation(const QString &kind, std::function<QJsonObject(ExportManager &)> work);
    ApiReply createVolume(const HttpRequest &request);

    const AgentConfig &m_config;
    ExportManager &m_exports;
    DriverSet &m_drivers;
    const TlsIdentity &m_identity;
    StorageWorker &m_worker;
    CinderApi *m_cinder = nullptr;
};

} // namespace ndb
