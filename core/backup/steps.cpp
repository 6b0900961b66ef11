#include "backup/steps.h"

#include "util/error.h"

namespace ndb {

StepRunner::StepRunner(const std::atomic<bool> *cancel, std::function<void(const QString &)> warn)
    : m_cancel(cancel), m_warn(std::move(warn))
{
}

void StepRunner::throwIfCancelled() const
{
    if (m_cancel && m_cancel->load())
        throw CancelledError();
}

QCoro::Task<void> StepRunner::run(QList<Step> steps)
{
    for (Step &step : steps) {
        throwIfCancelled();
        if (step.record)
            step.record();
        m_recorded.append(step);
        throwIfCancelled();
        if (step.act)
            co_await step.act();
    }
}

QCoro::Task<void> StepRunner::undo()
{
    while (!m_recorded.isEmpty()) {
        const Step step = m_recorded.takeLast();
        if (!step.undo)
            continue;
        std::exception_ptr problem;
        try {
            co_await step.undo();
        } catch (...) {
            problem = std::current_exception();
        }
        if (problem && m_warn)
            m_warn(QStringLiteral("%1: %2").arg(step.undoWhat.isEmpty() ? QStringLiteral("undoing ") + step.name : step.undoWhat,
                                               describeException(problem)));
    }
}

QStringList StepRunner::recorded() const
{
    QStringList names;
    for (const Step &step : m_recorded)
        names << step.name;
    return names;
}

} // namespace ndb
