// ndbackup-bench: figures of the transfer pipeline next to the machine's bounds on the same data.
//
// Generates deterministic volumes (mixed, random, mixed-changed), then measures every run in its
// own child process (fresh peak RSS, own CPU time from wait4) with cold caches: backups, an
// incremental backup into the same container, restore, verify; and cat / openssl / zstd on the
// same images. Prints a table and how each figure compares with its target. See README.md.
// `--remote`: the real path of issue #12 (0.7 target): ndbackupctl backs up an in-use volume on an
// ndbackup-agent at 127.0.0.2 (RemoteDriver: snapshot, export, NBD over X.509 TLS, lease), and the
// same image locally (image driver, reflink snapshot), same run. `--remote-nbdkit`: the transport
// alone, NbdSource from nbdkit against the file, and nbdcopy over the same export.
#include "agent/support/agentnode.h"
#include "support/ctlrunner.h"
#include "support/nbdkitserver.h"
#include "support/scratchfs.h"
#include "support/testcerts.h"

#include "backup/transfer.h"
#include "repository/repository.h"
#include "util/error.h"
#include "volumes/blockdevice.h"
#include "volumes/nbd/nbdblockdevice.h"

#include <QCoreApplication>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>

#include <algorithm>
#include <chrono>
#include <functional>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

using namespace ndb;

namespace {

constexpr qint64 KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;
constexpr qint64 kStripe = 4 * MiB;
constexpr qint64 kBlock = 64 * KiB;

// ---------- deterministic data ----------

quint64 splitmix(quint64 &state)
{
    quint64 z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void fillRandom(char *out, qint64 length, quint64 seed)
{
    quint64 s[2] = {seed * 0x2545f4914f6cdd1dull + 1, seed ^ 0x6a09e667f3bcc909ull};
    for (qint64 i = 0; i + 8 <= length; i += 8) { // xorshift128+: fast enough to not dominate
        quint64 a = s[0];
        const quint64 b = s[1];
        s[0] = b;
        a ^= a << 23;
        s[1] = a ^ b ^ (a >> 17) ^ (b >> 26);
        const quint64 v = s[1] + b;
        std::memcpy(out + i, &v, 8);
    }
}

// Text-like: words from a small vocabulary, lines of varying length (zstd -1 gets ~3x).
void fillText(char *out, qint64 length, quint64 seed)
{
    static const char *words[] = {"volume", "snapshot", "backup", "restore", "chunk", "the", "of", "and",
                                  "error", "status", "available", "in-use", "device", "mapper", "thin", "pool",
                                  "a", "to", "is", "with", "2026-11-25", "INFO", "WARN", "request", "id", "size",
                                  "bytes", "node", "agent", "catalog", "job", "done", "failed", "retry", "lvm"};
    constexpr int count = sizeof words / sizeof *words;
    quint64 state = seed;
    qint64 i = 0;
    int lineWords = 0;
    while (i < length) {
        const quint64 r = splitmix(state);
        const char *w = words[r % count];
        if (r % 97 == 0) { // a number now and then
            char number[24];
            const int n = snprintf(number, sizeof number, "%llu", (unsigned long long)(r >> 20) % 1000000);
            for (int k = 0; k < n && i < length; ++k)
                out[i++] = number[k];
        } else {
            for (const char *p = w; *p && i < length; ++p)
                out[i++] = *p;
        }
        if (i < length)
            out[i++] = (++lineWords % (8 + int(r >> 60)) == 0) ? '\n' : ' ';
    }
}

enum class StripeKind { Zero, Random, Text, Repeat };

StripeKind mixedKind(qint64 stripe, quint64 &sourceStripe)
{
    quint64 state = quint64(stripe) * 7919 + 17;
    const quint64 r = splitmix(state) % 100;
    if (r < 40)
        return StripeKind::Zero;
    if (r < 70)
        return StripeKind::Random;
    if (r < 90)
        return StripeKind::Text;
    // Exact repeat of an earlier random stripe (found by walking back).
    for (qint64 back = stripe - 1 - qint64(splitmix(state) % 64); back >= 0; --back) {
        quint64 ignored;
        if (mixedKind(back, ignored) == StripeKind::Random) {
            sourceStripe = quint64(back);
            return StripeKind::Repeat;
        }
    }
    return StripeKind::Random;
}

bool blockChanged(qint64 block)
{
    return block % 100 == 37; // 1 % of the 64 KiB blocks, at fixed offsets
}

void writeAll(int fd, const char *data, qint64 length, const QString &path)
{
    for (qint64 done = 0; done < length;) {
        const ssize_t n = ::write(fd, data + done, size_t(length - done));
        if (n <= 0)
            throw Error(QStringLiteral("cannot write %1: %2").arg(path, QString::fromLocal8Bit(strerror(errno))));
        done += n;
    }
}

void generateVolumes(const QString &dir, qint64 size)
{
    const QString names[] = {QStringLiteral("mixed.img"), QStringLiteral("random.img"), QStringLiteral("mixed-changed.img")};
    int fds[3];
    for (int i = 0; i < 3; ++i) {
        fds[i] = ::open(QFile::encodeName(dir + QLatin1Char('/') + names[i]).constData(),
                        O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fds[i] < 0)
            throw Error(QStringLiteral("cannot create %1").arg(names[i]));
    }
    QByteArray stripe(kStripe, Qt::Uninitialized);
    for (qint64 s = 0; s * kStripe < size; ++s) {
        const qint64 length = qMin(kStripe, size - s * kStripe);
        quint64 source = 0;
        switch (mixedKind(s, source)) {
        case StripeKind::Zero:
            std::memset(stripe.data(), 0, size_t(length));
            break;
        case StripeKind::Random:
            fillRandom(stripe.data(), length, quint64(s) + 1);
            break;
        case StripeKind::Text:
            fillText(stripe.data(), length, quint64(s) + 1);
            break;
        case StripeKind::Repeat:
            fillRandom(stripe.data(), length, source + 1);
            break;
        }
        writeAll(fds[0], stripe.constData(), length, names[0]);
        for (qint64 off = 0; off < length; off += kBlock) {
            const qint64 block = (s * kStripe + off) / kBlock;
            if (blockChanged(block))
                fillRandom(stripe.data() + off, qMin(kBlock, length - off), 0xc0ffee00ull + quint64(block));
        }
        writeAll(fds[2], stripe.constData(), length, names[2]);
        fillRandom(stripe.data(), length, 0x5eed0000ull + quint64(s));
        writeAll(fds[1], stripe.constData(), length, names[1]);
    }
    for (int fd : fds) {
        ::fsync(fd);
        ::close(fd);
    }
}

// ---------- measurement ----------

struct Measured
{
    double wall = 0;
    double cpu = 0;       // user + sys of the child and its threads
    long peakRssKiB = 0;
    QByteArray output;    // the child's stdout
    int exitCode = -1;
};

qint64 pageCacheBytes()
{
    QFile file(QStringLiteral("/proc/meminfo"));
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : file.readAll().split('\n')) {
        if (line.startsWith("Cached:"))
            return line.mid(7).trimmed().split(' ').first().toLongLong() * KiB;
    }
    return 0;
}

bool g_dropCaches = true;

void dropCaches()
{
    ::sync();
    if (!g_dropCaches)
        return;
    QFile file(QStringLiteral("/proc/sys/vm/drop_caches"));
    if (!file.open(QIODevice::WriteOnly) || file.write("3\n") != 2) {
        std::fprintf(stderr, "warning: cannot drop caches (not root?); reads may be warm\n");
        g_dropCaches = false;
    }
}

// Runs a program (argument list, no shell) with stdout to `stdoutPath` or a pipe we collect.
Measured runMeasured(const QStringList &argv, const char *stdoutPath = nullptr)
{
    std::vector<QByteArray> args;
    for (const QString &a : argv)
        args.push_back(QFile::encodeName(a));
    std::vector<char *> cargs;
    for (QByteArray &a : args)
        cargs.push_back(a.data());
    cargs.push_back(nullptr);

    int pipeFds[2] = {-1, -1};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (stdoutPath) {
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY, 0);
    } else {
        if (::pipe2(pipeFds, O_CLOEXEC) != 0)
            throw Error(QStringLiteral("pipe failed"));
        posix_spawn_file_actions_adddup2(&actions, pipeFds[1], 1);
    }
    const auto start = std::chrono::steady_clock::now();
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, cargs[0], &actions, nullptr, cargs.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        throw Error(QStringLiteral("cannot start %1: %2").arg(argv.first(), QString::fromLocal8Bit(strerror(rc))));
    Measured m;
    if (!stdoutPath) {
        ::close(pipeFds[1]);
        char buffer[4096];
        ssize_t n;
        while ((n = ::read(pipeFds[0], buffer, sizeof buffer)) > 0)
            m.output.append(buffer, n);
        ::close(pipeFds[0]);
    }
    int status = 0;
    struct rusage usage{};
    ::wait4(pid, &status, 0, &usage);
    m.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    m.cpu = double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    m.peakRssKiB = usage.ru_maxrss;
    m.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return m;
}

