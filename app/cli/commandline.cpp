#include "commandline.h"

#include "backup/requests.h"
#include "engine/demopool.h"
#include "engine/engine.h"
#include "jobs/jobhandle.h"
#include "model/backup.h"
#include "model/status.h"
#include "report/report.h"
#include "util/coroutinethread.h"
#include "util/error.h"
#include "util/names.h"
#include "util/units.h"
#include "net/identity.h"
#include "volumes/driverset.h"
#include "volumes/remote/storagenodes.h"
#include "volumes/volumedriver.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSocketNotifier>

#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

namespace ndb {

// One command (its words) with the options it takes besides the global ones.
struct CommandSpec
{
    QStringList words;
    QString arguments; // positional arguments after the words, for its --help
    QStringList options;
};

namespace {

// Every option: name, value name (empty for a flag), help text.
struct OptionSpec
{
    const char *name;
    const char *valueName;
    const char *help;
};
const OptionSpec kOptions[] = {
    {"config", "FILE", "INI configuration (default: $XDG_CONFIG_HOME/ndbackup/ndbackup.conf)"},
    {"catalog", "PATH", "SQLite catalog (default: $XDG_DATA_HOME/ndbackup/catalog.sqlite)"},
    {"repository-root", "DIR", "containers live below it (default: $XDG_DATA_HOME/ndbackup/repository)"},
    {"pool", "DIR", "manage the image pool DIR (repeatable)"},
    {"vg", "NAME", "manage the LVM volume group NAME (repeatable)"},
    {"agent", "HOST[:PORT]", "manage the volumes of the storage node whose agent listens there (repeatable; port 8787 by default)"},
    {"jobs", "N", "concurrent jobs (1 to 64)"},
    {"json", "", "machine-readable output for listings and results"},
    {"quiet", "", "no progress line, no informational messages"},
    {"no-progress", "", "no progress line"},
    {"help", "", "this help (after a command: that command's options)"},
    {"version", "", "the version"},
    {"volume", "VOLUME", "a volume id (e.g. image:/srv/pool/db) or a unique volume name"},
    {"container", "C", "the container (repository) to use"},
    {"name", "NAME", "a name"},
    {"description", "D", "a description"},
    {"force", "", "back up an in-use volume (through a temporary snapshot or clone)"},
    {"bandwidth", "MB/s", "read/write at most this many MB (1 MB = 1,000,000 bytes) per second"},
    {"io-priority", "P", "idle, best-effort or none"},
    {"all", "", "include deleted and cancelled backups"},
    {"require-point-in-time", "", "refuse the backup if its copy would not be point-in-time"},
    {"to-volume", "VOLUME", "restore onto this available volume"},
    {"new-volume", "NAME", "restore into a new volume of this name"},
    {"driver", "DRIVER", "the storage of the new volume (default: the backed-up volume's)"},
    {"to-file", "PATH", "restore into this file"},
    {"overwrite", "", "replace an existing file"},
    {"size", "SIZE", "volume size: 64M, 10G ..."},
    {"to", "STATUS|DATE", "reset-status: the new status (available or error); report: the last day (YYYY-MM-DD)"},
    {"limit", "N", "at most N jobs"},
    {"status", "S", "only jobs of this status"},
    {"kind", "K", "only jobs of this kind"},
    {"from", "DATE", "the first day (YYYY-MM-DD)"},
    {"format", "F", "history-csv, inventory-csv or html"},
    {"output", "FILE", "write to FILE instead of standard output"},
    {"fingerprint", "SHA256:HEX", "the agent's fingerprint as 'ndbackup-agent show-fingerprint' prints it on the node"},
    {"label", "TEXT", "a note kept with the pinned agent"},
};
// Accepted with every command.
const QStringList kGlobalOptions = {
    QStringLiteral("config"), QStringLiteral("catalog"), QStringLiteral("repository-root"), QStringLiteral("pool"),
    QStringLiteral("vg"), QStringLiteral("agent"), QStringLiteral("jobs"), QStringLiteral("json"), QStringLiteral("quiet"),
    QStringLiteral("no-progress"), QStringLiteral("help"), QStringLiteral("version"),
};

const QList<CommandSpec> &commands()
{
    const auto l = [](std::initializer_list<const char *> names) {
        QStringList out;
        for (const char *n : names)
            out << QString::fromLatin1(n);
        return out;
    };
    static const QList<CommandSpec> specs = {
        {l({"volumes"}), {}, {}},
        {l({"volume", "create"}), {}, l({"name", "size"})},
        {l({"volume", "attach"}), QStringLiteral("VOLUME"), {}},
        {l({"volume", "detach"}), QStringLiteral("VOLUME"), {}},
        {l({"volume", "reset-status"}), QStringLiteral("VOLUME"), l({"to"})},
        {l({"backup", "create"}), {}, l({"volume", "container", "name", "description", "force", "bandwidth", "io-priority", "require-point-in-time"})},
        {l({"backup", "list"}), {}, l({"volume", "all"})},
        {l({"backup", "show"}), QStringLiteral("ID"), {}},
        {l({"backup", "restore"}), QStringLiteral("ID"), l({"to-volume", "new-volume", "driver", "to-file", "overwrite", "bandwidth"})},
        {l({"backup", "verify"}), QStringLiteral("ID"), {}},
        {l({"backup", "delete"}), QStringLiteral("ID"), {}},
        {l({"gc"}), {}, l({"container"})},
        {l({"cleanup"}), {}, {}},
        {l({"jobs"}), {}, l({"limit", "volume", "status", "kind"})},
        {l({"job", "show"}), QStringLiteral("ID"), {}},
        {l({"report"}), {}, l({"from", "to", "format", "output"})},
        {l({"demo"}), {}, {}},
        {l({"agent", "trust"}), QStringLiteral("HOST[:PORT]"), l({"fingerprint", "label"})},
        {l({"agent", "list"}), {}, {}},
        {l({"agent", "forget"}), QStringLiteral("HOST[:PORT]"), {}},
        {l({"show-fingerprint"}), {}, {}},
    };
    return specs;
}

// The command the words name; nullptr when none (dispatch() then says what is wrong).
const CommandSpec *findCommand(const QStringList &words)
{
    for (const CommandSpec &c : commands())
        if (words.mid(0, c.words.size()) == c.words)
            return &c;
    return nullptr;
}

// A parser that knows the global options and `extra`; -h is --help.
void addOptions(QCommandLineParser &parser, const QStringList &extra)
{
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    for (const OptionSpec &o : kOptions) {
        const QString name = QString::fromLatin1(o.name);
        if (!kGlobalOptions.contains(name) && !extra.contains(name))
            continue;
        QStringList names{name};
        if (name == QLatin1String("help"))
            names.prepend(QStringLiteral("h"));
        parser.addOption(QCommandLineOption(names, QString::fromLatin1(o.help), QString::fromLatin1(o.valueName)));
    }
}

const char *const kHelp = R"(Usage: ndbackupctl [global options] COMMAND [options]

Backs up block volumes without detaching them: an in-use volume is read through a temporary
snapshot (or a temporary cloned volume where the storage cannot snapshot), which is removed
again whatever happens. Backing up an in-use volume needs --force.

Commands:
  volumes                         list volumes of every configured storage (refreshes the inventory)
  volume create --pool DIR --name NAME --size SIZE
                                  create a raw image volume in an image pool (SIZE: 64M, 10G ...)
  volume attach VOLUME            attach an image volume to a loop device (it becomes in-use)
  volume detach VOLUME            release its loop device (refused while a filesystem on it is mounted)
  volume reset-status VOLUME [--to available|error]
                                  an administrator's reset of a volume's status, e.g. the 'error' a
                                  killed restore leaves (logged as a job; refused while one runs on it)
  backup create --volume VOLUME [--container C] [--name N] [--description D] [--force]
                [--bandwidth MB/s] [--io-priority idle|best-effort|none] [--require-point-in-time]
                                  back up a volume; prints the backup (id first) and its consistency;
                                  a copy that is not point-in-time ends with a warning (exit 0), or
                                  is refused with --require-point-in-time (exit 3, nothing created)
  backup list [--volume VOLUME] [--all]
                                  backups, newest first (--all includes deleted and cancelled ones)
  backup show ID                  one backup (a unique id prefix of 4+ characters is enough)
  backup restore ID (--to-volume VOLUME | --new-volume NAME [--driver DRIVER] | --to-file PATH [--overwrite])
                 [--bandwidth MB/s]
                                  restore onto an available volume of at least the backup's size,
                                  into a new volume, or into a file; an existing file is replaced only
                                  with --overwrite, and a file inside an image pool, the repository or
                                  the catalog, or one a loop device uses, is refused (exit 3)
  backup verify ID                re-read and re-hash every chunk; damaged backups become 'error'
  backup delete ID                delete a backup (run gc to free its space)
  gc [--container C]              remove chunks no backup references any more
  cleanup                         undo what interrupted operations left behind (runs at every start too)
  jobs [--limit N] [--volume V] [--status S] [--kind K]
                                  job history
  job show ID                     one job with its event log
  report [--from DATE] [--to DATE] [--format history-csv|inventory-csv|html] [--output FILE]
                                  history and inventory for audits (DATE: YYYY-MM-DD; default: all,
                                  history CSV on standard output)
  demo                            create a demo image pool with an attached and an available volume,
                                  back up the attached one with --force and print the backup
  agent trust HOST[:PORT] [--fingerprint SHA256:HEX] [--label TEXT]
                                  pin a storage node's agent: shows the fingerprint its certificate has;
                                  without --fingerprint asks y/N (only on a terminal); a fingerprint that
                                  differs from the one given is refused and nothing is changed
  agent list                      pinned agents: address, node, fingerprint, online or offline
  agent forget HOST[:PORT]        unpin an agent (its volumes are no longer listed)
  show-fingerprint                this console's certificate fingerprint, for the agent's trust-console

Storage nodes (agents): enrolment is pinned both ways, like ssh host keys.
  1. On the node:  ndbackup-agent show-fingerprint
     Here:         ndbackupctl agent trust HOST[:PORT] --fingerprint SHA256:...   (or compare when asked)
  2. Here:         ndbackupctl show-fingerprint
     On the node:  ndbackup-agent trust-console SHA256:... [--label TEXT]
  3. Name the agent with --agent HOST[:PORT] or in the config file: agents = host1:8787, host2
  Its volumes are then listed under the node's name; backups of them read a temporary snapshot the
  agent exports over NBD with TLS. A node that does not answer is reported offline and its volumes are
  left out; local work goes on.

Global options:
  --config FILE                   INI configuration (default: $XDG_CONFIG_HOME/ndbackup/ndbackup.conf)
  --catalog PATH                  SQLite catalog (default: $XDG_DATA_HOME/ndbackup/catalog.sqlite)
  --repository-root DIR           containers live below it (default: $XDG_DATA_HOME/ndbackup/repository)
  --pool DIR                      manage the image pool DIR (repeatable)
  --vg NAME                       manage the LVM volume group NAME (repeatable)
  --agent HOST[:PORT]             manage a storage node's volumes through its agent (repeatable, port 8787
                                  by default; it must be trusted first: agent trust)
  --jobs N                        concurrent jobs (1 to 64)
  --json                          machine-readable output for listings and results
  --quiet                         no progress line, no informational messages
  --help, --version
  COMMAND --help                  the options of one command

VOLUME is a volume id (e.g. image:/srv/pool/db or lvm:vg0/db) or a unique volume name.

Exit codes:
  0    success
  1    the operation failed (reason on stderr)
  2    bad command line or invalid name/value; nothing was done
  3    refused by a status rule, e.g. "Backing up an in-use volume must use the force flag.",
       or a restore target that must not be written (existing file without --overwrite ...)
  4    no such volume, backup or container
  5    verify or restore found damaged data
  6    the storage failed: an I/O error or a full disk at the volume or the repository, or
       the temporary snapshot broke during the read (e.g. its copy-on-write area filled up)
  7    a storage node could not be reached or broke the connection (try again later)
  130  interrupted by SIGINT/SIGTERM; temporaries were cleaned up
)";

