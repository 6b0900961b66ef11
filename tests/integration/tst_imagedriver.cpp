// The image-pool driver on real filesystems (btrfs, xfs, ext4 on loop devices in a temp dir):
// inventory and status, reflink detection, point-in-time snapshots and clones of volumes that
// are written to during the copy, temporaries and name validation.
#include "support/scratchfs.h"
#include "support/writercheck.h"

#include "model/status.h"
#include "util/commandrunner.h"
#include "util/error.h"
#include "util/joblog.h"
#include "util/runsync.h"
#include "volumes/fsfreeze.h"
#include "volumes/image/imagedriver.h"
#include "volumes/loopdevice.h"

#include <QCoro/QCoroTask>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>
#include <unistd.h>

using namespace ndb;
using namespace ndbtest;

namespace {

template<typename T>
T run(QCoro::Task<T> &&task)
{
    return runSync(std::move(task));
}

// Scratch sizes: btrfs and xfs have minimum sizes; files are sparse, so this costs little.
int sizeFor(const QString &type)
{
    return type == QLatin1String("xfs") ? 320 : 256;
}

QString sysfsLoopAttr(const QString &device, const QString &attr)
{
    QFile f(QStringLiteral("/sys/block/%1/loop/%2").arg(QFileInfo(device).fileName(), attr));
    return f.open(QIODevice::ReadOnly) ? QString::fromLatin1(f.readAll().trimmed()) : QString();
}

QStringList poolFiles(const QString &pool)
{
    return QDir(pool).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDir::Name);
}

// Fills `file` with `mib` MiB of incompressible data.
bool fillRandom(const QString &file, int mib)
{
    QFile f(file);
    if (!f.open(QIODevice::WriteOnly))
        return false;
    QByteArray chunk(1 << 20, Qt::Uninitialized);
    for (int i = 0; i < mib; ++i) {
        QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(chunk.data()), chunk.size() / 4);
        if (f.write(chunk) != chunk.size())
            return false;
    }
    f.flush();
    ::fsync(f.handle());
    return true;
}

} // namespace

class TestImageDriver : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void inventoryAndStatus_data() { fsTypes(); }
    void inventoryAndStatus();
    void reflinkCapability_data();
    void reflinkCapability();
    void attachDetach();
    void snapshotOfInUseVolumeIsPointInTime_data();
    void snapshotOfInUseVolumeIsPointInTime();
    void checkerRejectsMixedImage();
    void filesCheckerRejectsLostFiles();
    void cloneOnExt4FreezesMountedFilesystem();
    void cloneFailsWhenFreezeLimitExceeded();
    void snapshotFreezesMountedFilesystem();
    void loopLookupByIdentity();
    void cloneOfRawInUseVolumeIsFlagged();
    void temporariesListedAndRemoved();
    void badNamesRejected();

private:
    void fsTypes()
    {
        QTest::addColumn<QString>("type");
        QTest::newRow("btrfs") << QStringLiteral("btrfs");
        QTest::newRow("ext4") << QStringLiteral("ext4");
        QTest::newRow("xfs") << QStringLiteral("xfs");
    }
};

void TestImageDriver::initTestCase()
{
    if (::geteuid() != 0)
        QFAIL("this test needs root for loop devices and mounts; run it as root");
    if (!QFileInfo::exists(QStringLiteral("/dev/loop-control")))
        QFAIL("/dev/loop-control is missing: the loop driver is not available");
    if (writerExecutable().isEmpty())
        QFAIL("ndb-test-writer was not built (set NDB_BUILD_DIR or build the target)");
}

