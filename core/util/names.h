#pragma once
// Validation of every name that reaches a path or a command line (volumes, containers, backups).
#include <QString>

namespace ndb {

// Prefix reserved for the engine's temporary objects; users cannot create names with it.
inline constexpr auto kTempPrefix = "ndbackup-";

// Throws ndb::InvalidInputError naming `what` unless `name` is 1..128 characters of [A-Za-z0-9._+-],
// starts with a letter or digit and is not "." / "..": no path separators, no shell syntax.
void validateName(const QString &name, const QString &what);
// validateName() plus: must not use the reserved temporary prefix.
void validateUserName(const QString &name, const QString &what);
// Free text (backup name, description): any printable text up to `maxLength`, no control characters.
void validateText(const QString &text, const QString &what, int maxLength);

} // namespace ndb