// 1 TB/s: far above any storage; larger values are typos (and overflow bytes per second).
constexpr int kMaxBandwidthMBs = 1000000;

int s_signalPipe[2] = {-1, -1};
void onSignal(int)
{
    const char c = 1;
    [[maybe_unused]] ssize_t n = ::write(s_signalPipe[1], &c, 1);
}

class UsageError : public Error
{
public:
    explicit UsageError(QString message) : Error(std::move(message), ErrorKind::InvalidInput) {}
};

// The one mapping from what a failure means to what a script sees.
ExitCode exitCodeFor(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::InvalidInput:
        return ExitUsage;
    case ErrorKind::Refused:
        return ExitRefused;
    case ErrorKind::NotFound:
        return ExitNotFound;
    case ErrorKind::CorruptData:
        return ExitCorrupt;
    case ErrorKind::Cancelled:
        return ExitCancelled;
    // Apart from plain failures: a script may wait for a node to come back, not for a disk.
    case ErrorKind::Storage:
        return ExitStorage;
    case ErrorKind::Network:
        return ExitNetwork;
    case ErrorKind::Failed:
        break;
    }
    return ExitFailed;
}


QString timeText(const QDateTime &t)
{
    return t.isValid() ? t.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) : QStringLiteral("-");
}

QJsonObject toJson(const Volume &v)
{
    return {{QStringLiteral("id"), v.id}, {QStringLiteral("name"), v.name}, {QStringLiteral("driver"), v.driverId},
            {QStringLiteral("host"), v.host}, {QStringLiteral("size"), v.size}, {QStringLiteral("status"), v.status},
            {QStringLiteral("previous_status"), v.previousStatus}, {QStringLiteral("path"), v.path},
            {QStringLiteral("uuid"), v.uuid}, {QStringLiteral("attached_to"), v.attachedTo}};
}