void TestImageDriver::inventoryAndStatus()
{
    QFETCH(QString, type);
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    ScratchCleanup cleanup(tmp.path());
    std::unique_ptr<ScratchFilesystem> fs;
    NDB_TRY(fs = std::make_unique<ScratchFilesystem>(tmp.path(), type, sizeFor(type)));
    const QString poolDir = fs->mountPoint() + QStringLiteral("/pool");
    QVERIFY(QDir().mkpath(poolDir));
    ImageDriver driver(poolDir);
    QCOMPARE(driver.id(), QStringLiteral("image:") + poolDir);
    QCOMPARE(driver.kind(), QStringLiteral("image"));

    Volume v;
    NDB_TRY(v = run(driver.createVolume(QStringLiteral("vol1"), 16 << 20)));
    QCOMPARE(v.id, driver.id() + QStringLiteral("/vol1"));
    QCOMPARE(v.name, QStringLiteral("vol1"));
    QCOMPARE(v.size, qint64(16 << 20));
    QCOMPARE(v.path, poolDir + QStringLiteral("/vol1.img"));
    QCOMPARE(v.status, VolumeStatus::Available);
    QVERIFY(v.attachedTo.isEmpty());
    struct stat st {};
    QCOMPARE(::stat(QFile::encodeName(v.path).constData(), &st), 0);
    QVERIFY2(st.st_blocks * 512 < (1 << 20), "a new volume must be sparse");
    QVERIFY_THROWS_EXCEPTION(Error, run(driver.createVolume(QStringLiteral("vol1"), 1 << 20)));
    QVERIFY_THROWS_EXCEPTION(Error, run(driver.createVolume(QStringLiteral("odd"), 1000)));
    NDB_TRY(run(driver.createVolume(QStringLiteral("vol2"), 1 << 20)));

    QList<Volume> all;
    QElapsedTimer timer;
    timer.start();
    NDB_TRY(all = run(driver.listVolumes()));
    qInfo("listVolumes (loop devices + every process' descriptors scanned): %lld ms", timer.elapsed());
    QCOMPARE(all.size(), 2);
    QCOMPARE(all[0].name, QStringLiteral("vol1"));
    QCOMPARE(all[1].name, QStringLiteral("vol2"));

    // A loop device bound to the image makes it in-use.
    {
        std::unique_ptr<LoopAttachment> loop;
        NDB_TRY(loop = std::make_unique<LoopAttachment>(v.path));
        NDB_TRY(v = run(driver.volume(QStringLiteral("vol1"))));
        QCOMPARE(v.status, VolumeStatus::InUse);
        QCOMPARE(v.attachedTo, loop->device());
        QVERIFY_THROWS_EXCEPTION(Error, run(driver.deleteVolume(QStringLiteral("vol1"))));
        // Only vol1 is affected.
        NDB_TRY(all = run(driver.listVolumes()));
        QCOMPARE(all[1].status, VolumeStatus::Available);
    }
    NDB_TRY(v = run(driver.volume(QStringLiteral("vol1"))));
    QCOMPARE(v.status, VolumeStatus::Available);

    // A process holding it open for writing (here: a child's stdout appended to it).
    {
        QProcess holder;
        holder.setStandardOutputFile(v.path, QIODevice::Append);
        holder.start(QStringLiteral("sleep"), {QStringLiteral("60")});
        QVERIFY(holder.waitForStarted());
        NDB_TRY(v = run(driver.volume(QStringLiteral("vol1"))));
        QCOMPARE(v.status, VolumeStatus::InUse);
        QCOMPARE(v.attachedTo, QStringLiteral("pid %1 (sleep)").arg(holder.processId()));
        holder.kill();
        holder.waitForFinished();
    }
    // Our own read-only opens (a backup reading it) do not count.
    QFile reader(v.path);
    QVERIFY(reader.open(QIODevice::ReadOnly));
    NDB_TRY(v = run(driver.volume(QStringLiteral("vol1"))));
    QCOMPARE(v.status, VolumeStatus::Available);
    reader.close();

    NDB_TRY(run(driver.deleteVolume(QStringLiteral("vol1"))));
    QVERIFY(!QFileInfo::exists(poolDir + QStringLiteral("/vol1.img")));
    QVERIFY_THROWS_EXCEPTION(Error, run(driver.volume(QStringLiteral("vol1"))));
}

void TestImageDriver::reflinkCapability_data()
{
    QTest::addColumn<QString>("type");
    QTest::addColumn<bool>("reflink");
    QTest::newRow("btrfs") << QStringLiteral("btrfs") << true;
    QTest::newRow("xfs") << QStringLiteral("xfs") << true;
    QTest::newRow("ext4") << QStringLiteral("ext4") << false;
}

void TestImageDriver::reflinkCapability()
{
    QFETCH(QString, type);
    QFETCH(bool, reflink);
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    ScratchCleanup cleanup(tmp.path());
    std::unique_ptr<ScratchFilesystem> fs;
    NDB_TRY(fs = std::make_unique<ScratchFilesystem>(tmp.path(), type, sizeFor(type)));
    ImageDriver driver(fs->mountPoint());
    QCOMPARE(driver.capabilities().snapshotLocalRead, reflink);
    QCOMPARE(driver.capabilities().snapshotExport, false);
    QVERIFY2(poolFiles(fs->mountPoint()).filter(QStringLiteral("probe")).isEmpty(), "the probe files must be removed");

    NDB_TRY(run(driver.createVolume(QStringLiteral("src"), 4 << 20)));
    QVERIFY(fillRandom(driver.imagePath(QStringLiteral("src")), 4));
    if (reflink) {
        SnapshotHandle h;
        NDB_TRY(h = run(driver.createSnapshot(QStringLiteral("src"), QStringLiteral("snap1"))));
        QCOMPARE(h.name, QStringLiteral("snap1"));
        QCOMPARE(h.path, driver.imagePath(QStringLiteral("snap1")));
        QFile a(driver.imagePath(QStringLiteral("src"))), b(h.path);
        QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
        QVERIFY(a.readAll() == b.readAll());
        NDB_TRY(run(driver.deleteSnapshot(QStringLiteral("snap1"))));
        QVERIFY(!QFileInfo::exists(h.path));
    } else {
        QVERIFY_THROWS_EXCEPTION(Error, run(driver.createSnapshot(QStringLiteral("src"), QStringLiteral("snap1"))));
        QVERIFY(!QFileInfo::exists(driver.imagePath(QStringLiteral("snap1"))));
    }
    // A clone works everywhere (reflink or copy) and is identical.
    NDB_TRY(run(driver.createVolumeFromSource(QStringLiteral("src"), QStringLiteral("copy"))));
    QFile a(driver.imagePath(QStringLiteral("src"))), b(driver.imagePath(QStringLiteral("copy")));
    QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
    QVERIFY(a.readAll() == b.readAll());
}

