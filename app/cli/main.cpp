// ndbackupctl: thin main; the command line front end lives next to it (commandline.*).
#include "commandline.h"

#include <QCoreApplication>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("ndbackup"));
    QCoreApplication::setApplicationVersion(QStringLiteral(NDBACKUP_VERSION));
    return ndb::CommandLine(QCoreApplication::arguments()).run();
}
