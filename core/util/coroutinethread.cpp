#include "coroutinethread.h"

#include <QTimer>

#include <optional>

namespace ndb {

void CoroutineThread::run()
{
    std::optional<QCoro::Task<>> running;
    auto drive = [this]() -> QCoro::Task<> {
        try {
            co_await m_body();
        } catch (...) {
            qCritical("a coroutine thread's body threw; its caller should have caught it");
        }
        quit();
    };
    // Started from inside exec(), so that quit() always finds the loop running.
    QTimer::singleShot(0, [&] { running.emplace(drive()); });
    exec();
}

CoroutineThread *CoroutineThread::startDetached(std::function<QCoro::Task<>()> body)
{
    auto *thread = new CoroutineThread(std::move(body));
    connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    thread->start();
    return thread;
}

void CoroutineThread::runAndWait(std::function<QCoro::Task<>()> body)
{
    CoroutineThread thread(std::move(body));
    thread.start();
    thread.wait();
}

} // namespace ndb
