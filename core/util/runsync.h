#pragma once
// Runs a coroutine to completion from synchronous code, in a nested event loop of the calling
// thread, and rethrows its exception. (QCoro::waitFor() of QCoro 0.8 loses exceptions and can
// then wait forever, so the engine uses this instead.)
#include <QCoro/QCoroTask>
#include <QEventLoop>

#include <exception>
#include <optional>

namespace ndb {

template<typename T>
T runSync(QCoro::Task<T> task)
{
    QEventLoop loop;
    bool done = false;
    std::exception_ptr error;
    std::optional<std::conditional_t<std::is_void_v<T>, bool, T>> result;
    auto body = [&]() -> QCoro::Task<> {
        try {
            if constexpr (std::is_void_v<T>) {
                co_await std::move(task);
                result = true;
            } else {
                result = co_await std::move(task);
            }
        } catch (...) {
            error = std::current_exception();
        }
        done = true;
        loop.quit();
    };
    QCoro::Task<> running = body();
    if (!done)
        loop.exec();
    if (error)
        std::rethrow_exception(error);
    if constexpr (!std::is_void_v<T>)
        return std::move(*result);
}

} // namespace ndb
