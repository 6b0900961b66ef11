#include "error.h"

#include <cerrno>

namespace ndb {

QString errorKindName(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::Failed:
        return QStringLiteral("failed");
    case ErrorKind::Refused:
        return QStringLiteral("refused");
    case ErrorKind::NotFound:
        return QStringLiteral("not-found");
    case ErrorKind::InvalidInput:
        return QStringLiteral("invalid");
    case ErrorKind::CorruptData:
        return QStringLiteral("corrupt");
    case ErrorKind::Cancelled:
        return QStringLiteral("cancelled");
    case ErrorKind::Storage:
        return QStringLiteral("storage");
    case ErrorKind::Network:
        return QStringLiteral("network");
    }
    return QStringLiteral("failed");
}

ErrorKind errnoKind(int err)
{
    return err == EIO || err == ENOSPC || err == EDQUOT ? ErrorKind::Storage : ErrorKind::Failed;
}

QString describeException(const std::exception_ptr &error)
{
    try {
        std::rethrow_exception(error);
    } catch (const Error &e) {
        return e.message();
    } catch (const std::exception &e) {
        return QString::fromLocal8Bit(e.what());
    } catch (...) {
        return QStringLiteral("unknown error");
    }
}

ErrorKind exceptionKind(const std::exception_ptr &error)
{
    try {
        std::rethrow_exception(error);
    } catch (const Error &e) {
        return e.kind();
    } catch (...) {
        return ErrorKind::Failed;
    }
}

} // namespace ndb
