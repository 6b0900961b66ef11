#pragma once
// The one way sizes and rates are written, for the CLI, the event log, reports and the GUI:
// sizes in binary units (KiB, MiB, GiB: a 32 MiB volume is "32.0 MiB" everywhere), rates in
// decimal megabytes per second ("4.0 MB/s", the unit the bandwidth limit is given in).
#include <QLocale>
#include <QString>

namespace ndb {

// "512 bytes", "1.5 KiB", "32.0 MiB", "2.0 GiB"; the locale's decimal separator.
QString formatSize(qint64 bytes, const QLocale &locale = QLocale::c());
// "4.0 MB/s" (10^6 bytes per second).
QString formatRate(double bytesPerSecond, const QLocale &locale = QLocale::c());

} // namespace ndb
