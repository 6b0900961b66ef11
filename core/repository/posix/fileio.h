#pragma once
// Small durable-file helpers of the posix chunk store. All throw ndb::Error naming the path.
#include <QByteArray>
#include <QString>

namespace ndb::fileio {

QString errnoText(int err);
// For errors that mean the container cannot be written (read-only filesystem, permissions):
// a sentence saying what to do; empty for other errors.
QString writableHint(int err);
QByteArray native(const QString &path);

void writeFully(int fd, const char *data, qint64 length, const QString &path);
void pwriteFully(int fd, const char *data, qint64 length, qint64 offset, const QString &path);
void fsyncDirectory(const QString &dir);
// Writes `data` to `finalPath` durably: temp file, fsync, rename (or link when it must not
// replace an existing file: then returns false if it exists), and unless told otherwise an
// fsync of the directory.
bool writeFileAtomically(const QString &finalPath, const QByteArray &data, bool mayReplace,
                         bool syncDirectory = true);
void makeDirectory(const QString &path);

} // namespace ndb::fileio