QJsonObject toJson(const Backup &b)
{
    return {{QStringLiteral("id"), b.id}, {QStringLiteral("volume_id"), b.volumeId}, {QStringLiteral("volume_name"), b.volumeName},
            {QStringLiteral("name"), b.name}, {QStringLiteral("description"), b.description},
            {QStringLiteral("container"), b.container}, {QStringLiteral("status"), b.status},
            {QStringLiteral("fail_reason"), b.failReason}, {QStringLiteral("size"), b.size},
            {QStringLiteral("stored_bytes"), b.storedBytes}, {QStringLiteral("temp_volume_id"), b.tempVolumeId},
            {QStringLiteral("temp_snapshot_id"), b.tempSnapshotId}, {QStringLiteral("parent_id"), b.parentId},
            {QStringLiteral("data_path"), b.dataPath}, {QStringLiteral("consistency"), b.consistency},
            {QStringLiteral("cancelled"), b.cancelled},
            {QStringLiteral("created_at"), b.createdAt.toString(Qt::ISODate)},
            {QStringLiteral("started_at"), b.startedAt.toString(Qt::ISODate)},
            {QStringLiteral("finished_at"), b.finishedAt.toString(Qt::ISODate)}};
}

// A cancelled backup keeps the specification's `error` status in the catalog; people read "cancelled".
QString statusText(const Backup &b)
{
    return b.cancelled ? QStringLiteral("cancelled") : b.status;
}

QJsonObject toJson(const Job &j)
{
    return {{QStringLiteral("id"), j.id}, {QStringLiteral("kind"), j.kind}, {QStringLiteral("status"), j.status},
            {QStringLiteral("phase"), j.phase}, {QStringLiteral("backup_id"), j.backupId},
            {QStringLiteral("volume_id"), j.volumeId}, {QStringLiteral("bytes_done"), j.bytesDone},
            {QStringLiteral("bytes_total"), j.bytesTotal}, {QStringLiteral("bandwidth_limit"), j.bandwidthLimit},
            {QStringLiteral("io_priority"), j.ioPriority}, {QStringLiteral("error"), j.error},
            {QStringLiteral("created_at"), j.createdAt.toString(Qt::ISODate)},
            {QStringLiteral("finished_at"), j.finishedAt.toString(Qt::ISODate)}};
}

// The value of --NAME as an integer in [min, max]; UsageError naming the value otherwise.
int intOption(const QString &name, const QString &text, int min, int max)
{
    bool ok = false;
    const qint64 n = text.trimmed().toLongLong(&ok);
    if (!ok || n < min || n > max)
        throw UsageError(QStringLiteral("--%1 '%2' is not valid: give a whole number from %3 to %4")
                             .arg(name, text).arg(min).arg(max));
    return int(n);
}

// --bandwidth MB/s as bytes per second.
qint64 bandwidthOption(const QString &text)
{
    bool ok = false;
    const double mbs = text.toDouble(&ok);
    if (!ok || mbs <= 0)
        throw UsageError(QStringLiteral("--bandwidth '%1' is not valid: give MB/s as a positive number (e.g. 50)").arg(text));
    if (mbs > kMaxBandwidthMBs)
        throw UsageError(QStringLiteral("--bandwidth '%1' is too large: at most %2 MB/s; leave the option out for no limit")
                             .arg(text).arg(kMaxBandwidthMBs));
    return qint64(mbs * 1e6);
}

// Column of at least `w` characters, always followed by two spaces so long values stay apart.
QString pad(const QString &s, int w) { return s.leftJustified(w - 2) + QStringLiteral("  "); }

} // namespace

qint64 parseSize(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^\\s*(\\d+(?:\\.\\d+)?)\\s*([kKmMgGtT]?)(i?[bB])?\\s*$"));
    const QRegularExpressionMatch m = re.match(text);
    if (!m.hasMatch())
        return -1;
    double value = m.captured(1).toDouble();
    const QString unit = m.captured(2).toLower();
    const int shift = unit == QLatin1String("k") ? 10 : unit == QLatin1String("m") ? 20 : unit == QLatin1String("g") ? 30 : unit == QLatin1String("t") ? 40 : 0;
    const double bytes = value * double(1ll << shift);
    // Beyond 2^62 the conversion overflows; no volume is that large.
    return bytes < double(1ll << 62) ? qint64(bytes) : -1;
}

CommandLine::CommandLine(QStringList arguments)
    : m_arguments(std::move(arguments)), m_out(stdout), m_err(stderr)
{
}

QString CommandLine::option(const QString &name) const
{
    const QStringList v = m_options.value(name);
    return v.isEmpty() ? QString() : v.last();
}

bool CommandLine::parse(QCommandLineParser &parser, const CommandSpec *command)
{
    if (parser.parse(m_arguments))
        return true;
    // QCommandLineParser's messages, in the words this tool has always used (scripts grep them).
    const QString where = command ? QStringLiteral(" for '%1' (see 'ndbackupctl %1 --help')").arg(command->words.join(QLatin1Char(' ')))
                                  : QStringLiteral(" (see --help)");
    static const QRegularExpression missing(QStringLiteral("^Missing value after '(.+)'\\.$"));
    static const QRegularExpression unexpected(QStringLiteral("^Unexpected value after '(.+)'\\.$"));
    const QString text = parser.errorText();
    QString message = text;
    if (!parser.unknownOptionNames().isEmpty())
        message = QStringLiteral("unknown option --%1%2").arg(parser.unknownOptionNames().first(), where);
    else if (const QRegularExpressionMatch m = missing.match(text); m.hasMatch())
        message = QStringLiteral("option %1 needs a value").arg(m.captured(1));
    else if (const QRegularExpressionMatch m = unexpected.match(text); m.hasMatch())
        message = QStringLiteral("option %1 takes no value").arg(m.captured(1));
    m_err << "ndbackupctl: " << message << Qt::endl;
    return false;
}

bool CommandLine::flag(const QString &name) const { return m_options.contains(name); }
QStringList CommandLine::values(const QString &name) const { return m_options.value(name); }

