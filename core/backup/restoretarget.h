#pragma once
// Where a restore into a file may write. A file target must never land on something the engine
// or the storage lives on: a pool image (possibly attached), the repository, the catalog.
#include <QString>
#include <QStringList>

namespace ndb {

// What a file target must stay out of (the engine fills it from its configuration).
struct ProtectedPaths
{
    QStringList imagePools;
    QString repositoryRoot;
    QString catalogPath;
};

// Suffix of the file a restore writes before renaming it onto its target.
inline constexpr auto kPartialSuffix = ".ndbackup-partial";

// Resolves `path` (symlinks included) and returns the real path to write. Throws RefusedError
// naming the reason when it is inside a configured image pool or the repository root, is the
// catalog (or its -wal/-shm/-journal), backs a loop device, is open in this process, is not a
// regular file, or exists while `overwrite` is false; NotFoundError when its directory is missing.
QString checkRestoreFileTarget(const ProtectedPaths &config, const QString &path, bool overwrite);

} // namespace ndb