void TestImageDriver::attachDetach()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    ScratchCleanup cleanup(tmp.path());
    std::unique_ptr<ScratchFilesystem> fs;
    NDB_TRY(fs = std::make_unique<ScratchFilesystem>(tmp.path(), QStringLiteral("btrfs"), 256));
    ImageDriver driver(fs->mountPoint());
    NDB_TRY(run(driver.createVolume(QStringLiteral("data"), 64 << 20)));

    QString device;
    NDB_TRY(device = run(driver.attach(QStringLiteral("data"))));
    QVERIFY(device.startsWith(QStringLiteral("/dev/loop")));
    QCOMPARE(sysfsLoopAttr(device, QStringLiteral("autoclear")), QStringLiteral("0")); // persistent
    QString again;
    NDB_TRY(again = run(driver.attach(QStringLiteral("data"))));
    QCOMPARE(again, device);
    QCOMPARE(run(driver.volume(QStringLiteral("data"))).status, VolumeStatus::InUse);

    // A mounted filesystem on it belongs to its user: detach refuses.
    NDB_TRY(makeFilesystem(QStringLiteral("ext4"), device));
    const QString mp = tmp.path() + QStringLiteral("/inner");
    NDB_TRY(mountDevice(device, mp, QStringLiteral("ext4")));
    try {
        run(driver.detach(QStringLiteral("data")));
        QFAIL("detach of a volume carrying a mounted filesystem must be refused");
    } catch (const Error &e) {
        QVERIFY2(e.message().contains(QStringLiteral("mounted")), qPrintable(e.message()));
    }
    QCOMPARE(LoopDevice::devicesFor(driver.imagePath(QStringLiteral("data"))), QStringList{device});
    QVERIFY(unmount(mp));
    NDB_TRY(run(driver.detach(QStringLiteral("data"))));
    QVERIFY(LoopDevice::devicesFor(driver.imagePath(QStringLiteral("data"))).isEmpty());
    QCOMPARE(run(driver.volume(QStringLiteral("data"))).status, VolumeStatus::Available);
    NDB_TRY(run(driver.detach(QStringLiteral("data")))); // idempotent

    // The engine's temporaries get autoclear loop devices held by the driver.
    NDB_TRY(run(driver.createVolumeFromSource(QStringLiteral("data"), tempVolumeName(QStringLiteral("b1")))));
    NDB_TRY(device = run(driver.attach(tempVolumeName(QStringLiteral("b1")))));
    QCOMPARE(sysfsLoopAttr(device, QStringLiteral("autoclear")), QStringLiteral("1"));
    NDB_TRY(run(driver.detach(tempVolumeName(QStringLiteral("b1")))));
    QVERIFY(LoopDevice::devicesFor(driver.imagePath(tempVolumeName(QStringLiteral("b1")))).isEmpty());
    // ... and the kernel releases them when the driver (the process) goes away.
    {
        ImageDriver shortLived(fs->mountPoint());
        NDB_TRY(device = run(shortLived.attach(tempVolumeName(QStringLiteral("b1")))));
        QVERIFY(!LoopDevice::devicesFor(driver.imagePath(tempVolumeName(QStringLiteral("b1")))).isEmpty());
    }
    QVERIFY(LoopDevice::waitUnbound(device, 5000));
}

void TestImageDriver::snapshotOfInUseVolumeIsPointInTime_data()
{
    QTest::addColumn<QString>("type");
    QTest::newRow("btrfs") << QStringLiteral("btrfs");
    QTest::newRow("xfs") << QStringLiteral("xfs");
}

