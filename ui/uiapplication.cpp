#include "uiapplication.h"

#include <QApplication>
#include <QIcon>
#include <QLibraryInfo>
#include <QTranslator>

static void ndbInitUiResources()
{
    Q_INIT_RESOURCE(ndbackup);
}

namespace ndb {

QLocale UiApplication::uiLocale()
{
    const QString env = qEnvironmentVariable("NDBACKUP_LANG");
    return env.isEmpty() ? QLocale::system() : QLocale(env);
}

bool UiApplication::installTranslators(QCoreApplication *app)
{
    initResources();
    const QLocale locale = uiLocale();
    QLocale::setDefault(locale);
    if (locale.language() == QLocale::English || locale.language() == QLocale::C) {
        // English needs only the plural forms of "%n job(s)" and the like.
        auto *plurals = new QTranslator(app);
        if (plurals->load(QStringLiteral("ndbackup_en"), QStringLiteral(":/i18n"))) {
            app->installTranslator(plurals);
            return true;
        }
        delete plurals;
        return false;
    }

    auto *qt = new QTranslator(app);
    if (qt->load(locale, QStringLiteral("qt"), QStringLiteral("_"),
                 QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        app->installTranslator(qt);
    else
        delete qt;

    auto *own = new QTranslator(app);
    if (own->load(locale, QStringLiteral("ndbackup"), QStringLiteral("_"), QStringLiteral(":/i18n"))) {
        app->installTranslator(own);
        return true;
    }
    delete own;
    return false;
}

void UiApplication::initResources()
{
    static bool done = false;
    if (!done) {
        ndbInitUiResources();
        done = true;
    }
}

void UiApplication::setApplicationIdentity()
{
    initResources();
    QCoreApplication::setOrganizationName(QStringLiteral("ndbackup"));
    QCoreApplication::setApplicationName(QStringLiteral("ndbackup"));
    QGuiApplication::setApplicationDisplayName(QStringLiteral("ndbackup"));
    QGuiApplication::setDesktopFileName(QStringLiteral("org.ndbackup.ndbackup"));
    QGuiApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/ndbackup.svg")));
}

} // namespace ndb