QString selfPath()
{
    return QCoreApplication::applicationFilePath();
}

// ---------- child side: one operation, figures on stdout ----------

int childMain(const QStringList &args)
{
    try {
        const QString op = args.value(0);
        TransferOptions options;
        options.threads = args.value(4).toInt();
        if (op == QLatin1String("backup")) { // backup IMAGE REPO ID THREADS CHUNK
            RepositoryConfig defaults;
            if (args.value(5).toLongLong() > 0)
                defaults.chunkSize = quint32(args.value(5).toLongLong());
            auto repo = Repository::openOrCreate(args.value(2), defaults);
            auto source = openFileSource(args.value(1));
            Manifest manifest;
            manifest.backupId = args.value(3);
            const TransferStats stats = backupToRepository(*source, *repo, manifest, options);
            repo->commitManifest(manifest);
            std::printf("%lld %lld %lld %lld\n", (long long)stats.bytesStored, (long long)stats.chunksNew,
                        (long long)stats.chunksDeduplicated, (long long)stats.chunksZero);
        } else if (op == QLatin1String("backup-nbd")) {
            // backup-nbd PORT REPO ID THREADS CHUNK CERTDIR CONNECTIONS IN-FLIGHT REQUEST-SIZE
            RepositoryConfig defaults;
            if (args.value(5).toLongLong() > 0)
                defaults.chunkSize = quint32(args.value(5).toLongLong());
            auto repo = Repository::openOrCreate(args.value(2), defaults);
            NbdConnectionProperties props;
            props.host = QStringLiteral("127.0.0.1");
            props.port = quint16(args.value(1).toUInt());
            props.exportName = QStringLiteral("snap");
            props.certificatesDir = args.value(6);
            props.maxConnections = args.value(7).toInt();
            props.requestsInFlight = args.value(8).toInt();
            props.requestSize = args.value(9).toLongLong();
            NbdSource source(props);
            Manifest manifest;
            manifest.backupId = args.value(3);
            const TransferStats stats = backupToRepository(source, *repo, manifest, options);
            repo->commitManifest(manifest);
            std::printf("%lld %lld %lld %lld\n", (long long)stats.bytesStored, (long long)stats.chunksNew,
                        (long long)stats.chunksDeduplicated, (long long)stats.chunksZero);
            std::fprintf(stderr, "backup-nbd: %d connections used, %lld bytes over the wire\n", source.connectionCount(),
                         (long long)source.bytesTransferred());
        } else if (op == QLatin1String("restore")) { // restore OUT REPO ID THREADS
            auto repo = Repository::open(args.value(2));
            const Manifest manifest = repo->readManifest(args.value(3));
            auto sink = openFileSink(args.value(1), manifest.size);
            restoreFromRepository(*repo, manifest, *sink, options);
            std::printf("0 0 0 0\n");
        } else if (op == QLatin1String("noop")) { // loads the program only: the cache baseline
            std::printf("0 0 0 0\n");
        } else if (op == QLatin1String("verify")) { // verify - REPO ID THREADS
            auto repo = Repository::open(args.value(2));
            const VerifyReport report = verifyBackup(*repo, repo->readManifest(args.value(3)), options);
            if (!report.ok())
                throw Error(QStringLiteral("verify found %1 problems").arg(report.problems.size()));
            std::printf("0 0 0 0\n");
        } else {
            throw Error(QStringLiteral("unknown child operation %1").arg(op));
        }
        return 0;
    } catch (const Error &e) {
        std::fprintf(stderr, "ndbackup-bench child: %s\n", e.what());
        return 1;
    }
}

