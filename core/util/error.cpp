#include "error.h"

namespace ndb {

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

QString exceptionKind(const std::exception_ptr &error)
{
    try {
        std::rethrow_exception(error);
    } catch (const CancelledError &) {
        return QStringLiteral("cancelled");
    } catch (const RefusedError &) {
        return QStringLiteral("refused");
    } catch (const NotFoundError &) {
        return QStringLiteral("not-found");
    } catch (const InvalidInputError &) {
        return QStringLiteral("invalid");
    } catch (const CorruptDataError &) {
        return QStringLiteral("corrupt");
    } catch (...) {
        return QStringLiteral("failed");
    }
}

} // namespace ndb
