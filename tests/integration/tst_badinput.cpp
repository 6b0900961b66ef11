// Input ndbackupctl must not accept silently (exit 2, a message naming the value), restore
// targets it must never write, and what a killed restore leaves (a partial file, a volume in
// 'error') as a script sees it.
#include "support/ctlrunner.h"
#include "support/scratchfs.h"

#include "catalog/catalog.h"
#include "util/error.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <fcntl.h>
#include <linux/fs.h>
#include <memory>
#include <sys/ioctl.h>
#include <unistd.h>

using namespace ndb;
using namespace ndbtest;

namespace {

QByteArray sha256(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(&f);
    return h.result().toHex();
}

// chattr +i / -i without a shell: even root cannot write an immutable file.
bool setImmutable(const QString &path, bool on)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY);
    if (fd < 0)
        return false;
    int flags = 0;
    bool ok = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
    flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
    ok = ok && ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
    ::close(fd);
    return ok;
}

} // namespace

class TestBadInput : public QObject
{
    Q_OBJECT

    using Run = CtlRun;
    std::unique_ptr<CtlFixture> m_dir;
    QString m_catalog;

    Run ctl(const QStringList &args) { return m_dir->run(args); }
    QString queryOne(const QString &sql) { return m_dir->queryOne(sql); }