int CommandLine::run()
{
    // Options anywhere, "--opt value" or "--opt=value"; everything else is a command word. The
    // words are found first (with every option known), then the command's own parser checks
    // that each option given is one it takes.
    QStringList allOptions;
    for (const OptionSpec &o : kOptions)
        allOptions << QString::fromLatin1(o.name);
    QCommandLineParser words;
    addOptions(words, allOptions);
    if (!parse(words, nullptr))
        return ExitUsage;
    m_words = words.positionalArguments();
    const CommandSpec *command = findCommand(m_words);
    QCommandLineParser parser;
    if (command) {
        addOptions(parser, command->options);
        if (!command->arguments.isEmpty())
            parser.addPositionalArgument(command->arguments, QString(), command->arguments);
        if (!parse(parser, command))
            return ExitUsage;
    }
    // Without a known command, dispatch() says what is wrong with the words.
    const QCommandLineParser &parsed = command ? parser : words;
    for (const QString &name : parsed.optionNames()) {
        const QString longName = name == QLatin1String("h") ? QStringLiteral("help") : name;
        if (!m_options.contains(longName))
            m_options[longName] = parsed.values(longName).isEmpty() ? QStringList{QString()} : parsed.values(longName);
    }
    if (command && flag(QStringLiteral("help"))) {
        // The options that command takes, the global ones included.
        QString text = parser.helpText();
        text = text.mid(text.indexOf(QLatin1Char('\n')) + 1); // its own usage line names the binary's path
        m_out << "Usage: ndbackupctl " << command->words.join(QLatin1Char(' ')) << " [options]"
              << (command->arguments.isEmpty() ? QString() : QLatin1Char(' ') + command->arguments) << '\n'
              << text << "\nVOLUME and the exit codes: ndbackupctl --help\n";
        m_out.flush();
        return ExitOk;
    }
    if (flag(QStringLiteral("help")) || m_words.isEmpty() || m_words.first() == QLatin1String("help")) {
        m_out << kHelp;
        m_out.flush();
        return m_words.isEmpty() && !flag(QStringLiteral("help")) ? ExitUsage : ExitOk;
    }
    if (flag(QStringLiteral("version"))) {
        m_out << "ndbackupctl " << QCoreApplication::applicationVersion() << Qt::endl;
        return ExitOk;
    }
    m_json = flag(QStringLiteral("json"));
    m_quiet = flag(QStringLiteral("quiet"));

    const QString configFile = flag(QStringLiteral("config")) ? option(QStringLiteral("config")) : EngineConfig::defaultConfigFile();
    if (flag(QStringLiteral("config")) && !QFileInfo::exists(configFile)) {
        m_err << "ndbackupctl: configuration file " << configFile << " does not exist" << Qt::endl;
        return ExitUsage;
    }
    EngineConfig config;
    try {
        if (flag(QStringLiteral("config")) || QFileInfo::exists(configFile))
            EngineConfig::checkFile(configFile);
        config = EngineConfig::load(configFile);
        if (flag(QStringLiteral("catalog"))) {
            config.catalogPath = QFileInfo(option(QStringLiteral("catalog"))).absoluteFilePath();
            // A typo must not silently start a new, empty catalog (an empty inventory).
            const QString dir = QFileInfo(config.catalogPath).absolutePath();
            if (!QFileInfo(dir).isDir())
                throw UsageError(QStringLiteral("--catalog %1: the directory %2 does not exist; check the path, or create "
                                                "the directory to start a new catalog there").arg(option(QStringLiteral("catalog")), dir));
        }
        if (flag(QStringLiteral("jobs")))
            config.maxConcurrentJobs = intOption(QStringLiteral("jobs"), option(QStringLiteral("jobs")), 1, 64);
        if (flag(QStringLiteral("container")) && option(QStringLiteral("container")).isEmpty())
            throw UsageError(QStringLiteral("--container must not be empty: give a container name, or leave the option "
                                            "out to use the default container '%1'").arg(config.defaultContainer));
    } catch (const Error &e) {
        m_err << "ndbackupctl: " << e.message() << Qt::endl;
        return ExitUsage;
    }
    if (flag(QStringLiteral("repository-root")))
        config.repositoryRoot = QFileInfo(option(QStringLiteral("repository-root"))).absoluteFilePath();
    for (const QString &pool : values(QStringLiteral("pool"))) {
        const QString abs = QFileInfo(pool).absoluteFilePath();
        if (!config.imagePools.contains(abs))
            config.imagePools << abs;
    }
    for (const QString &vg : values(QStringLiteral("vg")))
        if (!config.lvmVolumeGroups.contains(vg))
            config.lvmVolumeGroups << vg;
    try {
        QStringList agents;
        for (const QString &agent : config.agents + values(QStringLiteral("agent"))) {
            const QString address = AgentAddress::parse(agent).text();
            if (!agents.contains(address))
                agents << address;
        }
        config.agents = agents;
        // Enrolment needs no engine (and no inventory of the nodes being enrolled).
        if (m_words.first() == QLatin1String("agent") || m_words.first() == QLatin1String("show-fingerprint"))
            return cmdAgent(config, m_words);
        if (!m_quiet) {
            const StorageNodes nodes(config.consoleStateDir());
            for (const QString &agent : std::as_const(config.agents))
                if (!nodes.find(AgentAddress::parse(agent)))
                    m_err << "ndbackupctl: agent " << agent << " is not trusted, its volumes are left out: run 'ndbackupctl agent trust "
                          << agent << "'" << Qt::endl;
        }
    } catch (const Error &e) {
        m_err << "ndbackupctl: " << e.message() << Qt::endl;
        return exitCodeFor(e.kind());
    }
    if (m_words.first() == QLatin1String("demo"))
        DemoPool::ensure(config);

    try {
        for (const QString &vg : config.lvmVolumeGroups)
            validateName(vg, QStringLiteral("volume group"));
        for (const QString &pool : config.imagePools)
            if (!QFileInfo(pool).isDir())
                throw NotFoundError(QStringLiteral("image pool %1 is not a directory").arg(pool));
        Engine engine(config);
        const CleanupReport report = engine.start();
        // A volume group named on the command line must exist: a typo would list nothing and succeed.
        for (const QString &vg : values(QStringLiteral("vg"))) {
            try {
                // Asked on a worker with its own driver, like all storage calls outside main().
                const DriverSettings settings = config.driverSettings();
                waitOnWorker<QList<Volume>>([settings, vg]() -> QCoro::Task<QList<Volume>> {
                    DriverSet drivers(settings);
                    VolumeDriver *driver = drivers.byId(QStringLiteral("lvm:") + vg);
                    if (!driver)
                        throw NotFoundError(QStringLiteral("no LVM driver for it"));
                    co_return co_await driver->listVolumes();
                });
            } catch (const Error &e) {
                throw InvalidInputError(QStringLiteral("--vg %1: the volume group cannot be used (%2); check the name with 'vgs'")
                                            .arg(vg, e.message()));
            }
        }
        if (!m_quiet && m_words.first() != QLatin1String("cleanup"))
            for (const QString &m : report.messages)
                m_err << "ndbackupctl: " << m << Qt::endl;
        return dispatch(engine, m_words);
    } catch (const Error &e) {
        m_err << "ndbackupctl: " << e.message() << Qt::endl;
        return exitCodeFor(e.kind());
    }
}