void TestImageDriver::snapshotOfInUseVolumeIsPointInTime()
{
    QFETCH(QString, type);
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    ScratchCleanup cleanup(tmp.path());
    std::unique_ptr<ScratchFilesystem> fs;
    NDB_TRY(fs = std::make_unique<ScratchFilesystem>(tmp.path(), type, sizeFor(type)));
    ImageDriver driver(fs->mountPoint());
    QVERIFY(driver.capabilities().snapshotLocalRead);
    NDB_TRY(run(driver.createVolume(QStringLiteral("db"), 64 << 20)));
    QString device;
    NDB_TRY(device = run(driver.attach(QStringLiteral("db"))));

    // 256 blocks (1 MiB): each rewritten a few times before and after the snapshot. (The host's
    // fsync latency bounds the writer to ~100 synchronous writes per second.)
    const QString log = tmp.path() + QStringLiteral("/raw.log");
    QString error;
    auto writer = startWriter(QStringLiteral("--raw"), device, log, 600, error,
                              {QStringLiteral("--blocks"), QStringLiteral("256"), QStringLiteral("--seed"), QStringLiteral("7")});
    QVERIFY2(writer, qPrintable(error));
    QCOMPARE(run(driver.volume(QStringLiteral("db"))).status, VolumeStatus::InUse);

    const qint64 before = lastLoggedSeq(log);
    SnapshotHandle snap;
    NDB_TRY(snap = run(driver.createSnapshot(QStringLiteral("db"), tempSnapshotName(QStringLiteral("t1")))));
    const qint64 after = lastLoggedSeq(log);
    // Let the writer go on, so that the volume moves away from the snapshot.
    while (lastLoggedSeq(log) < after + 300 && writer->state() == QProcess::Running)
        QThread::msleep(20);
    QVERIFY2(stopWriter(*writer, error), qPrintable(error));

    const WriterCheck check = checkRawPrefix(snap.path, log, before);
    QVERIFY2(check.ok, qPrintable(check.message));
    qInfo("%s snapshot: %s (writes logged before/after the snapshot call: %lld/%lld)", qPrintable(type),
          qPrintable(check.message), before, after);
    QVERIFY(check.maxSeq <= after + 1);
    QVERIFY2(check.lastLogged > check.maxSeq + 250, "the writer must have gone on after the snapshot");
    // The live volume is also a consistent state (the final one).
    const WriterCheck live = checkRawPrefix(driver.imagePath(QStringLiteral("db")), log, check.lastLogged);
    QVERIFY2(live.ok, qPrintable(live.message));

    NDB_TRY(run(driver.detach(QStringLiteral("db"))));
    NDB_TRY(run(driver.deleteSnapshot(snap.name)));
    QVERIFY(!QFileInfo::exists(snap.path));
}

void TestImageDriver::checkerRejectsMixedImage()
{
    // The checker must catch a copy that is not one instant: half old, half new blocks.
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString image = tmp.path() + QStringLiteral("/raw.img");
    const QString log = tmp.path() + QStringLiteral("/raw.log");
    {
        QFile f(image);
        QVERIFY(f.open(QIODevice::WriteOnly) && f.resize(8 << 20));
    }
    QString error;
    auto writer = startWriter(QStringLiteral("--raw"), image, log, 1, error,
                              {QStringLiteral("--blocks"), QStringLiteral("256"), QStringLiteral("--max"), QStringLiteral("600")});
    QVERIFY2(writer, qPrintable(error));
    QVERIFY(writer->waitForFinished(120000));
    QFile::copy(image, image + QStringLiteral(".old"));
    const WriterCheck whole = checkRawPrefix(image + QStringLiteral(".old"), log, 600);
    QVERIFY2(whole.ok, qPrintable(whole.message));

    // Continue the same sequence past 600: run writes 1..1200 into a fresh image.
    QFile::remove(log);
    QFile::remove(image);
    {
        QFile f(image);
        QVERIFY(f.open(QIODevice::WriteOnly) && f.resize(8 << 20));
    }
    writer = startWriter(QStringLiteral("--raw"), image, log, 1, error,
                         {QStringLiteral("--blocks"), QStringLiteral("256"), QStringLiteral("--max"), QStringLiteral("1200")});
    QVERIFY2(writer, qPrintable(error));
    QVERIFY(writer->waitForFinished(120000));
    // Mixed: first half of the blocks at write 600, second half at write 1200.
    QFile oldF(image + QStringLiteral(".old")), newF(image);
    QVERIFY(oldF.open(QIODevice::ReadOnly) && newF.open(QIODevice::ReadOnly));
    QByteArray mixed = oldF.read(128 * 4096) + (newF.seek(128 * 4096), newF.read(128 * 4096));
    QFile out(image + QStringLiteral(".mixed"));
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(mixed);
    out.close();
    const WriterCheck check = checkRawPrefix(out.fileName(), log, 0);
    QVERIFY2(!check.ok, "a mixed image must be rejected");
    QVERIFY2(check.message.contains(QStringLiteral("not a point-in-time")), qPrintable(check.message));
    // And one torn block is caught.
    QVERIFY(out.open(QIODevice::ReadWrite));
    out.seek(100 * 4096 + 2000); // a block written by both runs
    out.write("x");
    out.close();
    QVERIFY(!checkRawPrefix(out.fileName(), log, 0).ok);
}

