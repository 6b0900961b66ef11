// Errors carry their kind (exit codes and wire statuses map from it, never from message text),
// and the job log takes lines from any thread with their level.
#include "catalog/catalog.h"
#include "catalog/jobstore.h"
#include "jobs/jobcontext.h"
#include "util/error.h"
#include "util/names.h"

#include <QTemporaryDir>
#include <QtTest>

#include <stdexcept>
#include <thread>

using namespace ndb;

namespace {
template<typename F>
ErrorKind kindOf(F &&f)
{
    try {
        f();
    } catch (...) {
        return exceptionKind(std::current_exception());
    }
    return ErrorKind::Failed;
}
} // namespace

class TestErrors : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void kindsComeFromTheError()
    {
        QCOMPARE(kindOf([] { throw CancelledError(); }), ErrorKind::Cancelled);
        QCOMPARE(kindOf([] { throw RefusedError(QStringLiteral("no")); }), ErrorKind::Refused);
        QCOMPARE(kindOf([] { throw NotFoundError(QStringLiteral("no")); }), ErrorKind::NotFound);
        QCOMPARE(kindOf([] { throw InvalidInputError(QStringLiteral("no")); }), ErrorKind::InvalidInput);
        QCOMPARE(kindOf([] { throw CorruptDataError(QStringLiteral("no")); }), ErrorKind::CorruptData);
        QCOMPARE(kindOf([] { throw Error(QStringLiteral("lvs failed"), ErrorKind::Storage); }), ErrorKind::Storage);
        QCOMPARE(kindOf([] { throw Error(QStringLiteral("plain")); }), ErrorKind::Failed);
        QCOMPARE(kindOf([] { throw std::runtime_error("not ours"); }), ErrorKind::Failed);
        QCOMPARE(errorKindName(ErrorKind::NotFound), QStringLiteral("not-found"));
        QCOMPARE(errorKindName(ErrorKind::InvalidInput), QStringLiteral("invalid"));
    }

    void badNamesAreInvalidInput()
    {
        // Not recognised by their wording: every rule of the name checks says InvalidInput.
        QCOMPARE(kindOf([] { validateName(QString(), QStringLiteral("container")); }), ErrorKind::InvalidInput);
        QCOMPARE(kindOf([] { validateName(QStringLiteral("../x"), QStringLiteral("container")); }), ErrorKind::InvalidInput);
        QCOMPARE(kindOf([] { validateName(QString(300, QLatin1Char('a')), QStringLiteral("container")); }), ErrorKind::InvalidInput);
        QCOMPARE(kindOf([] { validateUserName(QStringLiteral("ndbackup-snap-1"), QStringLiteral("volume")); }), ErrorKind::InvalidInput);
        QCOMPARE(kindOf([] { validateText(QStringLiteral("a\nb"), QStringLiteral("description"), 10); }), ErrorKind::InvalidInput);
    }

    void linesFromOtherThreadsReachTheJobLog()
    {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        Catalog catalog(tmp.filePath(QStringLiteral("catalog.sqlite")));
        JobStore store(catalog);
        Job job;
        job.kind = QStringLiteral("backup");
        const qint64 jobId = store.create(job);
        JobContext context(jobId, &store, nullptr, nullptr);
        context.setPhase(QStringLiteral("snapshot"));
        // A watchdog thread writes through the JobLog interface; the catalog connection belongs to
        // this thread, which stores the line at its next event.
        JobLog &log = context;
        std::thread watchdog([&log] { log.warning(QStringLiteral("resumed vg-data: suspended longer than 10 ms")); });
        watchdog.join();
        context.info(QStringLiteral("snapshot taken"));
        context.saveProgress();

        const QList<JobEvent> events = store.events(jobId);
        QStringList lines;
        for (const JobEvent &e : events)
            lines << e.level + QLatin1Char(' ') + e.phase + QLatin1Char(' ') + e.message;
        QVERIFY2(lines.contains(QStringLiteral("warning snapshot resumed vg-data: suspended longer than 10 ms")), qPrintable(lines.join(QLatin1Char('\n'))));
        QVERIFY(lines.indexOf(QStringLiteral("warning snapshot resumed vg-data: suspended longer than 10 ms"))
                < lines.indexOf(QStringLiteral("info snapshot snapshot taken")));
    }
};

QTEST_GUILESS_MAIN(TestErrors)
#include "tst_errors.moc"
