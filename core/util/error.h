#pragma once
// The one exception type the engine throws. Coroutines propagate it through QCoro::Task,
// so orchestration code reads top to bottom and every failure carries a sentence for the user.
#include <QByteArray>
#include <QString>
#include <exception>

namespace ndb {

class Error : public std::exception
{
public:
    explicit Error(QString message) : m_message(std::move(message)), m_utf8(m_message.toUtf8()) {}
    const QString &message() const noexcept { return m_message; }
    const char *what() const noexcept override { return m_utf8.constData(); }

private:
    QString m_message;
    QByteArray m_utf8;
};

// Thrown when a job was cancelled; cleanup runs exactly as for a failure.
class CancelledError : public Error
{
public:
    CancelledError() : Error(QStringLiteral("cancelled by user")) {}
};

// The request was refused by a status rule (force missing, volume busy ...); nothing was created.
class RefusedError : public Error
{
public:
    using Error::Error;
};

// Something named does not exist (volume, backup, container).
class NotFoundError : public Error
{
public:
    using Error::Error;
};

// A value given by the user (name, number, size, path, option) is not acceptable; nothing was done.
class InvalidInputError : public Error { public: using Error::Error; };

// Stored data failed its checksum or could not be decoded: the backup must not be trusted.
class CorruptDataError : public Error
{
public:
    using Error::Error;
};

// The user-facing sentence of any exception (ndb::Error's message, what() otherwise).
QString describeException(const std::exception_ptr &error);
// "cancelled", "refused", "not-found", "invalid", "corrupt" or "failed": the class of a failure, for exit
// codes and for deciding what a failure means for the data.
QString exceptionKind(const std::exception_ptr &error);

} // namespace ndb