int CommandLine::dispatch(Engine &engine, const QStringList &w)
{
    const QString cmd = w.value(0);
    const QString sub = w.value(1);
    auto needArg = [&](int n, const QString &what) {
        if (w.size() <= n)
            throw UsageError(QStringLiteral("'%1' needs %2").arg(w.mid(0, n).join(QLatin1Char(' ')), what));
        return w.at(n);
    };
    if (cmd == QLatin1String("volumes"))
        return cmdVolumes(engine);
    if (cmd == QLatin1String("volume"))
        return cmdVolume(engine, w);
    if (cmd == QLatin1String("backup")) {
        if (sub == QLatin1String("create"))
            return cmdBackupCreate(engine);
        if (sub == QLatin1String("list"))
            return cmdBackupList(engine);
        if (sub == QLatin1String("show"))
            return cmdBackupShow(engine, needArg(2, QStringLiteral("a backup id")));
        if (sub == QLatin1String("restore"))
            return cmdBackupRestore(engine, needArg(2, QStringLiteral("a backup id")));
        if (sub == QLatin1String("verify"))
            return waitForJob(engine.submitVerify(needArg(2, QStringLiteral("a backup id"))));
        if (sub == QLatin1String("delete"))
            return waitForJob(engine.submitDelete(needArg(2, QStringLiteral("a backup id"))));
        throw UsageError(QStringLiteral("unknown command 'backup %1' (create, list, show, restore, verify, delete)").arg(sub));
    }
    if (cmd == QLatin1String("gc")) {
        JobHandle *job = engine.submitGarbageCollection(option(QStringLiteral("container")));
        // What gc skipped and kept goes to stdout whether or not stderr is a terminal: a script
        // running gc from cron must see that a manifest is damaged.
        QStringList warnings;
        QObject::connect(job, &JobHandle::eventLogged, [&](const QString &, const QString &level, const QString &message) {
            if (level == QLatin1String("warning"))
                warnings << message;
        });
        const int rc = waitForJob(job);
        for (const QString &w : std::as_const(warnings))
            m_out << "gc: " << w << Qt::endl;
        return rc;
    }
    if (cmd == QLatin1String("cleanup"))
        return cmdCleanup(engine);
    if (cmd == QLatin1String("jobs"))
        return cmdJobs(engine);
    if (cmd == QLatin1String("job") && sub == QLatin1String("show"))
        return cmdJobShow(engine, needArg(2, QStringLiteral("a job id")));
    if (cmd == QLatin1String("demo"))
        return cmdDemo(engine);
    if (cmd == QLatin1String("report"))
        return cmdReport(engine);
    throw UsageError(QStringLiteral("unknown command '%1' (see --help)").arg(w.join(QLatin1Char(' '))));
}

int CommandLine::cmdAgent(const EngineConfig &config, const QStringList &w)
{
    StorageNodes nodes(config.consoleStateDir());
    const QString sub = w.value(1);
    if (w.value(0) == QLatin1String("show-fingerprint")) {
        m_out << nodes.identity().fingerprint() << Qt::endl;
        if (!m_quiet)
            m_err << "give it to each agent: ndbackup-agent trust-console " << nodes.identity().fingerprint() << Qt::endl;
        return ExitOk;
    }
    if (sub == QLatin1String("list")) {
        const QList<AgentState> states = waitOnWorker<QList<AgentState>>([&nodes] { return nodes.states(); });
        if (m_json) {
            QJsonArray a;
            for (const AgentState &s : states)
                a << QJsonObject{{QStringLiteral("address"), s.agent.address.text()}, {QStringLiteral("node"), s.agent.node},
                                 {QStringLiteral("fingerprint"), s.agent.fingerprint}, {QStringLiteral("label"), s.agent.label},
                                 {QStringLiteral("online"), s.online}, {QStringLiteral("problem"), s.problem},
                                 {QStringLiteral("configured"), config.agents.contains(s.agent.address.text())}};
            m_out << QJsonDocument(a).toJson(QJsonDocument::Indented);
            return ExitOk;
        }
        if (states.isEmpty()) {
            m_err << "no agents are trusted: see 'ndbackupctl --help', Storage nodes" << Qt::endl;
            return ExitOk;
        }
        m_out << pad(QStringLiteral("ADDRESS"), 22) << pad(QStringLiteral("NODE"), 18) << pad(QStringLiteral("STATE"), 9)
              << "FINGERPRINT" << Qt::endl;
        for (const AgentState &s : states) {
            m_out << pad(s.agent.address.text(), 22) << pad(s.agent.node.isEmpty() ? QStringLiteral("-") : s.agent.node, 18)
                  << pad(s.online ? QStringLiteral("online") : QStringLiteral("offline"), 9) << s.agent.fingerprint << Qt::endl;
            if (!s.online && !m_quiet)
                m_err << "ndbackupctl: " << s.agent.address.text() << ": " << s.problem << Qt::endl;
        }
        return ExitOk;
    }
    if (sub != QLatin1String("trust") && sub != QLatin1String("forget"))
        throw UsageError(QStringLiteral("unknown command 'agent %1' (trust, list, forget)").arg(sub));
    if (w.size() < 3)
        throw UsageError(QStringLiteral("'agent %1' needs the agent's address, HOST or HOST:PORT").arg(sub));
    const AgentAddress address = AgentAddress::parse(w.at(2));
    if (sub == QLatin1String("forget")) {
        if (!nodes.forget(address))
            throw NotFoundError(QStringLiteral("agent %1 is not trusted (see 'ndbackupctl agent list')").arg(address.text()));
        m_out << "agent " << address.text() << " forgotten" << Qt::endl;
        return ExitOk;
    }
    // Checked before the network: a typo in it must not wait for a connection.
    const QString expected = flag(QStringLiteral("fingerprint")) ? normalizeFingerprint(option(QStringLiteral("fingerprint"))) : QString();
    const QSslCertificate certificate = waitOnWorker<QSslCertificate>([&nodes, address] { return nodes.probe(address); });
    const QString fingerprint = certificateFingerprint(certificate);
    m_out << "agent " << address.text() << " presents the certificate fingerprint " << fingerprint << Qt::endl;
    if (!expected.isEmpty()) {
        if (expected != fingerprint)
            throw RefusedError(QStringLiteral("the fingerprint of agent %1 is %2, not the %3 given: it was not trusted and nothing "
                                              "was changed. Read it on the node with 'ndbackup-agent show-fingerprint'; a "
                                              "difference means another machine answers at that address.")
                                   .arg(address.text(), fingerprint, expected));
    } else {
        if (!::isatty(STDIN_FILENO))
            throw RefusedError(QStringLiteral("agent %1 was not trusted: standard input is not a terminal to confirm the fingerprint; "
                                              "compare it with 'ndbackup-agent show-fingerprint' on the node and pass "
                                              "--fingerprint %2").arg(address.text(), fingerprint));
        m_out << "Compare it with 'ndbackup-agent show-fingerprint' on the node. Trust this agent? [y/N] " << Qt::flush;
        QTextStream in(stdin);
        const QString answer = in.readLine().trimmed().toLower();
        if (answer != QLatin1String("y") && answer != QLatin1String("yes"))
            throw RefusedError(QStringLiteral("agent %1 was not trusted; nothing was changed").arg(address.text()));
    }
    PinnedAgent agent;
    agent.address = address;
    agent.label = option(QStringLiteral("label"));
    nodes.pin(agent, certificate);
    m_out << "agent " << address.text() << " trusted (" << fingerprint << ")" << Qt::endl;
    // Whether it answers yet depends on the other direction of the enrolment.
    const QList<AgentState> states = waitOnWorker<QList<AgentState>>([&nodes] { return nodes.states(); });
    for (const AgentState &s : states)
        if (s.agent.address == address && !m_quiet) {
            if (s.online)
                m_out << "node " << s.agent.node << " answers" << Qt::endl;
            else
                m_err << "ndbackupctl: the agent does not answer this console yet (" << s.problem << "); on the node run: "
                      << "ndbackup-agent trust-console " << nodes.identity().fingerprint() << Qt::endl;
        }
    if (!config.agents.contains(address.text()) && !m_quiet)
        m_err << "ndbackupctl: to manage its volumes, pass --agent " << address.text() << " or add it to 'agents =' in the "
              << "configuration file" << Qt::endl;
    return ExitOk;
}

