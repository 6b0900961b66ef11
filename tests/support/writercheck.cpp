#include "writercheck.h"
#include "writerformat.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QRegularExpression>
#include <QThread>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <vector>

namespace ndbtest {

using namespace writer;

namespace {

QList<QByteArray> logLines(const QString &logPath, qint64 upTo = -1)
{
    QFile f(logPath);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QByteArray data = upTo >= 0 ? f.read(upTo) : f.readAll();
    // Only complete lines are records.
    const int end = data.lastIndexOf('\n');
    data.truncate(end + 1);
    QList<QByteArray> lines = data.split('\n');
    if (!lines.isEmpty() && lines.last().isEmpty())
        lines.removeLast();
    return lines;
}

quint64 headerValue(const QByteArray &header, const QByteArray &key)
{
    for (const QByteArray &field : header.split(' '))
        if (field.startsWith(key + '='))
            return field.mid(key.size() + 1).toULongLong();
    return 0;
}

} // namespace

QString writerExecutable()
{
    QStringList candidates;
    const QString build = qEnvironmentVariable("NDB_BUILD_DIR");
    if (!build.isEmpty())
        candidates << build + QStringLiteral("/tests/ndb-test-writer");
    candidates << QCoreApplication::applicationDirPath() + QStringLiteral("/ndb-test-writer");
    for (const QString &c : candidates)
        if (QFileInfo(c).isExecutable())
            return c;
    return {};
}

int loggedRecords(const QString &logPath)
{
    const QList<QByteArray> lines = logLines(logPath);
    int n = 0;
    for (const QByteArray &l : lines)
        if (l.startsWith("seq ") || l.startsWith("done "))
            ++n;
    return n;
}

qint64 logPosition(const QString &logPath)
{
    return QFileInfo(logPath).size();
}

qint64 lastLoggedSeq(const QString &logPath)
{
    const QList<QByteArray> lines = logLines(logPath);
    for (auto it = lines.crbegin(); it != lines.crend(); ++it)
        if (it->startsWith("seq "))
            return it->mid(4).toLongLong();
    return 0;
}

std::unique_ptr<QProcess> startWriter(const QString &mode, const QString &target, const QString &logPath,
                                      int minRecords, QString &error, const QStringList &extra)
{
    const QString exe = writerExecutable();
    if (exe.isEmpty()) {
        error = QStringLiteral("ndb-test-writer not found (build the target; NDB_BUILD_DIR=%1)")
                    .arg(qEnvironmentVariable("NDB_BUILD_DIR"));
        return nullptr;
    }
    auto process = std::make_unique<QProcess>();
    process->setProgram(exe);
    process->setArguments(QStringList{mode, target, QStringLiteral("--log"), logPath} + extra);
    process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    process->start();
    if (!process->waitForStarted(10000)) {
        error = QStringLiteral("cannot start %1: %2").arg(exe, process->errorString());
        return nullptr;
    }
    QDeadlineTimer deadline(60000);
    while (loggedRecords(logPath) < minRecords) {
        if (process->state() != QProcess::Running) {
            error = QStringLiteral("ndb-test-writer exited early (code %1)").arg(process->exitCode());
            return nullptr;
        }
        if (deadline.hasExpired()) {
            error = QStringLiteral("ndb-test-writer logged fewer than %1 writes within 60 s").arg(minRecords);
            process->kill();
            process->waitForFinished();
            return nullptr;
        }
        QThread::msleep(20);
    }
    return process;
}

bool stopWriter(QProcess &writer, QString &error)
{
    if (writer.state() == QProcess::Running) {
        ::kill(pid_t(writer.processId()), SIGTERM);
        if (!writer.waitForFinished(60000)) {
            writer.kill();
            writer.waitForFinished();
            error = QStringLiteral("ndb-test-writer did not stop on SIGTERM");
            return false;
        }
    }
    if (writer.exitStatus() != QProcess::NormalExit || writer.exitCode() != 0) {
        error = QStringLiteral("ndb-test-writer failed (exit %1)").arg(writer.exitCode());
        return false;
    }
    return true;
}

WriterCheck checkRawPrefix(const QString &image, const QString &logPath, qint64 minSeq)
{
    WriterCheck result;
    const QList<QByteArray> lines = logLines(logPath);
    if (lines.isEmpty() || !lines.first().startsWith("raw ")) {
        result.message = QStringLiteral("%1 is not a raw writer log").arg(logPath);
        return result;
    }
    const quint64 blocks = headerValue(lines.first(), "blocks");
    const quint64 seed = headerValue(lines.first(), "seed");
    result.lastLogged = lastLoggedSeq(logPath);

    QFile f(image);
    if (!f.open(QIODevice::ReadOnly)) {
        result.message = QStringLiteral("cannot open %1: %2").arg(image, f.errorString());
        return result;
    }
    // Pass 1: what each block holds, and the newest write in the image.
    std::vector<quint64> found(blocks, 0); // seq in each block, 0 = not a writer block
    QByteArray buffer;
    for (quint64 b = 0; b < blocks; ++b) {
        buffer = f.read(kBlockSize);
        if (buffer.size() != kBlockSize) {
            result.message = QStringLiteral("%1 is shorter than the %2 blocks written").arg(image).arg(blocks);
            return result;
        }
        const auto *data = reinterpret_cast<const unsigned char *>(buffer.constData());
        BlockHeader h;
        const int kind = parseBlock(data, h);
        if (kind < 0) {
            result.message = QStringLiteral("block %1 is torn (bad checksum)").arg(b);
            return result;
        }
        if (kind > 0) {
            if (h.block != b || h.seed != seed) {
                result.message = QStringLiteral("block %1 holds data written for block %2 (seed %3)").arg(b).arg(h.block).arg(h.seed);
                return result;
            }
            found[b] = h.seq;
            result.maxSeq = std::max<qint64>(result.maxSeq, qint64(h.seq));
        } else {
            for (int i = 0; i < kBlockSize; ++i)
                if (data[i] != 0) {
                    result.message = QStringLiteral("block %1 is neither initial (zero) content nor a writer block").arg(b);
                    return result;
                }
        }
    }
    // Pass 2: replay writes 1..k; each block must be exactly the last of them that touched it.
    const quint64 k = quint64(result.maxSeq);
    std::vector<quint64> expectedSeq(blocks, 0);
    std::vector<quint32> generation(blocks, 0), expectedGeneration(blocks, 0);
    for (quint64 s = 1; s <= k; ++s) {
        const quint64 b = blockForSeq(seed, s, blocks);
        expectedSeq[b] = s;
        expectedGeneration[b] = ++generation[b];
    }
    unsigned char want[kBlockSize];
    for (quint64 b = 0; b < blocks; ++b) {
        if (found[b] != expectedSeq[b]) {
            result.message = QStringLiteral("not a point-in-time image: block %1 holds write %2 but the last write to it "
                                            "up to write %3 (the newest in the image) is %4")
                                 .arg(b).arg(found[b]).arg(k).arg(expectedSeq[b]);
            return result;
        }
        if (expectedSeq[b] != 0) {
            f.seek(qint64(b) * kBlockSize);
            buffer = f.read(kBlockSize);
            makeBlock(want, seed, expectedSeq[b], b, expectedGeneration[b]);
            if (std::memcmp(want, buffer.constData(), kBlockSize) != 0) {
                result.message = QStringLiteral("block %1 differs from write %2").arg(b).arg(expectedSeq[b]);
                return result;
            }
        }
        ++result.checked;
    }
    if (result.maxSeq < minSeq) {
        result.message = QStringLiteral("image holds writes up to %1 only, but write %2 was complete before the copy started")
                             .arg(result.maxSeq).arg(minSeq);
        return result;
    }
    if (result.maxSeq > result.lastLogged + 1) {
        result.message = QStringLiteral("image holds write %1 but the log ends at %2").arg(result.maxSeq).arg(result.lastLogged);
        return result;
    }
    result.ok = true;
    result.message = QStringLiteral("prefix state at write %1 of %2 logged; %3 blocks verified")
                         .arg(result.maxSeq).arg(result.lastLogged).arg(result.checked);
    return result;
}

WriterCheck checkFiles(const QString &root, const QString &logPath, qint64 position)
{
    WriterCheck result;
    const QList<QByteArray> lines = logLines(logPath);
    if (lines.isEmpty() || !lines.first().startsWith("files ")) {
        result.message = QStringLiteral("%1 is not a files writer log").arg(logPath);
        return result;
    }
    const QByteArray dirField = lines.first().split(' ').value(1);
    const QString dir = root + QLatin1Char('/') + QString::fromUtf8(dirField.mid(dirField.indexOf('=') + 1));

    // Per file: the version required at the instant, and every version logged after it.
    QHash<QString, QByteArray> required;
    QHash<QString, QList<QByteArray>> later;
    qint64 offset = 0;
    for (const QByteArray &line : lines) {
        const qint64 end = offset + line.size() + 1;
        if (line.startsWith("done ")) {
            const QList<QByteArray> f = line.split(' ');
            const QString name = QString::fromUtf8(f.value(1));
            if (end <= position)
                required[name] = f.value(2);
            else
                later[name] << f.value(2);
        }
        offset = end;
    }
    if (required.isEmpty()) {
        result.message = QStringLiteral("no file was logged complete before position %1").arg(position);
        return result;
    }
    for (auto it = required.cbegin(); it != required.cend(); ++it) {
        QFile file(dir + QLatin1Char('/') + it.key());
        if (!file.open(QIODevice::ReadOnly)) {
            result.message = QStringLiteral("file %1, complete before the copy, is missing from the copy").arg(it.key());
            return result;
        }
        const QByteArray sha = QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256).toHex();
        if (sha != it.value() && !later.value(it.key()).contains(sha)) {
            result.message = QStringLiteral("file %1 in the copy matches neither the version complete before the copy "
                                            "nor a later one").arg(it.key());
            return result;
        }
        ++result.checked;
    }
    result.ok = true;
    result.message = QStringLiteral("%1 files complete before the instant verified").arg(result.checked);
    return result;
}

} // namespace ndbtest