void TestImageDriver::filesCheckerRejectsLostFiles()
{
    // The files checker must catch a copy that lost a completed file or holds a torn version.
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString log = tmp.path() + QStringLiteral("/files.log");
    QString error;
    auto writer = startWriter(QStringLiteral("--files"), tmp.path(), log, 1, error,
                              {QStringLiteral("--max"), QStringLiteral("60")});
    QVERIFY2(writer, qPrintable(error));
    QVERIFY(writer->waitForFinished(120000));
    QCOMPARE(loggedRecords(log), 60);
    const qint64 end = logPosition(log);
    WriterCheck check = checkFiles(tmp.path(), log, end);
    QVERIFY2(check.ok, qPrintable(check.message));
    // An earlier instant accepts the later versions found on disk.
    check = checkFiles(tmp.path(), log, end / 2);
    QVERIFY2(check.ok, qPrintable(check.message));

    const QStringList files = QDir(tmp.path() + QStringLiteral("/ndb-writer")).entryList({QStringLiteral("f*")}, QDir::Files, QDir::Name);
    QVERIFY(files.size() > 2);
    {
        QFile f(tmp.path() + QStringLiteral("/ndb-writer/") + files[0]);
        QVERIFY(f.open(QIODevice::ReadWrite));
        f.resize(f.size() / 2); // torn
    }
    check = checkFiles(tmp.path(), log, end);
    QVERIFY(!check.ok);
    QVERIFY2(check.message.contains(files[0]), qPrintable(check.message));
    QVERIFY(QFile::remove(tmp.path() + QStringLiteral("/ndb-writer/") + files[0]));
    check = checkFiles(tmp.path(), log, end);
    QVERIFY2(!check.ok && check.message.contains(QStringLiteral("missing")), qPrintable(check.message));
}

void TestImageDriver::cloneOnExt4FreezesMountedFilesystem()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    ScratchCleanup cleanup(tmp.path());
    std::unique_ptr<ScratchFilesystem> fs;
    NDB_TRY(fs = std::make_unique<ScratchFilesystem>(tmp.path(), QStringLiteral("ext4"), 512));
    ImageDriver driver(fs->mountPoint());
    QVERIFY(!driver.capabilities().snapshotLocalRead);
    NDB_TRY(run(driver.createVolume(QStringLiteral("web"), 128 << 20)));

    // The volume's user: an ext4 filesystem mounted from its loop device, written to.
    std::unique_ptr<LoopAttachment> loop;
    NDB_TRY(loop = std::make_unique<LoopAttachment>(driver.imagePath(QStringLiteral("web"))));
    NDB_TRY(makeFilesystem(QStringLiteral("ext4"), loop->device()));
    const QString inner = tmp.path() + QStringLiteral("/inner");
    NDB_TRY(mountDevice(loop->device(), inner, QStringLiteral("ext4")));
    QCOMPARE(FilesystemFreeze::mountPointOf(loop->device()), inner);

    const QString log = tmp.path() + QStringLiteral("/files.log");
    QString error;
    auto writer = startWriter(QStringLiteral("--files"), inner, log, 40, error);
    QVERIFY2(writer, qPrintable(error));
    QCOMPARE(run(driver.volume(QStringLiteral("web"))).status, VolumeStatus::InUse);

    const qint64 instant = logPosition(log);
    const int recordsBefore = loggedRecords(log);
    QElapsedTimer timer;
    timer.start();
    NDB_TRY(run(driver.createVolumeFromSource(QStringLiteral("web"), tempVolumeName(QStringLiteral("c1")))));
    const qint64 cloneMs = timer.elapsed();
    const int target = loggedRecords(log) + 40;
    while (loggedRecords(log) < target && writer->state() == QProcess::Running)
        QThread::msleep(20);
    QVERIFY2(stopWriter(*writer, error), qPrintable(error));
    qInfo("ext4 frozen copy of a 128 MiB volume took %lld ms; %d files logged before, %d in all",
          cloneMs, recordsBefore, loggedRecords(log));

    const QString clonePath = driver.imagePath(tempVolumeName(QStringLiteral("c1")));
    const CommandResult fsck = CommandRunner::run(QStringLiteral("fsck.ext4"), {QStringLiteral("-n"), QStringLiteral("-f"), clonePath});
    QVERIFY2(fsck.ok(), qPrintable(fsck.errorText() + QStringLiteral("\n") + QString::fromLocal8Bit(fsck.stdOut)));
    // Frozen means quiesced: the journal is empty, nothing to replay (e2fsck -n would skip a replay).
    const CommandResult super = CommandRunner::run(QStringLiteral("dumpe2fs"), {QStringLiteral("-h"), clonePath});
    QVERIFY2(super.ok(), qPrintable(super.errorText()));
    QVERIFY2(!super.stdOut.contains("needs_recovery"), "the clone's journal must not need recovery");

    std::unique_ptr<LoopAttachment> cloneLoop;
    NDB_TRY(cloneLoop = std::make_unique<LoopAttachment>(clonePath, true));
    const QString restored = tmp.path() + QStringLiteral("/restored");
    NDB_TRY(mountDevice(cloneLoop->device(), restored, QStringLiteral("ext4"), true));
    const WriterCheck check = checkFiles(restored, log, instant);
    QVERIFY2(check.ok, qPrintable(check.message));
    qInfo("%s", qPrintable(check.message));
    QVERIFY(unmount(restored));
    cloneLoop.reset();
    QVERIFY(unmount(inner));
}

