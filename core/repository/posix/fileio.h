#pragma once
// Small durable-file helpers of the posix chunk store. All throw ndb::Error naming the path.
#include <QByteArray>
#include <QString>

namespace ndb::fileio {

QString errnoText(int err);
QByteArray native(const QString &path);

void writeFully(int fd, const char *data, qint64 length, const QString &path);
void pwriteFully(int fd, const char *data, qint64 length, qint64 offset, const QString &path);
void fsyncDirectory(const QString &dir);
// Writes `data` to `finalPath` durably: temp file, fsync, rename (or link when it must not
// replace an existing file), and unless told otherwise an fsync of the directory.
void writeFileAtomically(const QString &finalPath, const QByteArray &data, bool mayReplace,
                         bool syncDirectory = true);
QByteArray readWholeFile(const QString &path);
void makeDirectory(const QString &path);

} // namespace ndb::fileio
