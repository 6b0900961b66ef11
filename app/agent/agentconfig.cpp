#include "agentconfig.h"
#include "engine/engineconfig.h"
#include "util/error.h"

#include <QDir>
#include <QFileInfo>
#include <QSettings>
#include <QSysInfo>

#include <utility>

namespace ndb {

namespace {
int intValue(const QSettings &settings, const QString &key, int fallback, int minimum, int maximum)
{
    if (!settings.contains(key))
        return fallback;
    bool ok = false;
    const int value = settings.value(key).toString().toInt(&ok);
    if (!ok || value < minimum || value > maximum)
        throw InvalidInputError(QStringLiteral("%1: %2 must be a whole number from %3 to %4")
                                    .arg(settings.fileName(), key).arg(minimum).arg(maximum));
    return value;
}
} // namespace

AgentConfig AgentConfig::load(const QString &iniFile)
{
    AgentConfig config;
    config.nodeName = QSysInfo::machineHostName();
    if (iniFile.isEmpty())
        return config;
    if (!QFileInfo(iniFile).isFile())
        throw InvalidInputError(QStringLiteral("configuration file %1 does not exist or is not a file").arg(iniFile));
    EngineConfig::checkFile(iniFile);
    config.engine = EngineConfig::load(iniFile);
    config.drivers = config.engine.driverSettings();
    const QSettings settings(iniFile, QSettings::IniFormat);
    config.repository = settings.value(QStringLiteral("repository")).toString().trimmed();
    if (!config.repository.isEmpty() && !QDir::isAbsolutePath(config.repository))
        throw InvalidInputError(QStringLiteral("%1: repository must be an absolute path, not '%2'").arg(iniFile, config.repository));
    config.stateDir = settings.value(QStringLiteral("state_dir"), config.stateDir).toString();
    if (settings.contains(QStringLiteral("listen")))
        config.setListen(settings.value(QStringLiteral("listen")).toString());
    for (const auto &[key, address] : {std::pair{QStringLiteral("export_address"), &config.exportAddress},
                                       std::pair{QStringLiteral("export_public_address"), &config.exportPublicAddress}}) {
        if (!settings.contains(key))
            continue;
        *address = QHostAddress(settings.value(key).toString());
        if (address->isNull())
            throw InvalidInputError(QStringLiteral("%1: %2 must be an IP address").arg(iniFile, key));
    }
    if (settings.contains(QStringLiteral("export_ports"))) {
        const QStringList range = settings.value(QStringLiteral("export_ports")).toString().split(QLatin1Char('-'));
        bool ok1 = false, ok2 = false;
        const int first = range.value(0).trimmed().toInt(&ok1);
        const int last = range.size() == 2 ? range[1].trimmed().toInt(&ok2) : first;
        if (!ok1 || (range.size() == 2 && !ok2) || range.size() > 2 || first < 1 || last > 65535 || first > last)
            throw InvalidInputError(QStringLiteral("%1: export_ports must be a port range FIRST-LAST, e.g. 10809-10899").arg(iniFile));
        config.exportPortFirst = quint16(first);
        config.exportPortLast = quint16(last);
    }
    config.leaseSeconds = intValue(settings, QStringLiteral("lease_seconds"), config.leaseSeconds, 1, 86400);
    config.nodeName = settings.value(QStringLiteral("node_name"), config.nodeName).toString();
    return config;
}

void AgentConfig::setListen(const QString &text)
{
    QString address = text.trimmed();
    const qsizetype colon = address.lastIndexOf(QLatin1Char(':'));
    if (colon > 0 && !address.endsWith(QLatin1Char(']')) && address.count(QLatin1Char(':')) == 1) {
        bool ok = false;
        const int port = address.mid(colon + 1).toInt(&ok);
        if (!ok || port < 1 || port > 65535)
            throw InvalidInputError(QStringLiteral("listen address '%1': the port must be 1..65535").arg(text));
        listenPort = quint16(port);
        address = address.left(colon);
    }
    address.remove(QLatin1Char('[')).remove(QLatin1Char(']'));
    const QHostAddress parsed(address);
    if (parsed.isNull())
        throw InvalidInputError(QStringLiteral("listen address '%1' is not ADDRESS:PORT with an IP address, e.g. 0.0.0.0:8787")
                                    .arg(text));
    listenAddress = parsed;
}

QString AgentConfig::catalogPath() const { return QDir(stateDir).filePath(QStringLiteral("agent.sqlite")); }
QString AgentConfig::identityDir() const { return QDir(stateDir).filePath(QStringLiteral("identity")); }
QString AgentConfig::consolesDir() const { return QDir(stateDir).filePath(QStringLiteral("consoles")); }
QString AgentConfig::exportsDir() const { return QDir(stateDir).filePath(QStringLiteral("exports")); }
QString AgentConfig::tokensPath() const { return QDir(stateDir).filePath(QStringLiteral("api-tokens")); }
QString AgentConfig::auditLogPath() const { return QDir(stateDir).filePath(QStringLiteral("audit.log")); }

EngineConfig AgentConfig::engineConfig() const
{
    EngineConfig e = engine;
    e.catalogPath = catalogPath();
    e.repositoryRoot = repository.isEmpty() ? QDir(stateDir).filePath(QStringLiteral("repository")) : repository;
    return e;
}

bool isWildcardAddress(const QHostAddress &address)
{
    return address == QHostAddress::Any || address == QHostAddress::AnyIPv4 || address == QHostAddress::AnyIPv6;
}

QHostAddress AgentConfig::exportBindAddress() const { return exportAddress.isNull() ? listenAddress : exportAddress; }
QHostAddress AgentConfig::exportDialAddress() const
{
    return exportPublicAddress.isNull() ? exportBindAddress() : exportPublicAddress;
}

} // namespace ndb