void TestImageDriver::cloneFailsWhenFreezeLimitExceeded()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    ScratchCleanup cleanup(tmp.path());
    std::unique_ptr<ScratchFilesystem> fs;
    NDB_TRY(fs = std::make_unique<ScratchFilesystem>(tmp.path(), QStringLiteral("ext4"), 512));
    ImageDriver driver(fs->mountPoint(), true, 5);
    NDB_TRY(run(driver.createVolume(QStringLiteral("big"), 256 << 20)));
    std::unique_ptr<LoopAttachment> loop;
    NDB_TRY(loop = std::make_unique<LoopAttachment>(driver.imagePath(QStringLiteral("big"))));
    NDB_TRY(makeFilesystem(QStringLiteral("ext4"), loop->device()));
    const QString inner = tmp.path() + QStringLiteral("/inner");
    NDB_TRY(mountDevice(loop->device(), inner, QStringLiteral("ext4")));
    QVERIFY(fillRandom(inner + QStringLiteral("/data"), 200));

    const QString target = tempVolumeName(QStringLiteral("f1"));
    try {
        run(driver.createVolumeFromSource(QStringLiteral("big"), target));
        QFAIL("copying 200 MiB cannot finish within a 5 ms freeze; the clone must fail");
    } catch (const Error &e) {
        QVERIFY2(e.message().contains(QStringLiteral("freeze limit")), qPrintable(e.message()));
        qInfo("refused as expected: %s", e.what());
    }
    QVERIFY2(!QFileInfo::exists(driver.imagePath(target)), "the partial copy must be removed");
    // The workload's filesystem is thawed: a write completes.
    const CommandResult touch = CommandRunner::run(QStringLiteral("touch"), {inner + QStringLiteral("/after")}, std::chrono::seconds(10));
    QVERIFY2(touch.ok(), "the source filesystem must be thawed after a failed clone");

    // With the default limit the same frozen copy succeeds; print its speed (a figure, not a test).
    ImageDriver patient(fs->mountPoint());
    QElapsedTimer timer;
    timer.start();
    NDB_TRY(run(patient.createVolumeFromSource(QStringLiteral("big"), target)));
    const qint64 ms = std::max<qint64>(1, timer.elapsed());
    struct stat st {};
    ::stat(QFile::encodeName(driver.imagePath(target)).constData(), &st);
    qInfo("frozen sparse copy on ext4: %lld MiB allocated in %lld ms (%.0f MiB/s)", qint64(st.st_blocks) * 512 >> 20, ms,
          double(st.st_blocks * 512 >> 20) * 1000.0 / double(ms));
    QVERIFY(unmount(inner));
}

void TestImageDriver::snapshotFreezesMountedFilesystem()
{
    // Reflink path (btrfs pool): the filesystem mounted from the volume is frozen for the clone
    // instant, so the snapshot's ext4 needs no journal replay and has every completed file.
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    ScratchCleanup cleanup(tmp.path());
    std::unique_ptr<ScratchFilesystem> fs;
    NDB_TRY(fs = std::make_unique<ScratchFilesystem>(tmp.path(), QStringLiteral("btrfs"), 256));
    ImageDriver driver(fs->mountPoint());
    NDB_TRY(run(driver.createVolume(QStringLiteral("mail"), 64 << 20)));
    QString device;
    NDB_TRY(device = run(driver.attach(QStringLiteral("mail"))));
    NDB_TRY(makeFilesystem(QStringLiteral("ext4"), device));
    const QString inner = tmp.path() + QStringLiteral("/inner");
    NDB_TRY(mountDevice(device, inner, QStringLiteral("ext4")));
    const QString log = tmp.path() + QStringLiteral("/files.log");
    QString error;
    auto writer = startWriter(QStringLiteral("--files"), inner, log, 30, error);
    QVERIFY2(writer, qPrintable(error));

    const qint64 instant = logPosition(log);
    QElapsedTimer timer;
    timer.start();
    SnapshotHandle snap;
    NDB_TRY(snap = run(driver.createSnapshot(QStringLiteral("mail"), tempSnapshotName(QStringLiteral("s1")))));
    const qint64 ms = timer.elapsed();
    const int target = loggedRecords(log) + 20;
    while (loggedRecords(log) < target && writer->state() == QProcess::Running)
        QThread::msleep(20);
    QVERIFY2(stopWriter(*writer, error), qPrintable(error));
    qInfo("frozen reflink snapshot of a 64 MiB volume in use: %lld ms", ms);

    const CommandResult super = CommandRunner::run(QStringLiteral("dumpe2fs"), {QStringLiteral("-h"), snap.path});
    QVERIFY2(super.ok(), qPrintable(super.errorText()));
    QVERIFY2(!super.stdOut.contains("needs_recovery"), "the snapshot's journal must not need recovery");
    const CommandResult fsck = CommandRunner::run(QStringLiteral("fsck.ext4"), {QStringLiteral("-n"), QStringLiteral("-f"), snap.path});
    QVERIFY2(fsck.ok(), qPrintable(fsck.errorText()));
    std::unique_ptr<LoopAttachment> snapLoop;
    NDB_TRY(snapLoop = std::make_unique<LoopAttachment>(snap.path, true));
    const QString restored = tmp.path() + QStringLiteral("/restored");
    NDB_TRY(mountDevice(snapLoop->device(), restored, QStringLiteral("ext4"), true));
    const WriterCheck check = checkFiles(restored, log, instant);
    QVERIFY2(check.ok, qPrintable(check.message));
    QVERIFY(unmount(restored));
    snapLoop.reset();
    QVERIFY(unmount(inner));
    NDB_TRY(run(driver.detach(QStringLiteral("mail"))));
}

