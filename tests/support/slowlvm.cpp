#include "slowlvm.h"

#include "util/error.h"

#include <QDir>
#include <QFile>

namespace ndbtest {

SlowLvm::SlowLvm(const QString &dir, int seconds, const QString &marker)
    : m_oldPath(qgetenv("PATH"))
{
    const QString bin = dir + QStringLiteral("/bin");
    const QString sleep = marker.isEmpty() ? QStringLiteral("sleep %1").arg(seconds)
                                           : QStringLiteral("if [ -e '%1' ]; then sleep %2; fi").arg(marker).arg(seconds);
    const QByteArray script = QStringLiteral(R"(#!/bin/sh
if [ "$1" != lvs ]; then echo "fake lvm: $1 is not supported" >&2; exit 5; fi
%1
cat <<'EOF'
{"report":[{"lv":[{"vg_name":"vgslow","lv_name":"data","lv_uuid":"aaaaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaaaa","lv_size":"8388608","lv_attr":"-wi-------","lv_tags":"","origin":"","pool_lv":"","segtype":"linear","vg_extent_size":"4194304","vg_free":"4194304"}]}]}
EOF
)").arg(sleep).toUtf8();
    QFile lvm(bin + QStringLiteral("/lvm"));
    if (!QDir().mkpath(bin) || !lvm.open(QIODevice::WriteOnly) || lvm.write(script) != script.size())
        throw ndb::Error(QStringLiteral("cannot write %1").arg(lvm.fileName()));
    lvm.close();
    if (!lvm.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner))
        throw ndb::Error(QStringLiteral("cannot make %1 executable").arg(lvm.fileName()));
    qputenv("PATH", QFile::encodeName(bin) + ':' + m_oldPath);
}

SlowLvm::~SlowLvm()
{
    qputenv("PATH", m_oldPath);
}

} // namespace ndbtest
