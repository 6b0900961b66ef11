// ndbackup-agent: the storage-node daemon (API.md) and its enrolment commands.
#include "agentconfig.h"
#include "apirouter.h"
#include "apiserver.h"
#include "catalog/catalog.h"
#include "cinderapi.h"
#include "engine/engine.h"
#include "exportmanager.h"
#include "net/identity.h"
#include "net/truststore.h"
#include "operations.h"
#include "storageworker.h"
#include "tokenstore.h"
#include "util/error.h"
#include "volumes/driverset.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QLockFile>
#include <QSocketNotifier>
#include <QTextStream>
#include <QTimer>

#include <atomic>
#include <csignal>
#include <memory>
#include <sys/socket.h>
#include <unistd.h>

using namespace ndb;

namespace {

const char *const kHelp = R"(Commands:
  run                      serve the API (root; a systemd service normally runs it)
  show-fingerprint         print this agent's certificate fingerprint, to confirm in a console
  trust-console SHA256:... allow the console with that fingerprint (it prints it) [--label TEXT]
  list-consoles            the trusted consoles
  forget-console SHA256:...  revoke a console; it is refused from its next connection
  token create NAME        make an API token for the Cinder-compatible API (printed once; kept hashed)
  token list               the API tokens' names
  token revoke NAME        revoke a token; it is refused from its next request

The configuration file (INI) names the image pools (image_pools = /srv/pool1, /srv/pool2) and LVM
volume groups (lvm_volume_groups = vg0, vg1) and may set state_dir, listen, export_address,
export_public_address, export_ports (e.g. 10809-10899), lease_seconds and repository (where
backups made through the Cinder-compatible API go).)";

int s_signalPipe[2] = {-1, -1};

void onSignal(int)
{
    const char byte = 1;
    [[maybe_unused]] const auto n = ::write(s_signalPipe[1], &byte, 1);
}

QTextStream &out()
{
    static QTextStream stream(stdout);
    return stream;
}

QTextStream &err()
{
    static QTextStream stream(stderr);
    return stream;
}

TlsIdentity agentIdentity(const AgentConfig &config)
{
    QStringList names{config.nodeName, QStringLiteral("localhost"), QStringLiteral("127.0.0.1")};
    for (const QHostAddress &a : {config.listenAddress, config.exportAddress, config.exportPublicAddress})
        if (!a.isNull() && !isWildcardAddress(a))
            names << a.toString();
    return TlsIdentity::loadOrCreate(config.identityDir(), QStringLiteral("ndbackup-agent ") + config.nodeName, names);
}

// libnbd checks the export's host against the agent's certificate, whose names were fixed when it
// was made: an address added to the configuration later would fail every read at the handshake.
void checkCertificateNamesExportAddress(const AgentConfig &config, const TlsIdentity &identity)
{
    const QHostAddress dial = config.exportDialAddress();
    if (dial.isNull() || isWildcardAddress(dial))
        return; // refused when an export is asked for
    const QMultiMap<QSsl::AlternativeNameEntryType, QString> names = identity.certificate.subjectAlternativeNames();
    for (const QString &name : names)
        if (QHostAddress(name) == dial)
            return;
    throw InvalidInputError(
        QStringLiteral("the agent's certificate (%1) does not name %2, the address consoles dial for exports "
                       "(export_public_address, else export_address): their TLS check would refuse every export. It names %3. "
                       "Set the address to one of those, or move %4 aside so that the next start makes a certificate "
                       "naming it (its fingerprint changes: confirm it again in every console)")
            .arg(identity.certificatePath, dial.toString(), QStringList(names.values()).join(QStringLiteral(", ")),
                 config.identityDir()));
}

