#pragma once
// Helpers shared by the fuzz targets. A target passes when the code under test either accepts the
// input or throws ndb::Error (the documented way to reject bad bytes); any other exception, a
// sanitizer report, a crash or a broken invariant (check()) is a finding.
#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QtGlobal>
#include <QTemporaryDir>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ndb::fuzz {

inline QByteArray bytes(const uint8_t *data, size_t size)
{
    return QByteArray(reinterpret_cast<const char *>(data), qsizetype(size));
}

// A broken invariant: abort so libFuzzer saves the input.
#define NDB_FUZZ_CHECK(condition)                                                                 \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            std::fprintf(stderr, "fuzz invariant broken: %s (%s:%d)\n", #condition, __FILE__, __LINE__); \
            std::abort();                                                                          \
        }                                                                                          \
    } while (0)

// Damaged inputs make the code under test warn (e.g. a corrupt pack index); at thousands of
// inputs a second that would drown libFuzzer's own report.
inline const bool quietMessages = [] {
    qInstallMessageHandler([](QtMsgType, const QMessageLogContext &, const QString &) {});
    return true;
}();

// One scratch directory per fuzzing process, removed at exit.
inline const QString &scratchDir()
{
    static QTemporaryDir dir(QDir::tempPath() + QStringLiteral("/ndb-fuzz-XXXXXX"));
    NDB_FUZZ_CHECK(dir.isValid());
    static const QString path = dir.path();
    return path;
}

inline void writeFile(const QString &path, const QByteArray &content)
{
    QDir().mkpath(path.left(path.lastIndexOf(QLatin1Char('/'))));
    FILE *f = std::fopen(QFile::encodeName(path).constData(), "wb");
    NDB_FUZZ_CHECK(f);
    NDB_FUZZ_CHECK(std::fwrite(content.constData(), 1, size_t(content.size()), f) == size_t(content.size()));
    std::fclose(f);
}

} // namespace ndb::fuzz