// ---------- parent side ----------

qint64 parseSize(const QString &text)
{
    static const QString units = QStringLiteral("KMGT");
    QString t = text.trimmed().toUpper();
    qint64 factor = 1;
    if (!t.isEmpty() && units.contains(t.back())) {
        factor = qint64(1) << (10 * (units.indexOf(t.back()) + 1));
        t.chop(1);
    }
    bool ok = false;
    const double value = t.toDouble(&ok);
    if (!ok || value <= 0)
        throw Error(QStringLiteral("bad size %1").arg(text));
    return qint64(value * double(factor));
}

struct Bounds
{
    double cat = 0, sha = 0, zstd = 0; // MB/s
    double copy = 0;                   // cp to the work directory + sync: the disk's read+write bound
    double catCpu = 0, shaCpu = 0, zstdCpu = 0; // CPU seconds: robust when the machine is shared
};

double mbps(qint64 bytes, double seconds)
{
    return seconds > 0 ? double(bytes) / 1e6 / seconds : 0;
}

Bounds measureBounds(const QString &image, qint64 size)
{
    Bounds b;
    const QString copy = image + QStringLiteral(".copy");
    dropCaches();
    const double cpSeconds = runMeasured({QStringLiteral("cp"), QStringLiteral("--sparse=never"), image, copy}).wall
        + runMeasured({QStringLiteral("sync"), copy}).wall;
    b.copy = mbps(size, cpSeconds);
    QFile::remove(copy);
    dropCaches();
    Measured m = runMeasured({QStringLiteral("cat"), image}, "/dev/null");
    b.cat = mbps(size, m.wall);
    b.catCpu = m.cpu;
    dropCaches();
    m = runMeasured({QStringLiteral("openssl"), QStringLiteral("dgst"), QStringLiteral("-sha256"), image}, "/dev/null");
    b.sha = mbps(size, m.wall);
    b.shaCpu = m.cpu;
    dropCaches();
    m = runMeasured({QStringLiteral("zstd"), QStringLiteral("-1"), QStringLiteral("-T0"), QStringLiteral("-c"), image}, "/dev/null");
    b.zstd = mbps(size, m.wall);
    b.zstdCpu = m.cpu;
    std::printf("bounds %-22s cat %5.0f MB/s %5.2f s cpu | sha256 %5.0f MB/s %5.2f s cpu | zstd -1 -T0 %5.0f MB/s %5.2f s cpu"
                " | cp+sync %5.0f MB/s\n",
                qPrintable(QFileInfo(image).fileName()), b.cat, b.catCpu, b.sha, b.shaCpu, b.zstd, b.zstdCpu, b.copy);
    std::fflush(stdout);
    return b;
}

qint64 filesBytes(const QString &dir, const QString &pattern, int *count = nullptr)
{
    qint64 total = 0;
    int n = 0;
    QDirIterator it(dir, {pattern}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        total += it.fileInfo().size();
        ++n;
    }
    if (count)
        *count = n;
    return total;
}

bool sameContent(const QString &a, const QString &b)
{
    QFile fa(a), fb(b);
    if (!fa.open(QIODevice::ReadOnly) || !fb.open(QIODevice::ReadOnly) || fa.size() != fb.size())
        return false;
    while (!fa.atEnd()) {
        if (fa.read(16 * MiB) != fb.read(16 * MiB))
            return false;
    }
    return true;
}

struct Row
{
    QString name;
    qint64 bytes = 0;
    Measured m;
    qint64 stored = -1;
    qint64 cacheGrowth = 0;
    const Bounds *bounds = nullptr;
};

void printRow(const Row &r)
{
    const double rate = mbps(r.bytes, r.m.wall);
    std::printf("%-28s %8.0f MB/s %7.2f s cpu %5.2f cpu/wall %6.1f MiB rss %9s stored %7.1f MiB cache",
                qPrintable(r.name), rate, r.m.cpu, r.m.wall > 0 ? r.m.cpu / r.m.wall : 0,
                double(r.m.peakRssKiB) / 1024,
                r.stored >= 0 ? qPrintable(QString::number(double(r.stored) / MiB, 'f', 1) + QStringLiteral(" MiB")) : "-",
                double(r.cacheGrowth) / MiB);
    if (r.bounds)
        std::printf(" | cat %5.0f (x%.2f) sha256 %5.0f (x%.2f) zstd-1-T0 %5.0f (x%.2f) cp+sync %5.0f (x%.2f)",
                    r.bounds->cat, rate / r.bounds->cat, r.bounds->sha, rate / r.bounds->sha, r.bounds->zstd,
                    rate / r.bounds->zstd, r.bounds->copy, rate / r.bounds->copy);
    std::printf("\n");
    std::fflush(stdout);
}