    // A volume of `mib` MiB of random bytes (nothing dedups or compresses) and a backup of it.
    QString volumeWithBackup(const QString &name, int mib)
    {
        if (ctl({QStringLiteral("volume"), QStringLiteral("create"), QStringLiteral("--pool"), m_dir->pool, QStringLiteral("--name"), name,
                 QStringLiteral("--size"), QStringLiteral("%1M").arg(mib)}).exitCode != 0)
            return {};
        QFile f(QDir(m_dir->pool).filePath(name + QStringLiteral(".img")));
        if (!f.open(QIODevice::ReadWrite))
            return {};
        QByteArray block(1 << 20, Qt::Uninitialized);
        for (int i = 0; i < mib; ++i) {
            QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(block.data()), block.size() / 4);
            f.write(block);
        }
        f.close();
        const Run b = ctl({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), name, QStringLiteral("--json")});
        return b.exitCode == 0 ? QJsonDocument::fromJson(b.out.toUtf8()).object().value(QStringLiteral("id")).toString() : QString();
    }

    // Starts `args`, waits until its job is transferring, kills it without warning.
    bool killDuringTransfer(const QStringList &args)
    {
        QProcess p;
        p.setProcessEnvironment(m_dir->environment());
        p.start(ctlPath(), m_dir->globalArgs() + args);
        if (!p.waitForStarted())
            return false;
        QElapsedTimer t;
        t.start();
        bool transferring = false;
        while (!transferring && t.elapsed() < 60000 && p.state() == QProcess::Running) {
            QTest::qWait(50);
            transferring = queryOne(QStringLiteral("SELECT phase FROM jobs ORDER BY id DESC LIMIT 1")) == QLatin1String("transfer");
        }
        if (transferring) {
            QTest::qWait(300);
            ::kill(pid_t(p.processId()), SIGKILL);
        }
        p.waitForFinished();
        if (!transferring)
            qWarning() << "never saw the transfer:" << p.readAllStandardError();
        return transferring;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QString why;
        QVERIFY2(CtlFixture::canRun(&why), qPrintable(why));
    }

    void init()
    {
        m_dir = std::make_unique<CtlFixture>();
        QVERIFY(m_dir->setUp());
        m_catalog = m_dir->catalogPath();
    }

    void cleanup()
    {
        m_dir.reset();
    }

    void invalidValues_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("word");
        const auto s = [](const char *text) { return QString::fromUtf8(text); };
        const auto row = [&](const char *tag, QStringList args, int code, const char *word) {
            QTest::newRow(tag) << args << code << s(word);
        };
        const QStringList create{s("backup"), s("create"), s("--volume"), s("web")};
        const QStringList make{s("volume"), s("create"), s("--pool"), s("POOL"), s("--name"), s("v2"), s("--size")};
        row("empty container", create + QStringList{s("--container"), QString()}, 2, "--container must not be empty");
        row("empty container gc", {s("gc"), s("--container"), QString()}, 2, "--container must not be empty");
        row("limit negative", {s("jobs"), s("--limit"), s("-5")}, 2, "--limit '-5'");
        row("limit abc", {s("jobs"), s("--limit"), s("abc")}, 2, "--limit 'abc'");
        row("jobs 0", {s("--jobs"), s("0"), s("volumes")}, 2, "--jobs '0'");
        row("jobs abc", {s("--jobs"), s("abc"), s("volumes")}, 2, "--jobs 'abc'");
        row("vg missing", {s("--vg"), s("novg"), s("volumes")}, 2, "novg");
        row("catalog dir missing", {s("--catalog"), s("DIR/no-such-dir/catalog.sqlite"), s("volumes")}, 2, "no-such-dir");
        row("config garbage", {s("--config"), s("DIR/garbage.conf"), s("volumes")}, 2, "garbage.conf");
        row("config directory", {s("--config"), s("DIR"), s("volumes")}, 2, "is a directory");
        row("size -1", make + QStringList{s("-1")}, 2, "--size '-1'");
        row("size 0", make + QStringList{s("0")}, 2, "--size '0'");
        row("size 1e99", make + QStringList{s("1e99")}, 2, "--size '1e99'");
        row("size 10Q", make + QStringList{s("10Q")}, 2, "--size '10Q'");
        row("size overflow", make + QStringList{s("99999999999T")}, 2, "--size '99999999999T'");
        row("bandwidth 1e30", create + QStringList{s("--bandwidth"), s("1e30")}, 2, "too large");
        row("bandwidth abc", create + QStringList{s("--bandwidth"), s("abc")}, 2, "--bandwidth 'abc'");
        row("io priority", create + QStringList{s("--io-priority"), s("fast")}, 2, "'fast'");
        row("short id prefix", {s("backup"), s("show"), s("abc")}, 2, "too short");
        row("bad container name", create + QStringList{s("--container"), s("../x")}, 2, "invalid container name");
        row("bad volume name", make + QStringList{s("4M")} + QStringList{s("--name"), s("a/b")}, 2, "invalid volume name");
        row("reset to bogus", {s("volume"), s("reset-status"), s("web"), s("--to"), s("in-use")}, 2, "'in-use'");
    }

    void invalidValues()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, word);
        QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("create"), QStringLiteral("--pool"), m_dir->pool, QStringLiteral("--name"),
                      QStringLiteral("web"), QStringLiteral("--size"), QStringLiteral("4M")}).exitCode, 0);
        QFile garbage(m_dir->filePath(QStringLiteral("garbage.conf")));
        QVERIFY(garbage.open(QIODevice::WriteOnly));
        garbage.write("this is not a configuration\n\x01\x02\x03\n");
        garbage.close();
        for (QString &a : args)
            a.replace(QLatin1String("POOL"), m_dir->pool).replace(QLatin1String("DIR"), m_dir->path());
        const QString catalogBefore = queryOne(QStringLiteral("SELECT COUNT(*) FROM jobs"));

        const Run r = ctl(args);
        QVERIFY2(r.exitCode == exitCode, qPrintable(QStringLiteral("exit %1: %2").arg(r.exitCode).arg(r.err)));
        QVERIFY2(r.err.contains(word), qPrintable(r.err));
        // Nothing was done: no job, no new catalog, no volume.
        QCOMPARE(queryOne(QStringLiteral("SELECT COUNT(*) FROM jobs")), catalogBefore);
        QVERIFY(!QFileInfo::exists(m_dir->filePath(QStringLiteral("no-such-dir"))));
        QVERIFY(!QFileInfo::exists(QDir(m_dir->pool).filePath(QStringLiteral("v2.img"))));
    }

    void readOnlyCatalog()
    {
        QCOMPARE(ctl({QStringLiteral("volumes")}).exitCode, 0);
        QVERIFY(QFile::exists(m_catalog));
        QVERIFY2(setImmutable(m_catalog, true), "cannot make the catalog immutable (FS_IOC_SETFLAGS)");
        const Run r = ctl({QStringLiteral("volumes")});
        setImmutable(m_catalog, false);
        QVERIFY2(r.exitCode == 2, qPrintable(QStringLiteral("exit %1: %2").arg(r.exitCode).arg(r.err)));
        QVERIFY2(r.err.contains(QLatin1String("is read-only")) && r.err.contains(m_catalog) && r.err.contains(QLatin1String("--catalog")),
                 qPrintable(r.err));
    }

    void restoreToFileRefusesWhatMustNotBeWritten()
    {
        const QString id = volumeWithBackup(QStringLiteral("src"), 4);
        QVERIFY(!id.isEmpty());
        // A second, smaller volume, attached: its image must stay as it is.
        QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("create"), QStringLiteral("--pool"), m_dir->pool, QStringLiteral("--name"),
                      QStringLiteral("small"), QStringLiteral("--size"), QStringLiteral("1M")}).exitCode, 0);
        QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("attach"), QStringLiteral("small")}).exitCode, 0);
        const QString smallImage = QDir(m_dir->pool).filePath(QStringLiteral("small.img"));

        QDir repo(m_dir->filePath(QStringLiteral("repo")));
        QString pack;
        QDirIterator it(repo.path(), QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString f = it.next();
            if (f.contains(QLatin1String("pack")))
                pack = f;
        }
        QVERIFY(!pack.isEmpty());
        // A link outside the pool that points at the attached image; a loop device outside it.
        const QString link = m_dir->filePath(QStringLiteral("innocent.img"));
        QVERIFY(QFile::link(smallImage, link));
        const QString loopBacked = m_dir->filePath(QStringLiteral("loopbacked.img"));
        QVERIFY(QFile::copy(smallImage, loopBacked));
        LoopAttachment loop(loopBacked);
        const QString existing = m_dir->filePath(QStringLiteral("existing.img"));
        QFile e(existing);
        QVERIFY(e.open(QIODevice::WriteOnly));
        e.write("keep me");
        e.close();

        const QStringList targets{smallImage, link, m_catalog, m_catalog + QStringLiteral("-wal"), pack, loopBacked, existing};
        const QStringList words{QStringLiteral("image pool"), QStringLiteral("image pool"), QStringLiteral("catalog"),
                                QStringLiteral("catalog"), QStringLiteral("repository"), QStringLiteral("loop device"),
                                QStringLiteral("--overwrite")};
        for (int i = 0; i < targets.size(); ++i) {
            const QByteArray before = sha256(targets[i]);
            const qint64 sizeBefore = QFileInfo(targets[i]).size();
            QStringList args{QStringLiteral("backup"), QStringLiteral("restore"), id, QStringLiteral("--to-file"), targets[i]};
            if (targets[i] != existing)
                args << QStringLiteral("--overwrite"); // even with it
            const Run r = ctl(args);
            QVERIFY2(r.exitCode == 3, qPrintable(QStringLiteral("%1: exit %2: %3").arg(targets[i]).arg(r.exitCode).arg(r.err)));
            QVERIFY2(r.err.contains(words[i]), qPrintable(r.err));
            // The catalog itself changes with every command (its cleanup and jobs): checked by use below.
            if (!targets[i].startsWith(m_catalog)) {
                QVERIFY2(sha256(targets[i]) == before, qPrintable(targets[i]));
                QCOMPARE(QFileInfo(targets[i]).size(), sizeBefore);
            }
            QVERIFY(!QFileInfo::exists(targets[i] + QStringLiteral(".ndbackup-partial")));
        }
        // The attached volume is still attached and in use; the catalog still opens.
        const Run vols = ctl({QStringLiteral("volumes"), QStringLiteral("--json")});
        QCOMPARE(vols.exitCode, 0);
        bool smallInUse = false;
        for (const QJsonValue &v : QJsonDocument::fromJson(vols.out.toUtf8()).array())
            if (v.toObject().value(QStringLiteral("name")).toString() == QLatin1String("small"))
                smallInUse = v.toObject().value(QStringLiteral("status")).toString() == QLatin1String("in-use");
        QVERIFY(smallInUse);
        QCOMPARE(ctl({QStringLiteral("backup"), QStringLiteral("verify"), id}).exitCode, 0);

        // With --overwrite an ordinary existing file is replaced by the backup's bytes.
        const Run ok = ctl({QStringLiteral("backup"), QStringLiteral("restore"), id, QStringLiteral("--to-file"), existing,
                            QStringLiteral("--overwrite")});
        QVERIFY2(ok.exitCode == 0, qPrintable(ok.err));
        QCOMPARE(sha256(existing), sha256(QDir(m_dir->pool).filePath(QStringLiteral("src.img"))));
        QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("detach"), QStringLiteral("small")}).exitCode, 0);
    }

    void cleanupRemovesPartialFileOfKilledRestore()
    {
        const QString id = volumeWithBackup(QStringLiteral("big"), 24);
        QVERIFY(!id.isEmpty());
        const QString target = m_dir->filePath(QStringLiteral("big-restored.img"));
        const QString partial = target + QStringLiteral(".ndbackup-partial");
        QVERIFY(killDuringTransfer({QStringLiteral("backup"), QStringLiteral("restore"), id, QStringLiteral("--to-file"), target,
                                    QStringLiteral("--bandwidth"), QStringLiteral("4")}));
        QVERIFY(QFileInfo::exists(partial));
        QCOMPARE(queryOne(QStringLiteral("SELECT partial_file FROM jobs WHERE kind='restore'")), partial);

        const Run c = ctl({QStringLiteral("cleanup")});
        QVERIFY2(c.exitCode == 0, qPrintable(c.err));
        QVERIFY2(!QFileInfo::exists(partial), qPrintable(c.out));
        QVERIFY(!QFileInfo::exists(target));
        QVERIFY(queryOne(QStringLiteral("SELECT partial_file FROM jobs WHERE kind='restore'")).isEmpty());
    }

    void cleanupKeepsPartialFileOfLiveOwner()
    {
        QCOMPARE(ctl({QStringLiteral("volumes")}).exitCode, 0);
        const QString partial = m_dir->filePath(QStringLiteral("live.img.ndbackup-partial"));
        QFile f(partial);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        {
            // A restore job of this (live) test process still writing its partial file.
            Catalog catalog(m_catalog);
            catalog.exec(QStringLiteral("INSERT INTO jobs (kind, status, worker, created_at, partial_file) VALUES ('restore', 'running', ?, '2024-01-01', ?)"),
                         {currentWorkerId(), partial});
        }
        QCOMPARE(ctl({QStringLiteral("cleanup")}).exitCode, 0);
        QVERIFY(QFileInfo::exists(partial));
    }

    void goodRestoreClearsErrorAndResetIsLogged()
    {
        const QString id = volumeWithBackup(QStringLiteral("db"), 24);
        QVERIFY(!id.isEmpty());
        QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("create"), QStringLiteral("--pool"), m_dir->pool, QStringLiteral("--name"),
                      QStringLiteral("copy"), QStringLiteral("--size"), QStringLiteral("24M")}).exitCode, 0);
        QVERIFY(killDuringTransfer({QStringLiteral("backup"), QStringLiteral("restore"), id, QStringLiteral("--to-volume"), QStringLiteral("copy"),
                                    QStringLiteral("--bandwidth"), QStringLiteral("4")}));
        QCOMPARE(ctl({QStringLiteral("cleanup")}).exitCode, 0);
        QCOMPARE(queryOne(QStringLiteral("SELECT status FROM volumes WHERE name='copy'")), QStringLiteral("error"));
        QCOMPARE(ctl({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), QStringLiteral("copy")}).exitCode, 3);

        // A second restore succeeds byte-identical and the volume is usable again.
        const Run again = ctl({QStringLiteral("backup"), QStringLiteral("restore"), id, QStringLiteral("--to-volume"), QStringLiteral("copy")});
        QVERIFY2(again.exitCode == 0, qPrintable(again.err));
        QCOMPARE(sha256(QDir(m_dir->pool).filePath(QStringLiteral("copy.img"))), sha256(QDir(m_dir->pool).filePath(QStringLiteral("db.img"))));
        QCOMPARE(queryOne(QStringLiteral("SELECT status FROM volumes WHERE name='copy'")), QStringLiteral("available"));
        const Run backup = ctl({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), QStringLiteral("copy")});
        QVERIFY2(backup.exitCode == 0, qPrintable(backup.err));

        // The administrator's explicit reset, both ways, in the job history.
        QCOMPARE(ctl({QStringLiteral("volume"), QStringLiteral("reset-status"), QStringLiteral("copy"), QStringLiteral("--to"), QStringLiteral("error")}).exitCode, 0);
        QCOMPARE(queryOne(QStringLiteral("SELECT status FROM volumes WHERE name='copy'")), QStringLiteral("error"));
        QCOMPARE(ctl({QStringLiteral("backup"), QStringLiteral("create"), QStringLiteral("--volume"), QStringLiteral("copy")}).exitCode, 3);
        const Run reset = ctl({QStringLiteral("volume"), QStringLiteral("reset-status"), QStringLiteral("copy")});
        QVERIFY2(reset.exitCode == 0, qPrintable(reset.err));
        QCOMPARE(queryOne(QStringLiteral("SELECT status FROM volumes WHERE name='copy'")), QStringLiteral("available"));
        QCOMPARE(queryOne(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE kind='reset-status' AND status='succeeded'")), QStringLiteral("2"));
        const QString lastReset = queryOne(QStringLiteral("SELECT id FROM jobs WHERE kind='reset-status' ORDER BY id DESC LIMIT 1"));
        const Run show = ctl({QStringLiteral("job"), QStringLiteral("show"), lastReset});
        QVERIFY2(show.out.contains(QLatin1String("from 'error' to 'available'")), qPrintable(show.out));

        // Refused while an operation of a live process holds the volume.
        {
            Catalog catalog(m_catalog);
            catalog.exec(QStringLiteral("UPDATE volumes SET status='restoring-backup', status_worker=? WHERE name='copy'"), {currentWorkerId()});
        }
        const Run busy = ctl({QStringLiteral("volume"), QStringLiteral("reset-status"), QStringLiteral("copy")});
        QCOMPARE(busy.exitCode, 3);
        QVERIFY2(busy.err.contains(QLatin1String("operation is running")), qPrintable(busy.err));
        QCOMPARE(queryOne(QStringLiteral("SELECT status FROM volumes WHERE name='copy'")), QStringLiteral("restoring-backup"));
    }
};

QTEST_GUILESS_MAIN(TestBadInput)
#include "tst_badinput.moc"
