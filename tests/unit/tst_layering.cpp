// Guards DESIGN's dependency direction (issue #10 part 5): app -> ui -> core, and inside core no
// folder includes the composition root (core/engine) above it. A source-tree check, on purpose:
// the rule is about what the code includes, not about what it does.
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QRegularExpression>
#include <QTest>

class TestLayering : public QObject
{
    Q_OBJECT

    QString m_root; // the source tree

    // Every `#include "..."` of every .h/.cpp below `dir`: "file:line: include".
    struct Include
    {
        QString file; // relative to the source root
        int line;
        QString target;
    };
    QList<Include> includes(const QString &dir) const
    {
        static const QRegularExpression re(QStringLiteral("^\\s*#\\s*include\\s*\"([^\"]+)\""));
        QList<Include> out;
        QDirIterator it(m_root + QLatin1Char('/') + dir, {QStringLiteral("*.h"), QStringLiteral("*.cpp")}, QDir::Files,
                        QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            QFile f(path);
            if (!f.open(QIODevice::ReadOnly))
                qFatal("cannot read %s", qPrintable(path));
            int n = 0;
            while (!f.atEnd()) {
                ++n;
                const QRegularExpressionMatch m = re.match(QString::fromUtf8(f.readLine()));
                if (m.hasMatch())
                    out << Include{QDir(m_root).relativeFilePath(path), n, m.captured(1)};
            }
        }
        return out;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_root = qEnvironmentVariable("NDB_SOURCE_DIR");
        QVERIFY2(!m_root.isEmpty() && QFileInfo(m_root + QStringLiteral("/core/engine/engine.h")).isFile(),
                 "NDB_SOURCE_DIR must name the source tree (ctest sets it); run this test through ctest");
    }

    // core/engine is the composition root: it may include every subsystem, none may include it.
    void nothingInCoreIncludesTheEngine()
    {
        QStringList offenders;
        const QList<Include> all = includes(QStringLiteral("core"));
        QVERIFY(all.size() > 100); // the walk found the tree
        for (const Include &i : all)
            if (!i.file.startsWith(QLatin1String("core/engine/")) && i.target.startsWith(QLatin1String("engine/")))
                offenders << QStringLiteral("%1:%2: %3").arg(i.file).arg(i.line).arg(i.target);
        QVERIFY2(offenders.isEmpty(), qPrintable(QStringLiteral("core/ includes core/engine from below (take your own options "
                                                                "instead):\n") + offenders.join(QLatin1Char('\n'))));
    }

    // core is a library under every front end: each of its quoted includes is a file of core.
    void coreIncludesNothingAboveIt()
    {
        QStringList offenders;
        for (const Include &i : includes(QStringLiteral("core"))) {
            const QString besides = QFileInfo(m_root + QLatin1Char('/') + i.file).absolutePath() + QLatin1Char('/') + i.target;
            const QString fromCore = m_root + QStringLiteral("/core/") + i.target;
            if (!QFileInfo(besides).isFile() && !QFileInfo(fromCore).isFile())
                offenders << QStringLiteral("%1:%2: %3").arg(i.file).arg(i.line).arg(i.target);
        }
        QVERIFY2(offenders.isEmpty(), qPrintable(QStringLiteral("core/ includes something outside core (ui/, app/ ...):\n")
                                                 + offenders.join(QLatin1Char('\n'))));
    }

    // #10 part 3: no nested event loop waits for a coroutine in the library; runSync is for
    // main()s and tests. Storage work runs on a worker thread's own loop (util/coroutinethread.h).
    void runSyncOnlyInMainsAndTests()
    {
        static const QRegularExpression call(QStringLiteral("\\brunSync\\s*[(<]"));
        QStringList offenders;
        for (const QString &dir : {QStringLiteral("core"), QStringLiteral("ui")}) {
            QDirIterator it(m_root + QLatin1Char('/') + dir, {QStringLiteral("*.h"), QStringLiteral("*.cpp")}, QDir::Files,
                            QDirIterator::Subdirectories);
            while (it.hasNext()) {
                const QString path = it.next();
                const QString rel = QDir(m_root).relativeFilePath(path);
                if (rel == QLatin1String("core/util/runsync.h"))
                    continue;
                QFile f(path);
                QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(path));
                int n = 0;
                while (!f.atEnd()) {
                    ++n;
                    const QString line = QString::fromUtf8(f.readLine());
                    if (call.match(line).hasMatch() && !line.trimmed().startsWith(QLatin1String("//")))
                        offenders << QStringLiteral("%1:%2: %3").arg(rel).arg(n).arg(line.trimmed());
                }
            }
        }
        QVERIFY2(offenders.isEmpty(), qPrintable(QStringLiteral("runSync outside main()s and tests (use a worker thread):\n")
                                                 + offenders.join(QLatin1Char('\n'))));
    }

    // No front end lives in core: the command line is app/cli, the widgets ui/.
    void frontEndsLiveOutsideCore()
    {
        QVERIFY2(QDir(m_root + QStringLiteral("/core/cli")).entryList(QDir::Files).isEmpty(), "core/cli has sources: the command line front end belongs in app/cli");
        QVERIFY(QFileInfo(m_root + QStringLiteral("/app/cli/commandline.cpp")).isFile());
    }
};

QTEST_GUILESS_MAIN(TestLayering)
#include "tst_layering.moc"