double median(QList<double> values)
{
    if (values.isEmpty())
        return 0;
    std::sort(values.begin(), values.end());
    const qsizetype n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// One figure over the repetitions: the median, and the spread when there was more than one.
QString spread(const QList<double> &values, int decimals)
{
    const double m = median(values);
    if (values.size() < 2)
        return QString::number(m, 'f', decimals);
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    return QStringLiteral("%1 (%2-%3)").arg(m, 0, 'f', decimals).arg(*lo, 0, 'f', decimals).arg(*hi, 0, 'f', decimals);
}

struct Repetition
{
    Bounds mixed, random, changed;
    QList<Row> rows;
};

// ---------- remote: NbdSource over TLS against the local source ----------

struct NbdTuning
{
    int connections = NbdConnectionProperties{}.maxConnections;
    int inFlight = NbdConnectionProperties{}.requestsInFlight;
    qint64 requestSize = NbdConnectionProperties{}.requestSize;
};

// CPU seconds (user + sys) a running process has used so far, from /proc/PID/stat; with
// `children`, also that of its children it has waited for (the agent's nbdkit servers).
double processCpu(pid_t pid, bool children = false)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray text = stat.readAll();
    const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
    qint64 ticks = fields.value(11).toLongLong() + fields.value(12).toLongLong();
    if (children)
        ticks += fields.value(13).toLongLong() + fields.value(14).toLongLong();
    return double(ticks) / double(sysconf(_SC_CLK_TCK));
}

// The end of a remote comparison: medians over the repetitions, the 0.7 target per image
// (`remote` / local), and whether every run was correct (the exit code).
int printRemoteSummary(const QMap<QString, QList<double>> &rates, const QMap<QString, QList<double>> &ratios,
                       const QStringList &imageNames, const QString &remote, int repeat, bool checkOnly, bool allOk)
{
    if (repeat > 1) {
        std::printf("medians of %d repetitions (min-max):\n", repeat);
        for (auto it = rates.cbegin(); it != rates.cend(); ++it)
            std::printf("  %-24s %s MB/s\n", qPrintable(it.key()), qPrintable(spread(it.value(), 0)));
    }
    if (!checkOnly) {
        std::printf(repeat > 1 ? "targets (median of the repetitions' ratios, min-max):\n" : "targets:\n");
        for (const QString &name : imageNames) {
            const double m = median(ratios[name]);
            std::printf("  backup %-6s %s / local %s  (target >= 0.70) %s\n", qPrintable(name), qPrintable(remote),
                        qPrintable(spread(ratios[name], 2)), m >= 0.7 ? "met" : "MISSED");
        }
    }
    std::printf("%s\n", allOk ? "all runs correct" : "SOME RUNS FAILED");
    return allOk ? 0 : 1;
}

// Same images, same run: a backup read from the file, the same backup read through NbdSource
// from nbdkit (file plugin, read-only, --tls=require with X.509 and --tls-verify-peer) on
// 127.0.0.1, and nbdcopy from the same export to null: as the bound of the transport itself.
int remoteComparison(const QString &dir, qint64 size, const QString &threadArg, const QString &chunkArg,
                     const NbdTuning &tuning, int repeat, bool checkOnly)
{
    using namespace ndbtest;
    const TestIdentity agent = makeSelfSignedIdentity(dir, QStringLiteral("agent"));
    const TestIdentity console = makeSelfSignedIdentity(dir, QStringLiteral("console"));
    const QString serverTls = makeServerTlsDir(dir + QStringLiteral("/server-tls"), agent, console);
    const QString clientTls = makeClientTlsDir(dir + QStringLiteral("/client-tls"), console, agent);
    std::printf("remote: nbdkit file plugin, X.509 TLS, peer verified, 127.0.0.1; NbdSource with up to %d connections,"
                " %d requests in flight each, %lld KiB requests\n",
                tuning.connections, tuning.inFlight, (long long)(tuning.requestSize / KiB));
    bool allOk = true;
    QMap<QString, QList<double>> rates;   // "random local" ... -> MB/s per repetition
    QMap<QString, QList<double>> ratios;  // image -> remote / local per repetition
    const QStringList imageNames = {QStringLiteral("random"), QStringLiteral("mixed")};
    for (int rep = 1; rep <= repeat; ++rep) {
        if (repeat > 1)
            std::printf("--- repetition %d of %d\n", rep, repeat);
        for (const QString &name : imageNames) {
            const QString image = dir + QLatin1Char('/') + name + QStringLiteral(".img");
            const QString repoLocal = dir + QStringLiteral("/c-local"), repoRemote = dir + QStringLiteral("/c-remote");
            QDir(repoLocal).removeRecursively();
            QDir(repoRemote).removeRecursively();
            NbdkitServer server;
            server.start({image, true, serverTls, {}, {}}, dir);
            auto run = [&](const QString &what, const QStringList &argv) {
                dropCaches();
                const double serverCpu = processCpu(server.pid());
                const Measured m = runMeasured(argv);
                const double rate = mbps(size, m.wall);
                std::printf("%-24s %8.0f MB/s %6.2f s wall %6.2f s cpu  nbdkit %5.2f s cpu%s\n", qPrintable(what), rate,
                            m.wall, m.cpu, processCpu(server.pid()) - serverCpu,
                            m.exitCode == 0 ? "" : "  FAILED");
                std::fflush(stdout);
                if (m.exitCode != 0)
                    allOk = false;
                rates[what].append(rate);
                return rate;
            };
            const QStringList local = {selfPath(), QStringLiteral("--child"), QStringLiteral("backup"), image, repoLocal,
                                       QStringLiteral("b1"), threadArg, chunkArg};
            const QStringList remote = {selfPath(), QStringLiteral("--child"), QStringLiteral("backup-nbd"),
                                        QString::number(server.port()), repoRemote, QStringLiteral("b1"), threadArg,
                                        chunkArg, clientTls, QString::number(tuning.connections),
                                        QString::number(tuning.inFlight), QString::number(tuning.requestSize)};
            // Alternate the order so that neither side always runs first.
            double localRate = 0, remoteRate = 0;
            if (rep % 2) {
                localRate = run(name + QStringLiteral(" local"), local);
                remoteRate = run(name + QStringLiteral(" nbd+tls"), remote);
            } else {
                remoteRate = run(name + QStringLiteral(" nbd+tls"), remote);
                localRate = run(name + QStringLiteral(" local"), local);
            }
            ratios[name].append(localRate > 0 ? remoteRate / localRate : 0);
            if (!checkOnly)
                run(name + QStringLiteral(" nbdcopy"),
                    {QStringLiteral("nbdcopy"),
                     QStringLiteral("nbds://127.0.0.1:%1/snap?tls-certificates=%2").arg(server.port()).arg(clientTls),
                     QStringLiteral("null:")});
            if (rep == 1) { // what came over the wire restores byte-equal
                const QString out = dir + QStringLiteral("/restore.img");
                const Measured m = runMeasured({selfPath(), QStringLiteral("--child"), QStringLiteral("restore"), out,
                                                repoRemote, QStringLiteral("b1"), threadArg});
                if (m.exitCode != 0 || !sameContent(image, out)) {
                    std::printf("%s: restore of the nbd+tls backup DIFFERS from the source\n", qPrintable(name));
                    allOk = false;
                }
                QFile::remove(out);
            }
        }
    }
    return printRemoteSummary(rates, ratios, imageNames, QStringLiteral("nbd+tls"), repeat, checkOnly, allOk);
}