int CommandLine::cmdVolumes(Engine &engine)
{
    const QList<Volume> volumes = engine.refreshVolumes();
    if (m_json) {
        QJsonArray a;
        for (const Volume &v : volumes)
            a << toJson(v);
        m_out << QJsonDocument(a).toJson(QJsonDocument::Indented);
        return ExitOk;
    }
    if (volumes.isEmpty()) {
        m_err << "no volumes: configure storage with --pool DIR or --vg NAME (or in the config file)" << Qt::endl;
        return ExitOk;
    }
    m_out << pad(QStringLiteral("NAME"), 24) << pad(QStringLiteral("SIZE"), 11) << pad(QStringLiteral("STATUS"), 18)
          << pad(QStringLiteral("ATTACHED TO"), 20) << "ID" << Qt::endl;
    for (const Volume &v : volumes)
        m_out << pad(v.name, 24) << pad(formatSize(v.size), 11) << pad(v.status, 18)
              << pad(v.attachedTo.isEmpty() ? QStringLiteral("-") : v.attachedTo, 20) << v.id << Qt::endl;
    return ExitOk;
}

int CommandLine::cmdVolume(Engine &engine, const QStringList &w)
{
    const QString sub = w.value(1);
    if (sub == QLatin1String("create")) {
        const QString pool = QFileInfo(option(QStringLiteral("pool"))).absoluteFilePath();
        const QString name = option(QStringLiteral("name"));
        if (option(QStringLiteral("pool")).isEmpty() || name.isEmpty() || !flag(QStringLiteral("size")))
            throw UsageError(QStringLiteral("'volume create' needs --pool DIR --name NAME --size SIZE"));
        const qint64 size = parseSize(option(QStringLiteral("size")));
        if (size <= 0)
            throw UsageError(QStringLiteral("--size '%1' is not a volume size: give a positive number with an optional "
                                            "unit k, M, G or T (e.g. 64M, 10G), at most a few exabytes").arg(option(QStringLiteral("size"))));
        validateUserName(name, QStringLiteral("volume"));
        const QString driverId = QStringLiteral("image:") + pool;
        if (!engine.driver(driverId))
            throw NotFoundError(QStringLiteral("image pool %1 is not configured").arg(pool));
        // Like everything that touches storage, a logged job (see 'jobs').
        JobHandle *job = engine.submitCreateVolume(driverId, name, size);
        const int rc = waitForJob(job);
        if (rc != ExitOk)
            return rc;
        engine.refreshVolumes();
        const Volume v = engine.findVolume(job->resultId());
        if (m_json)
            m_out << QJsonDocument(toJson(v)).toJson(QJsonDocument::Indented);
        else
            m_out << v.id << Qt::endl;
        return ExitOk;
    }
    if (sub == QLatin1String("reset-status")) {
        if (w.size() < 3)
            throw UsageError(QStringLiteral("'volume reset-status' needs a volume"));
        const QString to = flag(QStringLiteral("to")) ? option(QStringLiteral("to")) : QString(VolumeStatus::Available);
        const Volume before = engine.findVolume(w.at(2));
        const Volume v = engine.resetVolumeStatus(before.id, to);
        if (m_json)
            m_out << QJsonDocument(toJson(v)).toJson(QJsonDocument::Indented);
        else if (!m_quiet)
            m_err << "volume " << v.name << ": status reset from '" << before.status << "' to '" << v.status << "'" << Qt::endl;
        return ExitOk;
    }
    if (sub == QLatin1String("attach") || sub == QLatin1String("detach")) {
        if (w.size() < 3)
            throw UsageError(QStringLiteral("'volume %1' needs a volume").arg(sub));
        JobHandle *job = sub == QLatin1String("attach") ? engine.submitAttachVolume(w.at(2)) : engine.submitDetachVolume(w.at(2));
        const int rc = waitForJob(job);
        if (rc != ExitOk)
            return rc;
        if (sub == QLatin1String("attach"))
            m_out << job->resultId() << Qt::endl;
        engine.refreshVolumes();
        return ExitOk;
    }
    throw UsageError(QStringLiteral("unknown command 'volume %1' (create, attach, detach, reset-status)").arg(sub));
}

int CommandLine::cmdBackupCreate(Engine &engine)
{
    if (option(QStringLiteral("volume")).isEmpty())
        throw UsageError(QStringLiteral("'backup create' needs --volume VOLUME"));
    engine.refreshVolumes();
    BackupRequest req;
    req.volumeId = engine.findVolume(option(QStringLiteral("volume"))).id;
    req.container = option(QStringLiteral("container"));
    req.name = option(QStringLiteral("name"));
    req.description = option(QStringLiteral("description"));
    req.force = flag(QStringLiteral("force"));
    if (flag(QStringLiteral("bandwidth")))
        req.bandwidthLimit = bandwidthOption(option(QStringLiteral("bandwidth")));
    if (flag(QStringLiteral("io-priority")))
        req.ioPriority = option(QStringLiteral("io-priority"));
    req.requirePointInTime = flag(QStringLiteral("require-point-in-time"));
    JobHandle *job = engine.submitBackup(req);
    const int rc = waitForJob(job);
    if (rc != ExitOk)
        return rc;
    return cmdBackupShow(engine, job->resultId());
}