void TestImageDriver::loopLookupByIdentity()
{
    // A loop device is found by the identity of its backing file, also after a rename (the
    // kernel keeps reporting the old path) and never for another file at the old path.
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    ScratchCleanup cleanup(tmp.path());
    const QString a = tmp.path() + QStringLiteral("/a.img"), b = tmp.path() + QStringLiteral("/b.img");
    {
        QFile f(a);
        QVERIFY(f.open(QIODevice::WriteOnly) && f.resize(1 << 20));
    }
    std::unique_ptr<LoopAttachment> loop;
    NDB_TRY(loop = std::make_unique<LoopAttachment>(a, true));
    QCOMPARE(LoopDevice::devicesFor(a), QStringList{loop->device()});
    QVERIFY(QFile::rename(a, b));
    {
        QFile f(a);
        QVERIFY(f.open(QIODevice::WriteOnly) && f.resize(1 << 20)); // a different file at the old path
    }
    QCOMPARE(LoopDevice::devicesFor(b), QStringList{loop->device()});
    QVERIFY(LoopDevice::devicesFor(a).isEmpty());
    bool found = false;
    for (const LoopDeviceInfo &info : LoopDevice::list())
        if (info.device == loop->device()) {
            found = true;
            QVERIFY(info.readOnly);
            QVERIFY(!info.autoClear);
        }
    QVERIFY(found);
    const QString device = loop->device();
    loop.reset();
    QVERIFY(LoopDevice::waitUnbound(device, 5000));
    QVERIFY(LoopDevice::devicesFor(b).isEmpty());

    // More devices than a container's /dev usually has nodes for (loop0..7): the missing nodes
    // are created with mknod.
    std::vector<std::unique_ptr<LoopAttachment>> many;
    QSet<QString> devices;
    for (int i = 0; i < 12; ++i) {
        const QString file = tmp.path() + QStringLiteral("/m%1.img").arg(i);
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly) && f.resize(64 << 10));
        f.close();
        std::unique_ptr<LoopAttachment> l;
        NDB_TRY(l = std::make_unique<LoopAttachment>(file));
        struct stat st {};
        QVERIFY(::stat(QFile::encodeName(l->device()).constData(), &st) == 0 && S_ISBLK(st.st_mode));
        QCOMPARE(LoopDevice::devicesFor(file), QStringList{l->device()});
        devices.insert(l->device());
        many.push_back(std::move(l));
    }
    QCOMPARE(devices.size(), 12);
}

void TestImageDriver::cloneOfRawInUseVolumeIsFlagged()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    ScratchCleanup cleanup(tmp.path());
    std::unique_ptr<ScratchFilesystem> fs;
    NDB_TRY(fs = std::make_unique<ScratchFilesystem>(tmp.path(), QStringLiteral("ext4"), 256));
    // The warning reaches the log the driver was given, as a warning (History and the CLI show it so).
    struct Lines : JobLog
    {
        QStringList warnings, other;
        void event(const QString &level, const QString &message) override
        {
            (level == QLatin1String("warning") ? warnings : other) << message;
        }
    } lines;
    ImageDriver driver(fs->mountPoint(), true, 10000, &lines);
    NDB_TRY(run(driver.createVolume(QStringLiteral("raw"), 16 << 20)));
    std::unique_ptr<LoopAttachment> loop;
    NDB_TRY(loop = std::make_unique<LoopAttachment>(driver.imagePath(QStringLiteral("raw"))));

    NDB_TRY(run(driver.createVolumeFromSource(QStringLiteral("raw"), QStringLiteral("raw-copy"))));
    QVERIFY2(lines.warnings.filter(QStringLiteral("not a point-in-time copy")).size() == 1,
             qPrintable((lines.warnings + lines.other).join(QLatin1Char('\n'))));
    QVERIFY(QFileInfo::exists(driver.imagePath(QStringLiteral("raw-copy"))));
}