// ---------- remote through the agent: ndbackupctl against an ndbackup-agent on 127.0.0.2 ----------

// ndbackupctl as the console runs it: its own catalog, repository and XDG directories under `dir`,
// the local pool, and the agent.
struct Console
{
    QStringList globals;
    QProcessEnvironment env;

    QStringList argv(const QStringList &args) const { return QStringList{ndbtest::ctlPath()} + globals + args; }
    // Not measured: set-up and checks. Throws with the output when it fails.
    QByteArray run(const QStringList &args) const
    {
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(ndbtest::ctlPath(), globals + args);
        if (!p.waitForFinished(600000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
            throw Error(QStringLiteral("ndbackupctl %1 failed: %2").arg(args.join(QLatin1Char(' ')),
                                                                         QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError())));
        return p.readAllStandardOutput();
    }
};

// Same images, same run, same btrfs: a forced backup of the in-use volume on the agent's pool
// (DESIGN data path 5: RemoteDriver, temporary snapshot, export, NBD with TLS, lease kept) next
// to the forced backup of the same image in a local pool (path 2: reflink snapshot, read).
// Both are whole ndbackupctl runs (engine start, snapshot, cleanup included), timed alike.
int agentComparison(const QString &dir, qint64 size, int repeat, bool checkOnly)
{
    using namespace ndbtest;
    if (::geteuid() != 0)
        throw Error(QStringLiteral("--remote needs root (a btrfs pool on a loop device, as the agent tier)"));
    if (!QFileInfo(ctlPath()).isExecutable() || !QFileInfo(agentExecutable()).isExecutable())
        throw Error(QStringLiteral("--remote needs ndbackupctl and ndbackup-agent built in %1 (NDB_BUILD_DIR)")
                        .arg(qEnvironmentVariable("NDB_BUILD_DIR")));
    const QStringList imageNames = {QStringLiteral("random"), QStringLiteral("mixed")};
    // Both pools on one btrfs; the local copies are reflinks of the agent's, so both read the same extents.
    ScratchFilesystem fs(dir, QStringLiteral("btrfs"), int((imageNames.size() * size) / MiB) + 512, QStringLiteral("benchfs"));
    const QString agentPool = fs.mountPoint() + QStringLiteral("/agent"), localPool = fs.mountPoint() + QStringLiteral("/local");
    QDir().mkpath(agentPool);
    QDir().mkpath(localPool);
    std::vector<std::unique_ptr<QFile>> holders; // a writable descriptor makes each volume in-use
    for (const QString &name : imageNames) {
        const QString a = agentPool + QLatin1Char('/') + name + QStringLiteral(".img");
        const QString l = localPool + QLatin1Char('/') + name + QStringLiteral(".img");
        if (runMeasured({QStringLiteral("cp"), dir + QLatin1Char('/') + name + QStringLiteral(".img"), a}).exitCode != 0
            || runMeasured({QStringLiteral("cp"), QStringLiteral("--reflink=always"), a, l}).exitCode != 0)
            throw Error(QStringLiteral("cannot copy %1 into the pools").arg(name));
        for (const QString &path : {a, l}) {
            holders.push_back(std::make_unique<QFile>(path));
            if (!holders.back()->open(QIODevice::ReadWrite))
                throw Error(QStringLiteral("cannot open %1").arg(path));
        }
    }

    AgentNode agent;
    QString why;
    if (!agent.configure(dir, QStringLiteral("127.0.0.2"), QStringLiteral("bench-node"), {agentPool}, 120, 1, &why)
        || !agent.start(&why))
        throw Error(QStringLiteral("cannot start the agent: %1").arg(why));

    Console console;
    const QString consoleDir = dir + QStringLiteral("/console");
    QDir().mkpath(consoleDir);
    console.globals = {QStringLiteral("--catalog"), consoleDir + QStringLiteral("/catalog.sqlite"), QStringLiteral("--repository-root"),
                       consoleDir + QStringLiteral("/repo"), QStringLiteral("--pool"), localPool, QStringLiteral("--agent"),
                       agent.addressText()};
    // runMeasured passes this process's environment on.
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(consoleDir + QStringLiteral("/config")));
    qputenv("XDG_DATA_HOME", QFile::encodeName(consoleDir + QStringLiteral("/data")));
    console.env = QProcessEnvironment::systemEnvironment();
    const QString consoleFingerprint = QString::fromUtf8(console.run({QStringLiteral("show-fingerprint")})).trimmed();
    if (agent.command({QStringLiteral("trust-console"), consoleFingerprint}) != 0)
        throw Error(QStringLiteral("the agent refused to trust the console"));
    console.run({QStringLiteral("agent"), QStringLiteral("trust"), agent.addressText(), QStringLiteral("--fingerprint"), agent.fingerprint});
    QMap<QString, QString> localIds, remoteIds;
    for (const QJsonValue v : QJsonDocument::fromJson(console.run({QStringLiteral("--json"), QStringLiteral("volumes")})).array()) {
        const QJsonObject o = v.toObject();
        const bool remote = o.value(QStringLiteral("driver")).toString().startsWith(QLatin1String("remote:"));
        (remote ? remoteIds : localIds).insert(o.value(QStringLiteral("name")).toString(), o.value(QStringLiteral("id")).toString());
    }
    std::printf("remote: ndbackupctl -> ndbackup-agent on %s (RemoteDriver: temporary snapshot, export, NBD with X.509 TLS, "
                "lease), against the same backup of the same image in a local pool (reflink snapshot); forced backups of "
                "in-use volumes, whole runs timed\n", qPrintable(agent.addressText()));
    bool allOk = true;
    QMap<QString, QList<double>> rates;
    QMap<QString, QList<double>> ratios;
    for (int rep = 1; rep <= repeat; ++rep) {
        if (repeat > 1)
            std::printf("--- repetition %d of %d\n", rep, repeat);
        for (const QString &name : imageNames) {
            if (localIds.value(name).isEmpty() || remoteIds.value(name).isEmpty())
                throw Error(QStringLiteral("volume %1 is not listed locally and on the node").arg(name));
            QString remoteBackup;
            auto run = [&](const QString &what, const QString &volume, const QString &expectedPath) {
                const QString container = QStringLiteral("%1-%2").arg(what.section(QLatin1Char(' '), 1)).arg(rep) + QLatin1Char('-') + name;
                dropCaches();
                const double agentCpu = processCpu(pid_t(agent.process->processId()), true);
                const Measured m = runMeasured(console.argv({QStringLiteral("--json"), QStringLiteral("backup"), QStringLiteral("create"),
                                                             QStringLiteral("--force"), QStringLiteral("--container"), container,
                                                             QStringLiteral("--volume"), volume}));
                const QJsonObject backup = QJsonDocument::fromJson(m.output).object();
                const bool ok = m.exitCode == 0 && backup.value(QStringLiteral("status")).toString() == QLatin1String("available")
                                && backup.value(QStringLiteral("data_path")).toString() == expectedPath;
                const double rate = mbps(size, m.wall);
                std::printf("%-24s %8.0f MB/s %6.2f s wall %6.2f s cpu  agent+nbdkit %5.2f s cpu  (%s)%s\n", qPrintable(what), rate,
                            m.wall, m.cpu, processCpu(pid_t(agent.process->processId()), true) - agentCpu,
                            qPrintable(backup.value(QStringLiteral("data_path")).toString()), ok ? "" : "  FAILED");
                std::fflush(stdout);
                if (!ok)
                    allOk = false;
                rates[what].append(rate);
                if (expectedPath == QLatin1String("export"))
                    remoteBackup = backup.value(QStringLiteral("id")).toString();
                return rate;
            };
            double localRate = 0, remoteRate = 0;
            const QString snapshotPath = QStringLiteral("snapshot"), exportPath = QStringLiteral("export");
            if (rep % 2) { // alternate which runs first
                localRate = run(name + QStringLiteral(" local"), localIds.value(name), snapshotPath);
                remoteRate = run(name + QStringLiteral(" agent"), remoteIds.value(name), exportPath);
            } else {
                remoteRate = run(name + QStringLiteral(" agent"), remoteIds.value(name), exportPath);
                localRate = run(name + QStringLiteral(" local"), localIds.value(name), snapshotPath);
            }
            ratios[name].append(localRate > 0 ? remoteRate / localRate : 0);
            if (rep == 1 && !remoteBackup.isEmpty()) { // what came through the agent restores byte-equal
                const QString out = dir + QStringLiteral("/restore.img");
                console.run({QStringLiteral("backup"), QStringLiteral("restore"), remoteBackup, QStringLiteral("--to-file"), out});
                if (!sameContent(dir + QLatin1Char('/') + name + QStringLiteral(".img"), out)) {
                    std::printf("%s: restore of the backup through the agent DIFFERS from the source\n", qPrintable(name));
                    allOk = false;
                }
                QFile::remove(out);
            }
        }
    }
    agent.stop();
    holders.clear();
    return printRemoteSummary(rates, ratios, imageNames, QStringLiteral("agent"), repeat, checkOnly, allOk);
}

