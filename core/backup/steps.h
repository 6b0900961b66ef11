#pragma once
// Steps of a data path (DESIGN.md "Data paths"): each records itself before it acts and knows its
// own undo, so that a data path is a short list of steps (a recipe) and a new path (export to a
// connector, a remote agent) is new steps rather than new branches. The shape of kpmcore's
// Operation -> Job or Qt Creator's Tasking recipes, on QCoro.
#include <QCoro/QCoroTask>
#include <QList>
#include <QString>

#include <atomic>
#include <functional>

namespace ndb {

struct Step
{
    QString name;
    // Before acting, what lets a cleanup find the result if the process dies (e.g. the temporary's
    // id into the catalog) and the job's phase. May be empty.
    std::function<void()> record;
    std::function<QCoro::Task<void>()> act;
    // Undoes or releases what act made; must cope with a half-done act. May be empty.
    std::function<QCoro::Task<void>()> undo;
    // How a failing undo is named in its warning, e.g. "detaching ndbackup-vol-<id>".
    QString undoWhat;
};

class StepRunner
{
public:
    // `cancel` (may be null) is checked before each step records and before it acts.
    // `warn` receives undo problems.
    StepRunner(const std::atomic<bool> *cancel, std::function<void(const QString &)> warn);

    // Runs `steps` in order. Stops at the first failure (CancelledError when cancelled) and
    // rethrows it; every step that recorded itself stays for undo(), the failed one too.
    QCoro::Task<void> run(QList<Step> steps);
    // Undoes the recorded steps, last first, and forgets them. A failing undo is a warning and the
    // next undo still runs: the failure that made us undo stays the one reported.
    QCoro::Task<void> undo();
    // Names of the recorded steps not undone yet, in order.
    QStringList recorded() const;

private:
    void throwIfCancelled() const;

    const std::atomic<bool> *m_cancel;
    std::function<void(const QString &)> m_warn;
    QList<Step> m_recorded;
};

} // namespace ndb
