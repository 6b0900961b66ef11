#pragma once
// What an agent serves and where it keeps its state. The configuration file is the engine's INI
// format (image_pools, lvm_volume_groups, freeze_* ...) plus the agent's own keys:
//   state_dir = /var/lib/ndbackup-agent   listen = 0.0.0.0:8787   export_ports = 10809-10899
//   export_address = <address nbdkit binds and consoles dial; default: the listen address>
//   export_public_address = <address consoles dial when it differs from what nbdkit binds (NAT,
//   port forwarding with the same port numbers); default: export_address>
//   lease_seconds = 120   node_name = <host name>
//   repository = <directory of the containers of backups made through the Cinder-compatible API;
//                 default <state_dir>/repository>
#include "engine/engineconfig.h"
#include "volumes/driverregistry.h"

#include <QHostAddress>
#include <QString>

namespace ndb {

// 0.0.0.0 or :: (listen on every address): never an address a console can dial or a
// certificate can name.
bool isWildcardAddress(const QHostAddress &address);

struct AgentConfig
{
    QString stateDir = QStringLiteral("/var/lib/ndbackup-agent");
    QHostAddress listenAddress = QHostAddress::Any;
    quint16 listenPort = 8787;
    QHostAddress exportAddress; // null: the listen address (0.0.0.0 is not dialable: then refused)
    QHostAddress exportPublicAddress; // null: the export address
    quint16 exportPortFirst = 10809;
    quint16 exportPortLast = 10899;
    int leaseSeconds = 120;
    QString nodeName;
    DriverSettings drivers;
    EngineConfig engine;  // the file's engine keys (pools, freeze_*, max_concurrent_jobs ...)
    QString repository;   // empty: <state_dir>/repository

    // Defaults overlaid with `iniFile` (may be empty: defaults only). Throws InvalidInputError
    // naming the key for a bad value.
    static AgentConfig load(const QString &iniFile);
    // "ADDR:PORT" or "ADDR" (port kept); throws InvalidInputError.
    void setListen(const QString &text);
    QString catalogPath() const;
    QString identityDir() const;
    QString consolesDir() const;
    QString exportsDir() const;
    QString tokensPath() const;   // hashed API tokens
    QString auditLogPath() const; // one line per Cinder-compatible API call
    // The agent's Engine: its catalog is the agent's, its repository `repository`.
    EngineConfig engineConfig() const;
    // What nbdkit binds, and what the connection properties tell consoles to dial.
    QHostAddress exportBindAddress() const;
    QHostAddress exportDialAddress() const;
};

} // namespace ndb
