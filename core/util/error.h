#pragma once
// The one exception type the engine throws. Coroutines propagate it through QCoro::Task,
// so orchestration code reads top to bottom and every failure carries a sentence for the user
// and a kind: what the failure means, so that exit codes (and HTTP statuses) map from it in one
// place instead of from type names or message text.
#include <QByteArray>
#include <QString>
#include <exception>

namespace ndb {

enum class ErrorKind {
    Failed,       // the operation ran and failed (the default)
    Refused,      // a status rule refused the request; nothing was created
    NotFound,     // something named does not exist
    InvalidInput, // a bad name, value or option; nothing was done
    CorruptData,  // stored data failed its checksum or could not be decoded
    Cancelled,    // the user cancelled; cleanup ran
    Storage,      // the storage (a volume driver, a device, lvm) failed
    Network,      // a peer could not be reached or broke the connection
};

// Stable lower-case names ("failed", "refused", "not-found", "invalid", "corrupt", "cancelled",
// "storage", "network") for logs, JSON and anything that crosses a wire.
QString errorKindName(ErrorKind kind);

class Error : public std::exception
{
public:
    explicit Error(QString message, ErrorKind kind = ErrorKind::Failed)
        : m_message(std::move(message)), m_utf8(m_message.toUtf8()), m_kind(kind) {}
    const QString &message() const noexcept { return m_message; }
    ErrorKind kind() const noexcept { return m_kind; }
    const char *what() const noexcept override { return m_utf8.constData(); }

private:
    QString m_message;
    QByteArray m_utf8;
    ErrorKind m_kind;
};

// Thrown when a job was cancelled; cleanup runs exactly as for a failure.
class CancelledError : public Error
{
public:
    CancelledError() : Error(QStringLiteral("cancelled by user"), ErrorKind::Cancelled) {}
};

// The request was refused by a status rule (force missing, volume busy ...); nothing was created.
class RefusedError : public Error
{
public:
    explicit RefusedError(QString message) : Error(std::move(message), ErrorKind::Refused) {}
};

// Something named does not exist (volume, backup, container).
class NotFoundError : public Error
{
public:
    explicit NotFoundError(QString message) : Error(std::move(message), ErrorKind::NotFound) {}
};

// A name, value or option the user gave is not acceptable; nothing was done.
class InvalidInputError : public Error
{
public:
    explicit InvalidInputError(QString message) : Error(std::move(message), ErrorKind::InvalidInput) {}
};

// Stored data failed its checksum or could not be decoded: the backup must not be trusted.
class CorruptDataError : public Error
{
public:
    explicit CorruptDataError(QString message) : Error(std::move(message), ErrorKind::CorruptData) {}
};

// The kind of a failed system call's errno: Storage for what the disk underneath did (EIO, a full
// disk or quota), Failed for everything else.
ErrorKind errnoKind(int err);

// The user-facing sentence of any exception (ndb::Error's message, what() otherwise).
QString describeException(const std::exception_ptr &error);
// The kind of any exception: ndb::Error's own, Failed for anything else.
ErrorKind exceptionKind(const std::exception_ptr &error);

} // namespace ndb
