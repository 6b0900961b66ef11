#include "devmapper.h"
#include "util/error.h"

#include <libdevmapper.h>

#include <QFileInfo>

#include <cstdarg>
#include <cstdio>
#include <memory>
#include <mutex>

namespace ndb::dm {

namespace {

std::mutex g_mutex;
thread_local QString t_lastMessage;

// libdevmapper prints to stderr by default; keep its errors for our exception text instead.
void quietLog(int level, const char *file, int line, int dmErrno, const char *format, ...)
{
    if ((level & 7) > 3) // keep errors (3) and worse; drop warnings, notices, debug
        return;
    char buffer[512];
    va_list ap;
    va_start(ap, format);
    std::vsnprintf(buffer, sizeof buffer, format, ap);
    va_end(ap);
    t_lastMessage = QString::fromLocal8Bit(buffer);
}

void initOnce()
{
    static std::once_flag once;
    std::call_once(once, [] { dm_log_with_errno_init(quietLog); });
}

struct TaskDeleter
{
    void operator()(dm_task *t) const { dm_task_destroy(t); }
};
using TaskPtr = std::unique_ptr<dm_task, TaskDeleter>;

TaskPtr runTask(int type, const QString &dmName, dm_info &info)
{
    initOnce();
    t_lastMessage.clear();
    TaskPtr task(dm_task_create(type));
    if (!task)
        throw Error(QStringLiteral("device-mapper: cannot create a task"));
    if (!dm_task_set_name(task.get(), dmName.toUtf8().constData()))
        throw Error(QStringLiteral("device-mapper: invalid device name '%1'").arg(dmName));
    if (!dm_task_run(task.get()))
        throw Error(QStringLiteral("device-mapper query of %1 failed%2")
                        .arg(dmName, t_lastMessage.isEmpty() ? QString() : QStringLiteral(": ") + t_lastMessage));
    if (!dm_task_get_info(task.get(), &info))
        throw Error(QStringLiteral("device-mapper: no information returned for %1").arg(dmName));
    return task;
}

} // namespace

bool available()
{
    return QFileInfo::exists(QStringLiteral("/dev/mapper/control"));
}

QString deviceName(const QString &vg, const QString &lv)
{
    QString a = vg, b = lv;
    return a.replace(QLatin1Char('-'), QLatin1String("--")) + QLatin1Char('-')
           + b.replace(QLatin1Char('-'), QLatin1String("--"));
}

DeviceInfo deviceInfo(const QString &dmName)
{
    std::lock_guard lock(g_mutex);
    dm_info info {};
    runTask(DM_DEVICE_INFO, dmName, info);
    DeviceInfo out;
    out.exists = info.exists;
    if (info.exists) {
        out.suspended = info.suspended;
        out.openCount = info.open_count;
        out.major = int(info.major);
        out.minor = int(info.minor);
    }
    return out;
}

void resumeDevice(const QString &dmName)
{
    std::lock_guard lock(g_mutex);
    dm_info info {};
    // An lvcreate that died while the origin was suspended had already loaded the origin's new
    // table (snapshot-origin over a "-real" device that never went live): resuming into it gives
    // the workload I/O errors. Dropping the inactive table first resumes the table the origin had.
    runTask(DM_DEVICE_CLEAR, dmName, info);
    runTask(DM_DEVICE_RESUME, dmName, info);
}

QList<Target> deviceStatus(const QString &dmName)
{
    std::lock_guard lock(g_mutex);
    dm_info info {};
    TaskPtr task = runTask(DM_DEVICE_STATUS, dmName, info);
    QList<Target> targets;
    if (!info.exists)
        return targets;
    void *next = nullptr;
    do {
        uint64_t start = 0, length = 0;
        char *type = nullptr, *params = nullptr;
        next = dm_get_next_target(task.get(), next, &start, &length, &type, &params);
        if (!type)
            break;
        targets.append(Target{qint64(start), qint64(length), QString::fromLatin1(type),
                              QString::fromLatin1(params ? params : "")});
    } while (next);
    return targets;
}

SnapshotStatus parseSnapshotStatus(const QString &params)
{
    SnapshotStatus s;
    const QString p = params.trimmed();
    if (p == QLatin1String("Invalid")) {
        s.state = SnapshotStatus::State::Invalid;
    } else if (p == QLatin1String("Overflow")) {
        s.state = SnapshotStatus::State::Overflow;
    } else if (p == QLatin1String("Merge failed")) {
        s.state = SnapshotStatus::State::MergeFailed;
    } else {
        const QStringList words = p.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        const QStringList ratio = words.value(0).split(QLatin1Char('/'));
        bool ok1 = false, ok2 = false;
        if (ratio.size() == 2) {
            s.usedSectors = ratio[0].toLongLong(&ok1);
            s.totalSectors = ratio[1].toLongLong(&ok2);
        }
        if (ok1 && ok2) {
            s.state = SnapshotStatus::State::Valid;
            s.metadataSectors = words.value(1).toLongLong();
        }
    }
    return s;
}

} // namespace ndb::dm
