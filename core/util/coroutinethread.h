#pragma once
// A thread whose own (top-level) event loop drives one coroutine to its end; the thread then
// finishes. This is how core runs storage work off the calling thread without a nested event
// loop (runSync is for main()s and tests only). `body` must not throw: catch inside it.
#include <QCoro/QCoroTask>
#include <QThread>

#include <exception>
#include <functional>
#include <optional>

namespace ndb {

class CoroutineThread : public QThread
{
public:
    explicit CoroutineThread(std::function<QCoro::Task<>()> body, QObject *parent = nullptr)
        : QThread(parent), m_body(std::move(body)) {}

    // Starts `body` on a new thread that deletes itself once it has finished.
    static CoroutineThread *startDetached(std::function<QCoro::Task<>()> body);
    // Runs `body` on a new thread and blocks the calling thread until it has finished (CLI, tests).
    static void runAndWait(std::function<QCoro::Task<>()> body);

protected:
    void run() override;

private:
    std::function<QCoro::Task<>()> m_body;
};

// Runs `work` on a new thread (in its own event loop) and blocks until it ends; returns its result
// or rethrows its exception. For blocking front-end calls (CLI, tests), never the GUI thread.
template<typename T>
T waitOnWorker(std::function<QCoro::Task<T>()> work)
{
    std::optional<T> result;
    std::exception_ptr failure;
    CoroutineThread::runAndWait([&]() -> QCoro::Task<> {
        try {
            result = co_await work();
        } catch (...) {
            failure = std::current_exception();
        }
    });
    if (failure)
        std::rethrow_exception(failure);
    return std::move(*result);
}

} // namespace ndb