int run(const AgentConfig &config)
{
    QDir().mkpath(config.stateDir);
    QLockFile lock(QDir(config.stateDir).filePath(QStringLiteral("agent.lock")));
    lock.setStaleLockTime(0);
    if (!lock.tryLock(0)) {
        qint64 pid = 0;
        QString host, app;
        lock.getLockInfo(&pid, &host, &app);
        throw RefusedError(QStringLiteral("another ndbackup-agent (pid %1) uses the state directory %2; stop it first, or "
                                          "give this one its own --state-dir")
                               .arg(pid).arg(config.stateDir));
    }
    const TlsIdentity identity = agentIdentity(config);
    checkCertificateNamesExportAddress(config, identity);
    TrustStore trust(config.consolesDir());
    Catalog catalog(config.catalogPath());
    DriverSet drivers(config.drivers);
    ExportManager exports(config, catalog, drivers, identity);
    // Servers of a previous run died with it (--exit-with-parent); what they served goes now.
    for (const QString &line : exports.reapAll())
        qInfo().noquote() << QStringLiteral("reaped at start: %1").arg(line);
    if (const int interrupted = OperationStore(catalog).failInterrupted())
        qInfo().noquote() << QStringLiteral("%1 operation(s) of the previous run marked failed").arg(interrupted);
    StorageWorker worker(config, identity);
    // Backups asked for through the Cinder-compatible API run here as ordinary jobs, in the
    // agent's catalog: an ndbackupctl on the node pointed at it sees them.
    // Started on a worker: the API must come up even while a storage hangs in its first inventory.
    Engine engine(config.engineConfig());
    QObject::connect(&engine, &Engine::startupFinished, [](const CleanupReport &report) {
        for (const QString &line : report.messages)
            qInfo().noquote() << QStringLiteral("engine start: %1").arg(line);
    });
    engine.startAsync();
    TokenStore tokens(config.tokensPath());
    CinderApi cinder(engine, catalog, tokens, config.auditLogPath(), config.nodeName);
    ApiRouter router(config, exports, drivers, identity, worker);
    router.setCinderApi(&cinder);
    ApiServer server(identity, trust, [&router](const HttpRequest &request, const QSslCertificate &console) {
        return router.handle(request, console);
    });
    server.listen(config.listenAddress, config.listenPort);

    QTimer reaper;
    reaper.setInterval(std::clamp(config.leaseSeconds * 250, 250, 5000));
    // Expired exports stop here (their servers belong to this thread); the expired temporaries
    // are deleted on the storage worker, one reaping queued at a time.
    auto reaping = std::make_shared<std::atomic_bool>(false);
    QObject::connect(&reaper, &QTimer::timeout, [&exports, &worker, reaping] {
        try {
            for (const QString &line : exports.reapExpiredExports())
                qInfo().noquote() << QStringLiteral("lease expired, reaped: %1").arg(line);
        } catch (const Error &e) {
            qWarning().noquote() << QStringLiteral("reaper: %1").arg(e.message());
        }
        if (reaping->exchange(true))
            return;
        worker.post([reaping](ExportManager &storage) {
            try {
                for (const QString &line : storage.reapExpired())
                    qInfo().noquote() << QStringLiteral("lease expired, reaped: %1").arg(line);
            } catch (const Error &e) {
                qWarning().noquote() << QStringLiteral("reaper: %1").arg(e.message());
            }
            *reaping = false;
        });
    });
    reaper.start();

    // SIGTERM/SIGINT: leave the event loop, stop every export and delete the temporaries.
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, s_signalPipe) != 0)
        throw Error(QStringLiteral("socketpair failed"));
    QSocketNotifier notifier(s_signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, [] { QCoreApplication::quit(); });
    std::signal(SIGTERM, onSignal);
    std::signal(SIGINT, onSignal);

    out() << QStringLiteral("ndbackup-agent %1 listening on %2:%3, fingerprint %4\n")
                 .arg(QStringLiteral(NDBACKUP_VERSION), config.listenAddress.toString())
                 .arg(server.port())
                 .arg(identity.fingerprint());
    out().flush();
    const int rc = QCoreApplication::exec();
    reaper.stop();
    worker.beginShutdown(); // queued storage calls are dropped (recorded interrupted)
    worker.waitForDone(); // the storage call that runs now ends first
    for (const QString &line : exports.reapAll())
        qInfo().noquote() << QStringLiteral("reaped at exit: %1").arg(line);
    return rc;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("ndbackup-agent"));
    QCoreApplication::setApplicationVersion(QStringLiteral(NDBACKUP_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("ndbackup storage-node agent: temporary snapshots of this node's "
                                                    "volumes, exported over NBD with TLS to trusted consoles.\n\n")
                                     + QLatin1String(kHelp));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption configOption(QStringLiteral("config"), QStringLiteral("Configuration file (INI)."),
                                          QStringLiteral("FILE"), QStringLiteral("/etc/ndbackup/agent.conf"));
    const QCommandLineOption stateOption(QStringLiteral("state-dir"),
                                         QStringLiteral("State directory (identity, trusted consoles, catalog); default "
                                                        "/var/lib/ndbackup-agent."),
                                         QStringLiteral("DIR"));
    const QCommandLineOption listenOption(QStringLiteral("listen"), QStringLiteral("Address and port of the API (default 0.0.0.0:8787)."),
                                          QStringLiteral("ADDR:PORT"));
    const QCommandLineOption labelOption(QStringLiteral("label"), QStringLiteral("trust-console: a note to recognise the console by."),
                                         QStringLiteral("TEXT"));
    parser.addOptions({configOption, stateOption, listenOption, labelOption});
    parser.addPositionalArgument(QStringLiteral("command"), QStringLiteral("run | show-fingerprint | trust-console | "
                                                                           "list-consoles | forget-console | token"));
    parser.process(app);

    const QStringList args = parser.positionalArguments();
    const QString command = args.value(0);
    const auto usage = [&](const QString &problem) {
        err() << "ndbackup-agent: " << problem << "\n" << kHelp << "\n";
        return 2;
    };
    if (command.isEmpty())
        return usage(QStringLiteral("a command is required"));
    const QStringList known{QStringLiteral("run"), QStringLiteral("show-fingerprint"), QStringLiteral("trust-console"),
                            QStringLiteral("list-consoles"), QStringLiteral("forget-console"), QStringLiteral("token")};
    if (!known.contains(command))
        return usage(QStringLiteral("unknown command '%1'").arg(command));
    const bool takesFingerprint = command == QLatin1String("trust-console") || command == QLatin1String("forget-console");
    const QString tokenCommand = args.value(1);
    if (command == QLatin1String("token")) {
        if (tokenCommand != QLatin1String("create") && tokenCommand != QLatin1String("list") && tokenCommand != QLatin1String("revoke"))
            return usage(QStringLiteral("token takes create NAME, list or revoke NAME"));
        if (args.size() != (tokenCommand == QLatin1String("list") ? 2 : 3))
            return usage(tokenCommand == QLatin1String("list") ? QStringLiteral("token list takes no name")
                                                                 : QStringLiteral("token %1 takes one name").arg(tokenCommand));
    } else if (args.size() != (takesFingerprint ? 2 : 1))
        return usage(takesFingerprint ? QStringLiteral("%1 takes one fingerprint (SHA256:...)").arg(command)
                                      : QStringLiteral("%1 takes no arguments").arg(command));
    try {
        // The default file may be absent; one the administrator named must exist.
        const QString configFile = parser.value(configOption);
        AgentConfig config = AgentConfig::load(parser.isSet(configOption) || QFileInfo::exists(configFile) ? configFile : QString());
        if (parser.isSet(stateOption))
            config.stateDir = QDir(parser.value(stateOption)).absolutePath();
        if (parser.isSet(listenOption))
            config.setListen(parser.value(listenOption));

        if (command == QLatin1String("run"))
            return run(config);
        if (command == QLatin1String("show-fingerprint")) {
            out() << agentIdentity(config).fingerprint() << "\n";
            return 0;
        }
        if (command == QLatin1String("token")) {
            TokenStore tokens(config.tokensPath());
            if (tokenCommand == QLatin1String("create")) {
                // The only time the token is shown: the agent keeps its hash.
                out() << tokens.create(args[2]) << "\n";
                return 0;
            }
            if (tokenCommand == QLatin1String("revoke")) {
                if (!tokens.revoke(args[2])) {
                    err() << "ndbackup-agent: there is no token named " << args[2] << " (see token list)\n";
                    return 1;
                }
                out() << "revoked " << args[2] << "\n";
                return 0;
            }
            for (const TokenStore::Entry &entry : tokens.entries())
                out() << entry.name << "  created " << entry.created.toString(Qt::ISODate) << "\n";
            return 0;
        }
        TrustStore trust(config.consolesDir());
        if (command == QLatin1String("trust-console")) {
            const QString fingerprint = normalizeFingerprint(args[1]);
            out() << (trust.trust(fingerprint, parser.value(labelOption)) ? "trusted " : "already trusted ") << fingerprint << "\n";
            return 0;
        }
        if (command == QLatin1String("forget-console")) {
            const QString fingerprint = normalizeFingerprint(args[1]);
            if (!trust.forget(fingerprint)) {
                err() << "ndbackup-agent: console " << fingerprint << " was not trusted (see list-consoles)\n";
                return 1;
            }
            out() << "forgot " << fingerprint << "\n";
            return 0;
        }
        for (const TrustStore::Entry &entry : trust.entries())
            out() << entry.fingerprint << "  " << (entry.haveCertificate ? "connected" : "never connected") << "  "
                  << entry.label << "\n";
        return 0;
    } catch (const Error &e) {
        err() << "ndbackup-agent: " << e.message() << "\n";
        return e.kind() == ErrorKind::InvalidInput ? 2 : 1;
    }
}
