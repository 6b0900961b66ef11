// Runs tests/support's writer checkers inside the vm guest:
//   ndb-writer-check files ROOT LOG POSITION   every file completed before POSITION is intact
//   ndb-writer-check raw IMAGE LOG MINSEQ       the image is one point in time of the raw writes
#include "support/writercheck.h"

#include <QCoreApplication>
#include <QTextStream>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList a = app.arguments();
    QTextStream out(stdout);
    if (a.size() != 5 || (a[1] != QLatin1String("files") && a[1] != QLatin1String("raw"))) {
        out << "usage: ndb-writer-check files ROOT LOG POSITION | raw IMAGE LOG MINSEQ\n";
        return 2;
    }
    const ndbtest::WriterCheck c = a[1] == QLatin1String("files")
                                       ? ndbtest::checkFiles(a[2], a[3], a[4].toLongLong())
                                       : ndbtest::checkRawPrefix(a[2], a[3], a[4].toLongLong());
    out << (c.ok ? "ok: " : "FAILED: ") << c.message << Qt::endl;
    return c.ok ? 0 : 1;
}
