#include "faultrandom.h"

#include <QDebug>
#include <QFile>

#include <unistd.h>

namespace ndbtest {

quint32 replayableSeed(const char *variable, const char *what)
{
    bool ok = false;
    quint32 seed = qEnvironmentVariable(variable).toUInt(&ok);
    if (!ok)
        seed = QRandomGenerator::system()->generate();
    qInfo().noquote() << what << "seed:" << seed
                      << QStringLiteral("(replay with %1=%2)").arg(QLatin1String(variable)).arg(seed);
    return seed;
}

QString writeRandomData(const QString &path, qint64 bytes, QRandomGenerator &random)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadWrite))
        return path + QStringLiteral(": ") + f.errorString();
    QByteArray block(1 << 20, Qt::Uninitialized);
    for (qint64 done = 0; done < bytes; done += block.size()) {
        random.fillRange(reinterpret_cast<quint32 *>(block.data()), block.size() / 4);
        const qint64 n = qMin<qint64>(block.size(), bytes - done);
        if (f.write(block.constData(), n) != n)
            return path + QStringLiteral(": ") + f.errorString();
    }
    if (!f.flush() || ::fsync(f.handle()) != 0)
        return path + QStringLiteral(": cannot flush");
    return {};
}

} // namespace ndbtest
