// The step runner of the data paths: records before acting, undoes last first, undoes on failure
// and on cancel, and a failing undo is a warning that does not hide the first failure.
#include "backup/statusrules.h"
#include "backup/steps.h"
#include "model/status.h"
#include "util/error.h"

#include <QtTest>

using namespace ndb;

namespace {

// A step that logs "record:<n>", "act:<n>", "undo:<n>" into `log`; `failAct`/`failUndo` throw.
Step loggingStep(const QString &name, QStringList &log, bool failAct = false, bool failUndo = false,
                 std::function<void()> duringAct = {})
{
    Step step;
    step.name = name;
    step.record = [&log, name] { log << QStringLiteral("record:") + name; };
    step.act = [&log, name, failAct, duringAct]() -> QCoro::Task<void> {
        log << QStringLiteral("act:") + name;
        if (duringAct)
            duringAct();
        if (failAct)
            throw Error(QStringLiteral("act %1 failed").arg(name));
        co_return;
    };
    step.undo = [&log, name, failUndo]() -> QCoro::Task<void> {
        log << QStringLiteral("undo:") + name;
        if (failUndo)
            throw Error(QStringLiteral("undo %1 failed").arg(name));
        co_return;
    };
    step.undoWhat = QStringLiteral("undoing ") + name;
    return step;
}

// The steps here complete without waiting, so the task has finished when it returns; rethrows
// its failure (QCoro::waitFor hangs on a task that throws).
void finish(QCoro::Task<void> task)
{
    std::exception_ptr error;
    bool done = false;
    auto body = [&]() -> QCoro::Task<void> {
        try {
            co_await std::move(task);
        } catch (...) {
            error = std::current_exception();
        }
        done = true;
    };
    QCoro::Task<void> running = body();
    if (!done)
        throw Error(QStringLiteral("a step waited although every step of this test completes at once"));
    if (error)
        std::rethrow_exception(error);
}

// Runs the steps, then undoes them whatever happened (as a backup does); returns the failure.
QString runAndUndo(StepRunner &runner, QList<Step> steps)
{
    QString failure;
    try {
        finish(runner.run(std::move(steps)));
    } catch (const Error &e) {
        failure = e.message();
    }
    finish(runner.undo());
    return failure;
}

} // namespace

class TestSteps : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void recordsBeforeActingAndUndoesLastFirst()
    {
        QStringList log, warnings;
        StepRunner runner(nullptr, [&](const QString &w) { warnings << w; });
        const QString failure = runAndUndo(runner, {loggingStep(QStringLiteral("a"), log), loggingStep(QStringLiteral("b"), log),
                                                    loggingStep(QStringLiteral("c"), log)});
        QCOMPARE(failure, QString());
        QCOMPARE(log, (QStringList{QStringLiteral("record:a"), QStringLiteral("act:a"), QStringLiteral("record:b"),
                                   QStringLiteral("act:b"), QStringLiteral("record:c"), QStringLiteral("act:c"),
                                   QStringLiteral("undo:c"), QStringLiteral("undo:b"), QStringLiteral("undo:a")}));
        QVERIFY(warnings.isEmpty());
        QVERIFY(runner.recorded().isEmpty());
    }

    void failureUndoesTheHalfDoneStepAndThoseBefore()
    {
        QStringList log, warnings;
        StepRunner runner(nullptr, [&](const QString &w) { warnings << w; });
        const QString failure = runAndUndo(runner, {loggingStep(QStringLiteral("a"), log),
                                                    loggingStep(QStringLiteral("b"), log, true),
                                                    loggingStep(QStringLiteral("c"), log)});
        QCOMPARE(failure, QStringLiteral("act b failed"));
        // c never recorded nor acted; b recorded itself before acting, so it is undone too.
        QCOMPARE(log, (QStringList{QStringLiteral("record:a"), QStringLiteral("act:a"), QStringLiteral("record:b"),
                                   QStringLiteral("act:b"), QStringLiteral("undo:b"), QStringLiteral("undo:a")}));
        QVERIFY(warnings.isEmpty());
    }

    void cancelStopsBeforeTheNextStepAndUndoes()
    {
        QStringList log, warnings;
        std::atomic<bool> cancel{false};
        StepRunner runner(&cancel, [&](const QString &w) { warnings << w; });
        bool cancelled = false;
        try {
            finish(runner.run({loggingStep(QStringLiteral("a"), log),
                                       loggingStep(QStringLiteral("b"), log, false, false, [&] { cancel = true; }),
                                       loggingStep(QStringLiteral("c"), log)}));
        } catch (const CancelledError &) {
            cancelled = true;
        }
        QVERIFY2(cancelled, "a cancel between steps must end the run with CancelledError");
        QCOMPARE(runner.recorded(), (QStringList{QStringLiteral("a"), QStringLiteral("b")}));
        finish(runner.undo());
        QCOMPARE(log, (QStringList{QStringLiteral("record:a"), QStringLiteral("act:a"), QStringLiteral("record:b"),
                                   QStringLiteral("act:b"), QStringLiteral("undo:b"), QStringLiteral("undo:a")}));
        QVERIFY(warnings.isEmpty());
    }

    void failingUndoIsAWarningAndDoesNotHideTheFailure()
    {
        QStringList log, warnings;
        StepRunner runner(nullptr, [&](const QString &w) { warnings << w; });
        const QString failure = runAndUndo(runner, {loggingStep(QStringLiteral("a"), log),
                                                    loggingStep(QStringLiteral("b"), log, false, true),
                                                    loggingStep(QStringLiteral("c"), log, true)});
        QCOMPARE(failure, QStringLiteral("act c failed"));
        // The undo of a still runs after the undo of b failed.
        QCOMPARE(log.mid(log.indexOf(QStringLiteral("undo:c"))),
                 (QStringList{QStringLiteral("undo:c"), QStringLiteral("undo:b"), QStringLiteral("undo:a")}));
        QCOMPARE(warnings, QStringList{QStringLiteral("undoing b: undo b failed")});
    }

    // DESIGN.md "Status rules": one function for the engine's early check and the job.
    void backupStatusRules()
    {
        Volume v;
        v.name = QStringLiteral("db");
        v.status = VolumeStatus::Available;
        checkBackupAllowed(v, false);
        v.status = VolumeStatus::InUse;
        checkBackupAllowed(v, true);
        try {
            checkBackupAllowed(v, false);
            QFAIL("an in-use volume without force must be refused");
        } catch (const RefusedError &e) {
            QCOMPARE(e.message(), kForceRequiredMessage);
        }
        v.status = VolumeStatus::BackingUp;
        try {
            checkBackupAllowed(v, true);
            QFAIL("a volume that is backing up must be refused");
        } catch (const RefusedError &e) {
            QVERIFY2(e.message().contains(QStringLiteral("only 'available' or 'in-use'")), qPrintable(e.message()));
        }
    }
};

QTEST_GUILESS_MAIN(TestSteps)
#include "tst_steps.moc"