int CommandLine::cmdBackupList(Engine &engine)
{
    QString volumeId;
    if (flag(QStringLiteral("volume")))
        volumeId = engine.findVolume(option(QStringLiteral("volume"))).id;
    const bool all = flag(QStringLiteral("all"));
    QList<Backup> list = engine.backups(volumeId, all);
    // A cancelled attempt is no backup to restore: listed only on request.
    if (!all)
        list.removeIf([](const Backup &b) { return b.cancelled; });
    if (m_json) {
        QJsonArray a;
        for (const Backup &b : list)
            a << toJson(b);
        m_out << QJsonDocument(a).toJson(QJsonDocument::Indented);
        return ExitOk;
    }
    m_out << pad(QStringLiteral("ID"), 38) << pad(QStringLiteral("VOLUME"), 20) << pad(QStringLiteral("STATUS"), 11)
          << pad(QStringLiteral("SIZE"), 11) << pad(QStringLiteral("STORED"), 11) << pad(QStringLiteral("CREATED"), 21)
          << pad(QStringLiteral("CONSISTENCY"), 19) << "NAME" << Qt::endl;
    for (const Backup &b : list)
        m_out << pad(b.id, 38) << pad(b.volumeName, 20) << pad(statusText(b), 11) << pad(formatSize(b.size), 11)
              << pad(formatSize(b.storedBytes), 11) << pad(timeText(b.createdAt), 21) << pad(b.consistency, 19) << b.name << Qt::endl;
    return ExitOk;
}

int CommandLine::cmdBackupShow(Engine &engine, const QString &id)
{
    const Backup b = engine.backup(id);
    if (m_json) {
        m_out << QJsonDocument(toJson(b)).toJson(QJsonDocument::Indented);
        return ExitOk;
    }
    m_out << "id:           " << b.id << '\n'
          << "volume:       " << b.volumeName << " (" << b.volumeId << ")\n"
          << "name:         " << b.name << '\n'
          << "description:  " << b.description << '\n'
          << "container:    " << b.container << '\n'
          << "status:       " << statusText(b) << '\n';
    if (!b.failReason.isEmpty())
        m_out << "fail reason:  " << b.failReason << '\n';
    m_out << "size:         " << formatSize(b.size) << " (" << b.size << " bytes)\n"
          << "stored:       " << formatSize(b.storedBytes) << '\n'
          << "data path:    " << b.dataPath << '\n'
          << "consistency:  " << b.consistency << (b.consistency == Consistency::NotPointInTime
                                                     ? " (copied while it may have been written)" : "") << '\n'
          << "created:      " << timeText(b.createdAt) << '\n'
          << "finished:     " << timeText(b.finishedAt) << Qt::endl;
    return ExitOk;
}

int CommandLine::cmdBackupRestore(Engine &engine, const QString &id)
{
    RestoreRequest req;
    req.backupId = id;
    const int targets = int(flag(QStringLiteral("to-volume"))) + int(flag(QStringLiteral("new-volume"))) + int(flag(QStringLiteral("to-file")));
    if (targets != 1)
        throw UsageError(QStringLiteral("'backup restore' needs exactly one of --to-volume, --new-volume, --to-file"));
    if (flag(QStringLiteral("to-volume"))) {
        engine.refreshVolumes();
        req.target = RestoreRequest::Target::ExistingVolume;
        req.volumeId = option(QStringLiteral("to-volume"));
    } else if (flag(QStringLiteral("new-volume"))) {
        req.target = RestoreRequest::Target::NewVolume;
        req.newVolumeName = option(QStringLiteral("new-volume"));
        req.driverId = option(QStringLiteral("driver"));
        if (req.driverId.isEmpty()) {
            // Default: the storage the backed-up volume lives on, when it is configured here.
            const QString volumeId = engine.backup(id).volumeId;
            req.driverId = volumeId.left(volumeId.lastIndexOf(QLatin1Char('/')));
        }
        if (!engine.driver(req.driverId))
            throw NotFoundError(QStringLiteral("storage '%1' is not configured (use --driver)").arg(req.driverId));
    } else {
        req.target = RestoreRequest::Target::File;
        req.filePath = QFileInfo(option(QStringLiteral("to-file"))).absoluteFilePath();
        req.overwrite = flag(QStringLiteral("overwrite"));
    }
    if (flag(QStringLiteral("bandwidth")))
        req.bandwidthLimit = bandwidthOption(option(QStringLiteral("bandwidth")));
    return waitForJob(engine.submitRestore(req));
}

int CommandLine::cmdJobs(Engine &engine)
{
    HistoryFilter f;
    if (flag(QStringLiteral("limit")))
        f.limit = intOption(QStringLiteral("limit"), option(QStringLiteral("limit")), 1, 1000000);
    if (flag(QStringLiteral("volume")))
        f.volumeId = engine.findVolume(option(QStringLiteral("volume"))).id;
    f.status = option(QStringLiteral("status"));
    f.kind = option(QStringLiteral("kind"));
    const QList<Job> jobs = engine.jobs(f);
    if (m_json) {
        QJsonArray a;
        for (const Job &j : jobs)
            a << toJson(j);
        m_out << QJsonDocument(a).toJson(QJsonDocument::Indented);
        return ExitOk;
    }
    m_out << pad(QStringLiteral("ID"), 6) << pad(QStringLiteral("KIND"), 9) << pad(QStringLiteral("STATUS"), 11)
          << pad(QStringLiteral("CREATED"), 21) << pad(QStringLiteral("VOLUME"), 40) << "ERROR" << Qt::endl;
    for (const Job &j : jobs)
        m_out << pad(QString::number(j.id), 6) << pad(j.kind, 9) << pad(j.status, 11) << pad(timeText(j.createdAt), 21)
              << pad(j.volumeId, 40) << j.error << Qt::endl;
    return ExitOk;
}

int CommandLine::cmdJobShow(Engine &engine, const QString &id)
{
    bool ok = false;
    const qint64 jobId = id.toLongLong(&ok);
    if (!ok)
        throw UsageError(QStringLiteral("job ids are numbers"));
    const QList<JobEvent> events = engine.jobEvents(jobId);
    HistoryFilter f;
    f.limit = 100000;
    Job job;
    for (const Job &j : engine.jobs(f))
        if (j.id == jobId)
            job = j;
    if (job.id == 0)
        throw NotFoundError(QStringLiteral("no job %1").arg(jobId));
    if (m_json) {
        QJsonObject o = toJson(job);
        QJsonArray a;
        for (const JobEvent &e : events)
            a << QJsonObject{{QStringLiteral("time"), e.time.toString(Qt::ISODateWithMs)}, {QStringLiteral("phase"), e.phase},
                             {QStringLiteral("level"), e.level}, {QStringLiteral("message"), e.message}};
        o[QStringLiteral("events")] = a;
        m_out << QJsonDocument(o).toJson(QJsonDocument::Indented);
        return ExitOk;
    }
    m_out << "job " << job.id << ": " << job.kind << ' ' << job.status;
    if (!job.error.isEmpty())
        m_out << " (" << job.error << ')';
    m_out << '\n';
    for (const JobEvent &e : events)
        m_out << timeText(e.time) << "  " << pad(e.phase, 9) << pad(e.level, 8) << e.message << '\n';
    m_out.flush();
    return ExitOk;
}

