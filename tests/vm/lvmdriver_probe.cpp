// Drives ndb::LvmDriver directly, inside the vm guest: inventory, a driver-level backup (temp
// snapshot of an in-use LV, read, watch copy-on-write, delete), restore into a new LV, cleanup of
// leftovers. The engine's own scenarios run through ndbackupctl; this tool proves the driver on
// its own and is handy when poking at a guest by hand.
#include "model/status.h"
#include "util/error.h"
#include "util/joblog.h"
#include "util/runsync.h"
#include "volumes/lvm/lvmdriver.h"

#include <QCoreApplication>
#include <QFile>
#include <QTextStream>
#include <QThread>
#include <QUuid>

#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

using namespace ndb;

namespace {

QTextStream out(stdout);
QTextStream err(stderr);

int usage()
{
    err << "usage: lvmdriver_probe [--verbose] [--snapshot-percent N] [--no-freeze] [--freeze-limit-ms N]\n"
           "                       [--pre-hook PROG] [--post-hook PROG] COMMAND ...\n"
           "  list VG\n"
           "  backup VG LV OUTFILE [--force] [--backup-id ID] [--throttle-ms N]\n"
           "  restore VG NEWLV INFILE\n"
           "  temporaries VG\n"
           "  cleanup VG\n"
           "  problem VG SNAPSHOT\n";
    return 2;
}

// Copies `source` to `target` in 1 MiB pieces; `check` runs after every piece and at the end.
void copyDevice(const QString &source, const QString &target, int throttleMs, const std::function<void()> &check)
{
    QFile in(source), outFile(target);
    if (!in.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("cannot open %1: %2").arg(source, in.errorString()));
    if (!outFile.open(QIODevice::WriteOnly | QIODevice::Truncate))
        throw Error(QStringLiteral("cannot open %1: %2").arg(target, outFile.errorString()));
    QByteArray buffer(1 << 20, Qt::Uninitialized);
    for (;;) {
        const qint64 n = in.read(buffer.data(), buffer.size());
        if (n < 0)
            throw Error(QStringLiteral("read error on %1: %2").arg(source, in.errorString()));
        if (n == 0)
            break;
        if (outFile.write(buffer.constData(), n) != n)
            throw Error(QStringLiteral("write error on %1: %2").arg(target, outFile.errorString()));
        if (throttleMs > 0)
            QThread::msleep(throttleMs);
        check();
    }
    outFile.flush();
    ::fsync(outFile.handle());
    check();
}

int backup(LvmDriver &driver, const QStringList &args)
{
    if (args.size() < 3)
        return usage();
    const QString lvName = args[1], target = args[2];
    const bool force = args.contains(QStringLiteral("--force"));
    int throttleMs = 0;
    QString backupId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    for (int i = 3; i + 1 < args.size(); ++i) {
        if (args[i] == QLatin1String("--throttle-ms"))
            throttleMs = args[i + 1].toInt();
        if (args[i] == QLatin1String("--backup-id"))
            backupId = args[i + 1];
    }
    const Volume v = runSync(driver.volume(lvName));
    if (v.status == VolumeStatus::InUse && !force) {
        err << kForceRequiredMessage << Qt::endl;
        return 3;
    }
    if (v.status != VolumeStatus::InUse) {
        copyDevice(v.path, target, throttleMs, [] {});
        out << "read " << v.path << Qt::endl;
        return 0;
    }
    const QString snapName = tempSnapshotName(backupId);
    int rc = 0;
    try {
        const SnapshotHandle h = runSync(driver.createSnapshot(lvName, snapName));
        out << "snapshot " << h.name << ' ' << h.path << ' ' << h.providerId << Qt::endl;
        copyDevice(h.path, target, throttleMs, [&] {
            const QString problem = driver.snapshotProblem(snapName);
            if (!problem.isEmpty())
                throw Error(problem);
        });
        out << "cow-usage " << driver.snapshotUsagePercent(snapName) << Qt::endl;
    } catch (const Error &e) {
        err << "backup failed: " << e.message() << Qt::endl;
        QFile::remove(target); // never left behind as usable
        rc = 1;
    }
    try {
        runSync(driver.deleteSnapshot(snapName));
    } catch (const Error &e) {
        err << "snapshot cleanup failed: " << e.message() << Qt::endl;
        rc = 1;
    }
    return rc;
}

int restore(LvmDriver &driver, const QStringList &args)
{
    if (args.size() < 3)
        return usage();
    const QString name = args[1], source = args[2];
    const qint64 size = QFile(source).size();
    runSync(driver.createVolume(name, size));
    const QString path = runSync(driver.attach(name));
    copyDevice(source, path, 0, [] {});
    out << "restored " << path << Qt::endl;
    return 0;
}

// --verbose: the driver's commands and notes on stderr.
struct StderrLog : JobLog
{
    void event(const QString &level, const QString &message) override { err << "  " << level << ": " << message << Qt::endl; }
};

int run(const QStringList &all)
{
    LvmOptions options;
    StderrLog stderrLog;
    JobLog *log = nullptr;
    QStringList args = all;
    while (!args.isEmpty() && args.first().startsWith(QLatin1String("--"))) {
        const QString opt = args.takeFirst();
        if (opt == QLatin1String("--verbose"))
            log = &stderrLog;
        else if (opt == QLatin1String("--no-freeze"))
            options.freezeFilesystems = false;
        else if (args.isEmpty())
            return usage();
        else if (opt == QLatin1String("--snapshot-percent"))
            options.snapshotPercent = args.takeFirst().toInt();
        else if (opt == QLatin1String("--freeze-limit-ms"))
            options.freezeLimitMs = args.takeFirst().toInt();
        else if (opt == QLatin1String("--pre-hook"))
            options.preSnapshotHook = args.takeFirst();
        else if (opt == QLatin1String("--post-hook"))
            options.postSnapshotHook = args.takeFirst();
        else
            return usage();
    }
    if (args.size() < 2)
        return usage();
    const QString command = args.takeFirst();
    LvmDriver driver(args.first(), options, log);
    if (command == QLatin1String("list")) {
        for (const Volume &v : runSync(driver.listVolumes()))
            out << v.id << '\t' << v.status << '\t' << v.size << '\t' << v.uuid << '\t' << v.path << '\t'
                << v.attachedTo << Qt::endl;
        return 0;
    }
    if (command == QLatin1String("backup"))
        return backup(driver, args);
    if (command == QLatin1String("restore"))
        return restore(driver, args);
    if (command == QLatin1String("temporaries") || command == QLatin1String("cleanup")) {
        const QList<TemporaryObject> temps = runSync(driver.listTemporaries());
        for (const TemporaryObject &t : temps) {
            out << t.name << '\t' << t.backupId << Qt::endl;
            if (command == QLatin1String("cleanup"))
                runSync(driver.removeTemporary(t));
        }
        if (command == QLatin1String("cleanup"))
            out << "removed " << temps.size() << Qt::endl;
        return 0;
    }
    if (command == QLatin1String("problem") && args.size() == 2) {
        out << driver.snapshotProblem(args[1]) << Qt::endl;
        return 0;
    }
    return usage();
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    try {
        return run(app.arguments().mid(1));
    } catch (const Error &e) {
        err << "error: " << e.message() << Qt::endl;
        return 1;
    }
}
