#include "repository/repository.h"

#include "repository/chunkstore.h"
#include "repository/posix/fileio.h"
#include "repository/posix/posixbackend.h"
#include "util/error.h"

#include <QDir>
#include <QFileInfo>

namespace ndb {

namespace {

// Today every location is a posix directory; S3 and Swift locations get their backends here.
std::unique_ptr<Repository> openPosix(const QString &directory, const RepositoryConfig *createDefaults)
{
    if (directory.isEmpty())
        throw Error(QStringLiteral("No container directory given"));
    const QString dir = QDir(directory).absolutePath();
    if (createDefaults)
        fileio::makeDirectory(dir);
    else if (!QFileInfo(dir).isDir())
        throw NotFoundError(QStringLiteral("There is no container at %1: the directory does not exist. Check the "
                                           "container name and the repository root; a backup creates the container.")
                                .arg(dir));
    return ChunkStore::open(std::make_unique<PosixBackend>(dir), std::make_unique<PosixLock>(dir), createDefaults);
}

} // namespace

QString chunkIdHex(const QByteArray &id)
{
    return QString::fromLatin1(id.toHex());
}

std::unique_ptr<Repository> Repository::openOrCreate(const QString &directory, const RepositoryConfig &defaults)
{
    return openPosix(directory, &defaults);
}

std::unique_ptr<Repository> Repository::open(const QString &directory)
{
    return openPosix(directory, nullptr);
}

bool Repository::exists(const QString &directory)
{
    // Anything of a container counts, a damaged one too: open() then says what is wrong.
    const QDir dir(directory);
    return dir.exists(QStringLiteral("config")) || dir.exists(QStringLiteral("manifests"))
        || dir.exists(QStringLiteral("packs"));
}

} // namespace ndb