void TestImageDriver::temporariesListedAndRemoved()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    ScratchCleanup cleanup(tmp.path());
    std::unique_ptr<ScratchFilesystem> fs;
    NDB_TRY(fs = std::make_unique<ScratchFilesystem>(tmp.path(), QStringLiteral("btrfs"), 256));
    ImageDriver driver(fs->mountPoint());
    NDB_TRY(run(driver.createVolume(QStringLiteral("data"), 8 << 20)));
    const QString vol = tempVolumeName(QStringLiteral("b1"));
    const QString snap = tempSnapshotName(QStringLiteral("b2"));
    NDB_TRY(run(driver.createVolumeFromSource(QStringLiteral("data"), vol)));
    NDB_TRY(run(driver.createSnapshot(QStringLiteral("data"), snap)));

    QList<TemporaryObject> temps;
    NDB_TRY(temps = run(driver.listTemporaries()));
    QCOMPARE(temps.size(), 2);
    QCOMPARE(temps[0].name, snap);
    QCOMPARE(temps[0].kind, TemporaryObject::Kind::Snapshot);
    QCOMPARE(temps[0].backupId, QStringLiteral("b2"));
    QCOMPARE(temps[1].name, vol);
    QCOMPARE(temps[1].kind, TemporaryObject::Kind::Volume);
    QCOMPARE(temps[1].backupId, QStringLiteral("b1"));
    // Not part of the inventory.
    QList<Volume> all;
    NDB_TRY(all = run(driver.listVolumes()));
    QCOMPARE(all.size(), 1);

    // A stale loop device left on the temporary volume (a crashed run), one held by the driver.
    std::unique_ptr<LoopAttachment> stale;
    NDB_TRY(stale = std::make_unique<LoopAttachment>(driver.imagePath(vol)));
    QString held;
    NDB_TRY(held = run(driver.attach(snap)));
    QCOMPARE(run(driver.volume(vol)).status, VolumeStatus::InUse);

    for (const TemporaryObject &t : std::as_const(temps)) {
        NDB_TRY(run(driver.removeTemporary(t)));
        QVERIFY(!QFileInfo::exists(driver.imagePath(t.name)));
        NDB_TRY(run(driver.removeTemporary(t))); // idempotent
    }
    QVERIFY(LoopDevice::waitUnbound(stale->device(), 5000));
    QVERIFY(LoopDevice::waitUnbound(held, 5000));
    NDB_TRY(temps = run(driver.listTemporaries()));
    QVERIFY(temps.isEmpty());

    // removeTemporary never removes a user's volume.
    TemporaryObject notTemp{TemporaryObject::Kind::Volume, QStringLiteral("data"), QString()};
    QVERIFY_THROWS_EXCEPTION(Error, run(driver.removeTemporary(notTemp)));
    QVERIFY(QFileInfo::exists(driver.imagePath(QStringLiteral("data"))));
}

void TestImageDriver::badNamesRejected()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    ScratchCleanup cleanup(tmp.path());
    std::unique_ptr<ScratchFilesystem> fs;
    NDB_TRY(fs = std::make_unique<ScratchFilesystem>(tmp.path(), QStringLiteral("btrfs"), 256));
    const QString poolDir = fs->mountPoint() + QStringLiteral("/pool");
    QVERIFY(QDir().mkpath(poolDir));
    ImageDriver driver(poolDir);
    NDB_TRY(run(driver.createVolume(QStringLiteral("src"), 1 << 20)));
    const QStringList before = poolFiles(poolDir);
    const QStringList parentBefore = poolFiles(fs->mountPoint());

    const QStringList bad{QStringLiteral("../x"), QStringLiteral("a;rm -rf"), QString(), QString(300, QLatin1Char('a')),
                          QStringLiteral("x/y"), QStringLiteral(".hidden"), QStringLiteral("a b"), QStringLiteral("$(id)")};
    for (const QString &name : bad) {
        QVERIFY_THROWS_EXCEPTION(Error, run(driver.createVolume(name, 1 << 20)));
        QVERIFY_THROWS_EXCEPTION(Error, run(driver.createVolumeFromSource(QStringLiteral("src"), name)));
        QVERIFY_THROWS_EXCEPTION(Error, run(driver.createVolumeFromSource(name, QStringLiteral("dst"))));
        QVERIFY_THROWS_EXCEPTION(Error, run(driver.createSnapshot(QStringLiteral("src"), name)));
        QVERIFY_THROWS_EXCEPTION(Error, run(driver.attach(name)));
        QVERIFY_THROWS_EXCEPTION(Error, run(driver.detach(name)));
        QVERIFY_THROWS_EXCEPTION(Error, run(driver.deleteVolume(name)));
        QVERIFY_THROWS_EXCEPTION(Error, run(driver.deleteSnapshot(name)));
        QVERIFY_THROWS_EXCEPTION(Error, run(driver.volume(name)));
    }
    // Users cannot create names in the engine's reserved namespace.
    QVERIFY_THROWS_EXCEPTION(Error, run(driver.createVolume(QStringLiteral("ndbackup-vol-x"), 1 << 20)));
    QCOMPARE(poolFiles(poolDir), before);
    QCOMPARE(poolFiles(fs->mountPoint()), parentBefore);
    QVERIFY(LoopDevice::devicesFor(driver.imagePath(QStringLiteral("src"))).isEmpty());
}

QTEST_GUILESS_MAIN(TestImageDriver)
#include "tst_imagedriver.moc"
