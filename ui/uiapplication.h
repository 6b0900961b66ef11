#pragma once
// Start-up helpers shared by the application's main() and the GUI tests.
#include <QLocale>
#include <QString>

class QCoreApplication;

namespace ndb {

class UiApplication
{
public:
    // The UI language: NDBACKUP_LANG when set (tests, users who want English on a German
    // desktop), else the system locale.
    static QLocale uiLocale();
    // Installs the application's translation (embedded under :/i18n) and Qt's own (standard
    // buttons of dialogs and wizards) for uiLocale(); sets QLocale::setDefault. Returns whether
    // the application translation was found (for English: its plural forms).
    static bool installTranslators(QCoreApplication *app);
    // Makes sure the embedded icons are registered (the UI is a static library).
    static void initResources();
    // Icon, names and desktop-file name of the application.
    static void setApplicationIdentity();
};

} // namespace ndb
