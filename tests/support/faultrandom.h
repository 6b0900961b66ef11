#pragma once
// Seeded randomness for the fault tier: every run prints its seed, and the variable replays it.
#include <QRandomGenerator>
#include <QString>

namespace ndbtest {

// The seed from environment variable `variable` when set, else a fresh one; printed with how
// to replay it ("<what> seed: N (replay with VARIABLE=N)").
quint32 replayableSeed(const char *variable, const char *what);

// Writes `bytes` of incompressible data from `random` over the start of `path` (created if
// missing) and fsyncs it. Empty on success, else what went wrong.
QString writeRandomData(const QString &path, qint64 bytes, QRandomGenerator &random);

} // namespace ndbtest
