#pragma once
// ndbackupctl: the scripting front end over the same engine and catalog as the GUI.
// Widget-free; app/cli/main.cpp only constructs it and returns run()'s exit code.
#include <QMap>
#include <QStringList>
#include <QTextStream>

class QCommandLineParser;

namespace ndb {

class Engine;
class JobHandle;
struct EngineConfig;
struct CommandSpec;

// Exit codes a script can rely on (also printed by --help).
enum ExitCode : int {
    ExitOk = 0,
    ExitFailed = 1,     // the operation ran and failed
    ExitUsage = 2,      // bad command line or invalid name/value; nothing was done
    ExitRefused = 3,    // refused by a status rule (e.g. force missing); nothing was created
    ExitNotFound = 4,   // no such volume, backup or container
    ExitCorrupt = 5,    // verify or restore found damaged data
    ExitStorage = 6,    // an I/O error or a full disk at a volume or the repository
    ExitNetwork = 7,    // a storage node could not be reached or broke the connection
    ExitCancelled = 130 // interrupted (SIGINT/SIGTERM); cleanup ran
};

class CommandLine
{
public:
    explicit CommandLine(QStringList arguments);
    int run();

private:
    int dispatch(Engine &engine, const QStringList &words);
    int cmdVolumes(Engine &engine);
    int cmdVolume(Engine &engine, const QStringList &words);
    int cmdBackupCreate(Engine &engine);
    int cmdBackupList(Engine &engine);
    int cmdBackupShow(Engine &engine, const QString &id);
    int cmdBackupRestore(Engine &engine, const QString &id);
    int cmdJobs(Engine &engine);
    int cmdJobShow(Engine &engine, const QString &id);
    int cmdCleanup(Engine &engine);
    int cmdDemo(Engine &engine);
    int cmdReport(Engine &engine);
    // agent trust/list/forget and show-fingerprint: the console's side of enrolment (no engine).
    int cmdAgent(const EngineConfig &config, const QStringList &words);
    // Runs a submitted job to its end with a progress line on a terminal; maps the outcome.
    int waitForJob(JobHandle *job);

    // Parses m_arguments; prints the error and returns false when they do not fit (`command`
    // null: any option of any command is accepted).
    bool parse(QCommandLineParser &parser, const CommandSpec *command);
    QString option(const QString &name) const;
    bool flag(const QString &name) const;
    QStringList values(const QString &name) const;

    QStringList m_arguments;
    QMap<QString, QStringList> m_options;
    QStringList m_words;
    bool m_json = false;
    bool m_quiet = false;
    QTextStream m_out;
    QTextStream m_err;
};

// "64M", "1.5G", "512k", "1GiB", "4096" -> bytes; -1 when not a size.
qint64 parseSize(const QString &text);

} // namespace ndb
