#include "units.h"

namespace ndb {

QString formatSize(qint64 bytes, const QLocale &locale)
{
    return locale.formattedDataSize(bytes, 1, QLocale::DataSizeIecFormat);
}

QString formatRate(double bytesPerSecond, const QLocale &locale)
{
    return QStringLiteral("%1 MB/s").arg(locale.toString(bytesPerSecond / 1e6, 'f', 1));
}

} // namespace ndb