int parentMain(const QStringList &args)
{
    qint64 size = 2 * GiB;
    qint64 chunkSize = 0; // the repository default
    int threads = 0;
    int repeat = 1;
    bool checkOnly = false;
    bool keep = false; // leave the images and containers for a closer look
    bool remote = false;      // through the agent
    bool remoteNbdkit = false; // the transport alone
    NbdTuning tuning;
    QString workDir;
    for (int i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        if (a == QLatin1String("--size"))
            size = parseSize(args.value(++i));
        else if (a == QLatin1String("--chunk-size"))
            chunkSize = parseSize(args.value(++i));
        else if (a == QLatin1String("--threads"))
            threads = args.value(++i).toInt();
        else if (a == QLatin1String("--repeat"))
            repeat = qMax(1, args.value(++i).toInt());
        else if (a == QLatin1String("--dir"))
            workDir = args.value(++i);
        else if (a == QLatin1String("--no-drop-caches"))
            g_dropCaches = false;
        else if (a == QLatin1String("--check-only"))
            checkOnly = true;
        else if (a == QLatin1String("--keep"))
            keep = true;
        else if (a == QLatin1String("--remote"))
            remote = true;
        else if (a == QLatin1String("--remote-nbdkit"))
            remoteNbdkit = true;
        else if (a == QLatin1String("--nbd-connections"))
            tuning.connections = args.value(++i).toInt();
        else if (a == QLatin1String("--nbd-in-flight"))
            tuning.inFlight = args.value(++i).toInt();
        else if (a == QLatin1String("--nbd-request-size"))
            tuning.requestSize = parseSize(args.value(++i));
        else {
            std::fprintf(stderr,
                         "usage: ndbackup-bench [--size 2G] [--chunk-size 256K] [--threads N] [--repeat N] [--dir DIR]\n"
                         "                      [--no-drop-caches] [--check-only] [--keep]\n"
                         "                      [--remote | --remote-nbdkit [--nbd-connections N] [--nbd-in-flight N]\n"
                         "                       [--nbd-request-size 1M]]\n"
                         "  --remote     ndbackupctl backs up an in-use volume on an ndbackup-agent at 127.0.0.2 and\n"
                         "               the same image locally, same run (target ratio >= 0.7; root: btrfs on a loop)\n"
                         "  --remote-nbdkit  the transport alone: NbdSource from nbdkit with X.509 TLS on 127.0.0.1\n"
                         "               against the file, and nbdcopy over the same export\n"
                         "  --repeat N   run bounds and runs N times; print medians (min-max) and judge the\n"
                         "               targets on the median of each run's ratio (for shared, noisy machines)\n");
            return 2;
        }
    }
    QTemporaryDir tmp(workDir.isEmpty() ? QDir::tempPath() + QStringLiteral("/ndbackup-bench-XXXXXX")
                                        : workDir + QStringLiteral("/ndbackup-bench-XXXXXX"));
    if (!tmp.isValid())
        throw Error(QStringLiteral("cannot create a work directory"));
    tmp.setAutoRemove(!keep);
    const QString dir = tmp.path();
    const QString mixed = dir + QStringLiteral("/mixed.img"), random = dir + QStringLiteral("/random.img"),
                  changed = dir + QStringLiteral("/mixed-changed.img"), out = dir + QStringLiteral("/restore.img");
    std::printf("ndbackup-bench: %lld MiB volumes in %s, %d cores, load %s", (long long)(size / MiB), qPrintable(dir),
                int(sysconf(_SC_NPROCESSORS_ONLN)), "");
    {
        QFile load(QStringLiteral("/proc/loadavg"));
        load.open(QIODevice::ReadOnly);
        std::printf("%s", load.readAll().constData());
    }
    generateVolumes(dir, size);
    std::printf("generated mixed, random, mixed-changed\n");
    {
        // Page-cache growth of a run includes the program's own code (Qt and the core library,
        // read back in after the caches were dropped); a run that does nothing shows how much.
        dropCaches();
        const qint64 before = pageCacheBytes();
        runMeasured({selfPath(), QStringLiteral("--child"), QStringLiteral("noop")});
        std::printf("page-cache growth of starting the program alone (part of every run's figure): %.1f MiB\n",
                    double(pageCacheBytes() - before) / MiB);
    }

    const QString chunkArg = QString::number(chunkSize);
    const QString threadArg = QString::number(threads);
    if (remote)
        return agentComparison(dir, size, repeat, checkOnly);
    if (remoteNbdkit)
        return remoteComparison(dir, size, threadArg, chunkArg, tuning, repeat, checkOnly);
    const QString repoMixed = dir + QStringLiteral("/c-mixed"), repoRandom = dir + QStringLiteral("/c-random"),
                  repoChanged = dir + QStringLiteral("/c-changed");
    bool allOk = true;
    QList<Repetition> reps;
    for (int rep = 1; rep <= repeat; ++rep) {
        if (repeat > 1)
            std::printf("--- repetition %d of %d\n", rep, repeat);
        for (const QString &container : {repoMixed, repoRandom, repoChanged})
            QDir(container).removeRecursively(); // every repetition backs up into new containers
        Repetition r;
        if (!checkOnly) {
            r.mixed = measureBounds(mixed, size);
            r.random = measureBounds(random, size);
            r.changed = measureBounds(changed, size);
        }
        auto run = [&](const QString &name, const QStringList &childArgs, const Bounds *bounds) {
            dropCaches();
            const qint64 cacheBefore = pageCacheBytes();
            Row row;
            row.name = name;
            row.bytes = size;
            row.m = runMeasured(QStringList{selfPath(), QStringLiteral("--child")} + childArgs);
            row.cacheGrowth = pageCacheBytes() - cacheBefore;
            row.bounds = checkOnly ? nullptr : bounds;
            if (row.m.exitCode != 0) {
                std::printf("%s FAILED (exit %d)\n", qPrintable(name), row.m.exitCode);
                allOk = false;
            }
            const QList<QByteArray> fields = row.m.output.trimmed().split(' ');
            if (childArgs.first() == QLatin1String("backup"))
                row.stored = fields.value(0).toLongLong();
            printRow(row);
            r.rows.append(row);
        };
        run(QStringLiteral("backup mixed"), {QStringLiteral("backup"), mixed, repoMixed, QStringLiteral("b1"), threadArg, chunkArg}, &r.mixed);
        run(QStringLiteral("backup random"), {QStringLiteral("backup"), random, repoRandom, QStringLiteral("b1"), threadArg, chunkArg}, &r.random);
        run(QStringLiteral("backup mixed-changed"), {QStringLiteral("backup"), changed, repoChanged, QStringLiteral("b1"), threadArg, chunkArg}, &r.changed);
        run(QStringLiteral("backup mixed-changed (2nd)"), {QStringLiteral("backup"), changed, repoMixed, QStringLiteral("b2"), threadArg, chunkArg}, &r.changed);
        run(QStringLiteral("restore mixed"), {QStringLiteral("restore"), out, repoMixed, QStringLiteral("b1"), threadArg}, &r.mixed);
        if (!sameContent(mixed, out)) {
            std::printf("restore mixed: restored bytes DIFFER from the source\n");
            allOk = false;
        }
        QFile::remove(out);
        run(QStringLiteral("restore random"), {QStringLiteral("restore"), out, repoRandom, QStringLiteral("b1"), threadArg}, &r.random);
        if (!sameContent(random, out)) {
            std::printf("restore random: restored bytes DIFFER from the source\n");
            allOk = false;
        }
        QFile::remove(out);
        run(QStringLiteral("verify mixed"), {QStringLiteral("verify"), QStringLiteral("-"), repoMixed, QStringLiteral("b1"), threadArg}, &r.mixed);
        run(QStringLiteral("verify random"), {QStringLiteral("verify"), QStringLiteral("-"), repoRandom, QStringLiteral("b1"), threadArg}, &r.random);
        reps.append(r);
    }

    int packs = 0;
    const qint64 indexBytes = filesBytes(repoMixed, QStringLiteral("*.idx"), &packs);
    const qint64 packBytes = filesBytes(repoMixed, QStringLiteral("*.pack"));
    std::printf("container of mixed + mixed-changed: %d packs, %.1f MiB packs, %.1f KiB indexes, manifests %.1f KiB\n",
                packs, double(packBytes) / MiB, double(indexBytes) / KiB,
                double(filesBytes(repoMixed + QStringLiteral("/manifests"), QStringLiteral("*"))) / KiB);

    // Rows are in the same order in every repetition.
    auto perRep = [&](const std::function<double(const Repetition &)> &figure) {
        QList<double> values;
        for (const Repetition &r : std::as_const(reps))
            values << figure(r);
        return values;
    };
    auto rate = [&](const Row &row) { return mbps(row.bytes, row.m.wall); };
    if (repeat > 1) {
        std::printf("medians of %d repetitions (min-max):\n", repeat);
        for (qsizetype i = 0; i < reps.first().rows.size(); ++i) {
            std::printf("  %-28s %s MB/s, %s s cpu, %s cpu/wall, peak RSS %s MiB, cache growth %s MiB\n",
                        qPrintable(reps.first().rows[i].name),
                        qPrintable(spread(perRep([&](const Repetition &r) { return rate(r.rows[i]); }), 0)),
                        qPrintable(spread(perRep([&](const Repetition &r) { return r.rows[i].m.cpu; }), 2)),
                        qPrintable(spread(perRep([&](const Repetition &r) { return r.rows[i].m.cpu / r.rows[i].m.wall; }), 2)),
                        qPrintable(spread(perRep([&](const Repetition &r) { return double(r.rows[i].m.peakRssKiB) / 1024; }), 1)),
                        qPrintable(spread(perRep([&](const Repetition &r) { return double(r.rows[i].cacheGrowth) / MiB; }), 1)));
        }
        if (!checkOnly) {
            const QList<std::pair<const char *, std::function<double(const Repetition &)>>> bounds = {
                {"zstd -1 -T0 mixed", [](const Repetition &r) { return r.mixed.zstd; }},
                {"zstd -1 -T0 random", [](const Repetition &r) { return r.random.zstd; }},
                {"sha256 mixed", [](const Repetition &r) { return r.mixed.sha; }},
                {"cp+sync mixed", [](const Repetition &r) { return r.mixed.copy; }},
                {"cp+sync random", [](const Repetition &r) { return r.random.copy; }},
            };
            for (const auto &[what, figure] : bounds)
                std::printf("  bound %-22s %s MB/s\n", what, qPrintable(spread(perRep(figure), 0)));
        }
    }

    if (!checkOnly) {
        // Row positions: 0 backup mixed, 1 backup random, 3 incremental, 4/5 restore, 6/7 verify.
        struct Target
        {
            QString what;
            std::function<double(const Repetition &)> value;
            double goal;
            bool atMost;
        };
        const QList<Target> targets = {
            {QStringLiteral("backup mixed / zstd -1 -T0"), [&](const Repetition &r) { return rate(r.rows[0]) / r.mixed.zstd; }, 1.0, false},
            {QStringLiteral("backup random / zstd -1 -T0"), [&](const Repetition &r) { return rate(r.rows[1]) / r.random.zstd; }, 0.7, false},
            {QStringLiteral("restore mixed / backup mixed"), [&](const Repetition &r) { return rate(r.rows[4]) / rate(r.rows[0]); }, 1.5, false},
            {QStringLiteral("restore random / backup random"), [&](const Repetition &r) { return rate(r.rows[5]) / rate(r.rows[1]); }, 1.5, false},
            {QStringLiteral("verify mixed / backup mixed"), [&](const Repetition &r) { return rate(r.rows[6]) / rate(r.rows[0]); }, 1.5, false},
            {QStringLiteral("verify random / backup random"), [&](const Repetition &r) { return rate(r.rows[7]) / rate(r.rows[1]); }, 1.5, false},
            {QStringLiteral("2nd backup stored % of volume"), [&](const Repetition &r) { return 100.0 * double(r.rows[3].stored) / double(size); }, 3.0, true},
            {QStringLiteral("cpu/wall backup random"), [&](const Repetition &r) { return r.rows[1].m.cpu / r.rows[1].m.wall; }, 1.6, false},
            {QStringLiteral("peak RSS of any run, MiB"), [&](const Repetition &r) {
                 long peak = 0;
                 for (const Row &row : r.rows)
                     peak = qMax(peak, row.m.peakRssKiB);
                 return double(peak) / 1024;
             }, 256, true},
        };
        std::printf(repeat > 1 ? "targets (median of the repetitions' ratios, min-max):\n" : "targets:\n");
        for (const Target &t : targets) {
            const QList<double> values = perRep(t.value);
            const double m = median(values);
            const bool met = t.atMost ? m <= t.goal : m >= t.goal;
            std::printf("  %-34s %s  (target %s %.2f) %s\n", qPrintable(t.what), qPrintable(spread(values, 2)),
                        t.atMost ? "<=" : ">=", t.goal, met ? "met" : "MISSED");
        }
    }
    std::printf("%s\n", allOk ? "all runs correct" : "SOME RUNS FAILED");
    return allOk ? 0 : 1;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments().mid(1);
    // ndbackupctl and ndbackup-agent for --remote: the build tree this program is in (tests/bench/).
    if (qEnvironmentVariableIsEmpty("NDB_BUILD_DIR"))
        qputenv("NDB_BUILD_DIR", QFile::encodeName(QDir(app.applicationDirPath() + QStringLiteral("/../..")).absolutePath()));
    try {
        if (args.value(0) == QLatin1String("--child"))
            return childMain(args.mid(1));
        return parentMain(args);
    } catch (const Error &e) {
        std::fprintf(stderr, "ndbackup-bench: %s\n", e.what());
        return 1;
    }
}
