#pragma once
// Blocking wait for a QCoro::Task in tests. QCoro 0.8's QCoro::waitFor() never returns when the
// task throws (the exception is lost inside its helper coroutine); this one rethrows it.
#include <QCoro/QCoroTask>
#include <QEventLoop>

#include <exception>
#include <optional>

namespace ndbtest {

namespace detail {
template<typename T>
QCoro::Task<> drive(QCoro::Task<T> &task, QEventLoop &loop, bool &done, std::optional<T> &result, std::exception_ptr &error)
{
    try {
        result.emplace(co_await task);
    } catch (...) {
        error = std::current_exception();
    }
    done = true;
    loop.quit();
}

inline QCoro::Task<> drive(QCoro::Task<void> &task, QEventLoop &loop, bool &done, std::exception_ptr &error)
{
    try {
        co_await task;
    } catch (...) {
        error = std::current_exception();
    }
    done = true;
    loop.quit();
}
} // namespace detail

template<typename T>
T runTask(QCoro::Task<T> &&task)
{
    QEventLoop loop;
    bool done = false;
    std::exception_ptr error;
    if constexpr (std::is_void_v<T>) {
        auto driver = detail::drive(task, loop, done, error);
        if (!done)
            loop.exec();
        if (error)
            std::rethrow_exception(error);
    } else {
        std::optional<T> result;
        auto driver = detail::drive(task, loop, done, result, error);
        if (!done)
            loop.exec();
        if (error)
            std::rethrow_exception(error);
        return std::move(*result);
    }
}

} // namespace ndbtest