int CommandLine::cmdReport(Engine &engine)
{
    auto date = [this](const QString &name, bool endOfDay) {
        if (!flag(name))
            return QDateTime();
        const QDate d = QDate::fromString(option(name), Qt::ISODate);
        if (!d.isValid())
            throw UsageError(QStringLiteral("--%1 takes a date as YYYY-MM-DD").arg(name));
        return endOfDay ? d.endOfDay() : d.startOfDay();
    };
    const QString format = flag(QStringLiteral("format")) ? option(QStringLiteral("format")) : QStringLiteral("history-csv");
    if (format != QLatin1String("history-csv") && format != QLatin1String("inventory-csv") && format != QLatin1String("html"))
        throw UsageError(QStringLiteral("--format is history-csv, inventory-csv or html"));
    engine.refreshVolumes();
    const ReportData data = engine.report(date(QStringLiteral("from"), false), date(QStringLiteral("to"), true));
    const QString text = format == QLatin1String("html") ? Report::html(data)
                         : format == QLatin1String("inventory-csv") ? Report::inventoryCsv(data)
                                                                     : Report::historyCsv(data);
    if (!flag(QStringLiteral("output"))) {
        m_out << text;
        m_out.flush();
        return ExitOk;
    }
    QSaveFile file(option(QStringLiteral("output")));
    if (!file.open(QIODevice::WriteOnly) || file.write(text.toUtf8()) < 0 || !file.commit())
        throw Error(QStringLiteral("cannot write %1: %2").arg(option(QStringLiteral("output")), file.errorString()));
    return ExitOk;
}

int CommandLine::cmdCleanup(Engine &engine)
{
    // start() already ran the cleanup; run it once more so its report is this command's output.
    const CleanupReport r = engine.cleanup();
    if (m_json) {
        m_out << QJsonDocument(QJsonObject{{QStringLiteral("backups_reset"), r.backupsReset},
                                           {QStringLiteral("restores_reset"), r.restoresReset},
                                           {QStringLiteral("deletes_finished"), r.deletesFinished},
                                           {QStringLiteral("temporaries_removed"), r.temporariesRemoved},
                                           {QStringLiteral("volumes_restored"), r.volumesRestored},
                                           {QStringLiteral("freezes_thawed"), r.freezesThawed},
                                           {QStringLiteral("messages"), QJsonArray::fromStringList(r.messages)}})
                     .toJson(QJsonDocument::Indented);
        return ExitOk;
    }
    for (const QString &m : r.messages)
        m_out << m << '\n';
    m_out << "cleanup done" << Qt::endl;
    return ExitOk;
}

int CommandLine::cmdDemo(Engine &engine)
{
    engine.refreshVolumes();
    const Volume v = engine.findVolume(DemoPool::inUseVolumeName());
    if (!m_quiet)
        m_err << "demo pool: " << DemoPool::defaultPoolPath() << "; backing up " << v.name << " (" << v.status << ") with --force" << Qt::endl;
    BackupRequest req;
    req.volumeId = v.id;
    req.name = QStringLiteral("demo backup");
    req.description = QStringLiteral("made by ndbackupctl demo");
    req.force = true;
    JobHandle *job = engine.submitBackup(req);
    const int rc = waitForJob(job);
    if (rc != ExitOk)
        return rc;
    return cmdBackupShow(engine, job->resultId());
}

int CommandLine::waitForJob(JobHandle *job)
{
    const bool tty = !m_quiet && !flag(QStringLiteral("no-progress")) && ::isatty(STDERR_FILENO);
    // SIGINT/SIGTERM cancel the job; its cleanup runs before we exit.
    if (s_signalPipe[0] < 0 && ::pipe2(s_signalPipe, O_CLOEXEC | O_NONBLOCK) == 0) {
        std::signal(SIGINT, onSignal);
        std::signal(SIGTERM, onSignal);
    }
    QSocketNotifier notifier(s_signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, [&] {
        char buf[16];
        while (::read(s_signalPipe[0], buf, sizeof buf) > 0) {}
        if (!m_quiet)
            m_err << (tty ? "\n" : "") << "ndbackupctl: interrupted; cancelling and cleaning up" << Qt::endl;
        job->cancel();
    });
    int lastLen = 0;
    QObject::connect(job, &JobHandle::progressChanged, [&](const Progress &p) {
        if (!tty)
            return;
        QString line = QStringLiteral("%1 %2%").arg(p.phase, -9).arg(p.percent(), 3);
        if (p.bytesTotal > 0)
            line += QStringLiteral("  %1 / %2").arg(formatSize(p.bytesDone), formatSize(p.bytesTotal));
        if (p.bytesPerSecond > 0)
            line += QStringLiteral("  ") + formatRate(p.bytesPerSecond);
        if (p.etaSeconds >= 0)
            line += QStringLiteral("  ETA %1:%2").arg(p.etaSeconds / 60).arg(p.etaSeconds % 60, 2, 10, QLatin1Char('0'));
        m_err << '\r' << line.leftJustified(lastLen) << Qt::flush;
        lastLen = int(line.size());
    });
    QObject::connect(job, &JobHandle::eventLogged, [&](const QString &phase, const QString &level, const QString &message) {
        // Warnings always (a script's log must show "not a point-in-time copy"); phases on a terminal.
        if (m_quiet || !(level == QLatin1String("warning") || (tty && level == QLatin1String("phase"))))
            return;
        if (tty)
            m_err << '\r' << QString(lastLen, QLatin1Char(' ')) << '\r';
        m_err << phase << ": " << (level == QLatin1String("warning") ? "warning: " : "") << message << Qt::endl;
        lastLen = 0;
    });
    QEventLoop loop;
    if (!job->isFinished()) {
        QObject::connect(job, &JobHandle::finished, &loop, &QEventLoop::quit);
        loop.exec();
    }
    if (tty && lastLen > 0)
        m_err << '\r' << QString(lastLen, QLatin1Char(' ')) << '\r' << Qt::flush;
    if (job->status() == JobStatus::Succeeded) {
        if (!m_quiet && job->kind() != QLatin1String("backup"))
            m_err << job->kind() << " finished" << Qt::endl;
        return ExitOk;
    }
    if (job->status() == JobStatus::SucceededWithWarnings) {
        // Done, so exit 0; the warning is printed even with --quiet (a script's log must show it).
        m_err << "ndbackupctl: " << job->kind() << " completed with warnings: " << job->error() << Qt::endl;
        return ExitOk;
    }
    m_err << "ndbackupctl: " << job->kind() << " failed: " << job->error() << Qt::endl;
    return exitCodeFor(job->errorKind());
}

} // namespace ndb
