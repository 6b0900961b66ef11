#pragma once
// A slow `lvm` for tests of what must not wait for storage (a window, the agent's API): a script placed first in
// PATH whose `lvm lvs ...` answers after `seconds` (only while `marker` exists, when one is
// given) with one inactive (so: available) LV vgslow/data; every other lvm command fails, as it
// would on a host without that VG. The destructor restores PATH. Child processes started while
// it lives (an ndbackup-agent) inherit it.
#include <QByteArray>
#include <QString>

namespace ndbtest {

class SlowLvm
{
public:
    // Writes `dir`/bin/lvm and puts it first in PATH. Throws (ndb::Error) when it cannot.
    SlowLvm(const QString &dir, int seconds, const QString &marker = {});
    ~SlowLvm();
    SlowLvm(const SlowLvm &) = delete;
    SlowLvm &operator=(const SlowLvm &) = delete;

    static QString volumeGroup() { return QStringLiteral("vgslow"); }
    static QString volumeId() { return QStringLiteral("lvm:vgslow/data"); }

private:
    QByteArray m_oldPath;
};

} // namespace ndbtest
