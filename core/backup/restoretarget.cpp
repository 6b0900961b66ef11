#include "restoretarget.h"

#include "util/error.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace ndb {

namespace {

// The real path of `path`, also when the file itself does not exist yet (its directory must).
QString realPath(const QString &path)
{
    const QFileInfo info(path);
    const QString canonical = info.canonicalFilePath();
    if (!canonical.isEmpty())
        return canonical;
    if (info.isSymLink()) // dangling: the file would be created where the link points
        return realPath(info.symLinkTarget());
    const QString dir = QFileInfo(info.absolutePath()).canonicalFilePath();
    return dir.isEmpty() ? QString() : QDir(dir).filePath(info.fileName());
}

bool isInside(const QString &file, const QString &dir)
{
    const QString real = realPath(dir);
    if (real.isEmpty())
        return false;
    return file == real || file.startsWith(real.endsWith(QLatin1Char('/')) ? real : real + QLatin1Char('/'));
}

// Files the kernel's loop devices read and write (an attached pool image, a temporary volume).
QStringList loopBackingFiles()
{
    QStringList files;
    for (const QString &loop : QDir(QStringLiteral("/sys/block")).entryList({QStringLiteral("loop*")}, QDir::Dirs)) {
        QFile f(QStringLiteral("/sys/block/%1/loop/backing_file").arg(loop));
        if (f.open(QIODevice::ReadOnly))
            files << QString::fromLocal8Bit(f.readAll().trimmed());
    }
    return files;
}

// Files this process holds open (catalog, packs being written, sources being read).
QStringList openFiles()
{
    QStringList files;
    for (const QFileInfo &fd : QDir(QStringLiteral("/proc/self/fd")).entryInfoList(QDir::System | QDir::NoDotAndDotDot))
        files << fd.symLinkTarget();
    return files;
}

} // namespace

QString checkRestoreFileTarget(const ProtectedPaths &config, const QString &path, bool overwrite)
{
    if (path.isEmpty())
        throw InvalidInputError(QStringLiteral("restore to a file needs a file path"));
    const QFileInfo given(path);
    if (!QFileInfo(given.absolutePath()).isDir())
        throw NotFoundError(QStringLiteral("directory %1 does not exist; create it first or choose another file")
                                .arg(given.absolutePath()));
    const QString target = realPath(path);
    if (target.isEmpty())
        throw NotFoundError(QStringLiteral("cannot resolve %1").arg(path));
    const QString shown = target == given.absoluteFilePath() ? target : QStringLiteral("%1 (%2)").arg(path, target);
    const QString outside = QStringLiteral("choose a file outside the storage, the repository and the catalog");
    auto refuse = [&](const QString &why, const QString &advice) {
        throw RefusedError(QStringLiteral("Refusing to restore into %1: %2; %3.").arg(shown, why, advice));
    };

    for (const QString &pool : config.imagePools)
        if (isInside(target, pool))
            refuse(QStringLiteral("it is inside the image pool %1").arg(pool), outside);
    if (isInside(target, config.repositoryRoot))
        refuse(QStringLiteral("it is inside the repository root %1").arg(config.repositoryRoot), outside);
    const QString catalog = realPath(config.catalogPath);
    for (const QString &suffix : {QString(), QStringLiteral("-wal"), QStringLiteral("-shm"), QStringLiteral("-journal")})
        if (!catalog.isEmpty() && target == catalog + suffix)
            refuse(QStringLiteral("it is the catalog %1").arg(config.catalogPath + suffix), outside);
    for (const QString &backing : loopBackingFiles())
        if (target == backing || target == realPath(backing))
            refuse(QStringLiteral("a loop device reads and writes it (it is an attached volume)"), outside);
    for (const QString &open : openFiles())
        if (target == open)
            refuse(QStringLiteral("ndbackup itself has it open"), outside);

    const QFileInfo info(target);
    if (info.exists() && !info.isFile())
        refuse(QStringLiteral("it exists and is not a regular file"), QStringLiteral("choose a regular file"));
    if (info.exists() && !overwrite)
        refuse(QStringLiteral("the file exists"),
               QStringLiteral("pass --overwrite (or confirm the overwrite in the restore wizard) to replace it"));
    return target;
}

} // namespace ndb
