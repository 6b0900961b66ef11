// No two Alt+letter mnemonics on one screen: on every wizard page (with the wizard's own buttons
// as the style labels them, "&Next >"), in every dialog and in the main window, the &-letters of
// buttons, check boxes, labels with buddies, group boxes, tabs and menus are all different —
// in English and in German. (Alt+N on the backup wizard's second page focused "Name" instead of
// pressing Next.)
#include "support/guienv.h"

#include "backupwizard.h"
#include "mainwindow.h"
#include "reportsdialog.h"
#include "restorewizard.h"
#include "settingsdialog.h"
#include "storagenodespage.h"
#include "uiapplication.h"
#include "volumemodel.h"

#include <QAbstractButton>
#include <QAction>
#include <QGroupBox>
#include <QLabel>
#include <QMap>
#include <QMenuBar>
#include <QTabBar>
#include <QTabWidget>
#include <QTest>
#include <QWizard>

using namespace ndb;
using namespace ndbtest;

namespace {

// The letter after a single '&' ("&&" is a literal ampersand); null when there is none.
QChar mnemonic(const QString &text)
{
    for (int i = 0; i + 1 < text.size(); ++i) {
        if (text.at(i) != QLatin1Char('&'))
            continue;
        if (text.at(i + 1) == QLatin1Char('&')) {
            ++i;
            continue;
        }
        return text.at(i + 1).toLower();
    }
    return {};
}

class Mnemonics
{
public:
    void add(const QString &text)
    {
        const QChar c = mnemonic(text);
        if (!c.isNull())
            m_texts[c] << text;
    }
    // Everything under `root` that is not explicitly hidden (also before root is shown).
    void addWidgets(QWidget *root)
    {
        for (QWidget *w : root->findChildren<QWidget *>()) {
            if (!w->isVisibleTo(root))
                continue;
            if (auto *b = qobject_cast<QAbstractButton *>(w)) {
                // The wizard's own buttons are added per page, as the page labels them.
                if (!qobject_cast<QWizard *>(b->parentWidget()))
                    add(b->text());
            } else if (auto *l = qobject_cast<QLabel *>(w)) {
                if (l->buddy())
                    add(l->text());
            } else if (auto *g = qobject_cast<QGroupBox *>(w)) {
                add(g->title());
            } else if (auto *t = qobject_cast<QTabBar *>(w)) {
                for (int i = 0; i < t->count(); ++i)
                    add(t->tabText(i));
            } else if (auto *m = qobject_cast<QMenuBar *>(w)) {
                for (QAction *a : m->actions())
                    add(a->text());
            }
        }
    }
    QString clashes() const
    {
        QStringList out;
        for (auto it = m_texts.begin(); it != m_texts.end(); ++it)
            if (it.value().size() > 1)
                out << QStringLiteral("Alt+%1: %2").arg(it.key().toUpper(), it.value().join(QStringLiteral(" | ")));
        return out.join(QStringLiteral("; "));
    }

private:
    QMap<QChar, QStringList> m_texts;
};

// One screen per page of `wizard`: the page's widgets and the buttons QWizard shows with it.
QStringList wizardClashes(QWizard *wizard)
{
    QStringList out;
    for (int id : wizard->pageIds()) {
        QWizardPage *page = wizard->page(id);
        Mnemonics m;
        m.addWidgets(page);
        const bool last = page->nextId() == -1;
        if (id != wizard->startId())
            m.add(page->buttonText(QWizard::BackButton));
        if (!last)
            m.add(page->buttonText(page->isCommitPage() ? QWizard::CommitButton : QWizard::NextButton));
        if (last || wizard->testOption(QWizard::HaveFinishButtonOnEarlyPages))
            m.add(page->buttonText(QWizard::FinishButton));
        if (!wizard->testOption(QWizard::NoCancelButton))
            m.add(page->buttonText(QWizard::CancelButton));
        const QString c = m.clashes();
        if (!c.isEmpty())
            out << QStringLiteral("%1, page \"%2\": %3").arg(wizard->metaObject()->className(), page->title(), c);
    }
    return out;
}

QString dialogClashes(QWidget *dialog)
{
    Mnemonics m;
    m.addWidgets(dialog);
    const QString c = m.clashes();
    return c.isEmpty() ? QString() : QStringLiteral("%1: %2").arg(dialog->metaObject()->className(), c);
}

QStringList allClashes(GuiEnv &env)
{
    QStringList out;
    MainWindow window(env.engine(), env.dir() + QStringLiteral("/ndbackup.conf"));
    // The main window's volumes screen: menus, tabs, the filter.
    {
        Mnemonics m;
        for (QAction *a : window.menuBar()->actions())
            m.add(a->text());
        m.addWidgets(window.tabs()->widget(0));
        for (int i = 0; i < window.tabs()->count(); ++i)
            m.add(window.tabs()->tabText(i));
        if (const QString c = m.clashes(); !c.isEmpty())
            out << QStringLiteral("main window: ") + c;
    }
    // The History screen: the same menus and tabs, its filters and its own Jobs/Charts tabs.
    {
        Mnemonics m;
        for (QAction *a : window.menuBar()->actions())
            m.add(a->text());
        m.addWidgets(window.tabs()->widget(1));
        for (int i = 0; i < window.tabs()->count(); ++i)
            m.add(window.tabs()->tabText(i));
        if (const QString c = m.clashes(); !c.isEmpty())
            out << QStringLiteral("main window, History: ") + c;
    }
    {
        BackupWizard wizard(env.engine(), window.volumeModel()->volumes(), {env.inUseVolumeId()}, &window);
        out << wizardClashes(&wizard);
    }
    {
        RestoreWizard wizard(env.engine(), {}, &window);
        out << wizardClashes(&wizard);
    }
    {
        SettingsDialog dialog(env.engine()->config(), UiSettings(), env.dir() + QStringLiteral("/ndbackup.conf"), &window);
        out << dialogClashes(&dialog);
        // Each tab is one screen: its own widgets, the tabs and the dialog's buttons.
        dialog.tabs()->setCurrentWidget(dialog.storageNodesPage());
        out << dialogClashes(&dialog);
    }
    {
        ReportsDialog dialog(env.engine(), &window);
        out << dialogClashes(&dialog);
    }
    out.removeAll(QString());
    return out;
}

} // namespace

class TestMnemonics : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void mnemonicParsing()
    {
        QCOMPARE(mnemonic(QStringLiteral("&Next >")), QLatin1Char('n'));
        QCOMPARE(mnemonic(QStringLiteral("< &Back")), QLatin1Char('b'));
        QCOMPARE(mnemonic(QStringLiteral("Save && &Close")), QLatin1Char('c'));
        QVERIFY(mnemonic(QStringLiteral("Cancel")).isNull());
        Mnemonics m;
        m.add(QStringLiteral("&Name:"));
        m.add(QStringLiteral("&Next >"));
        QVERIFY(!m.clashes().isEmpty()); // the clash this test is about is found
    }

    void english()
    {
        useEnglishUi();
        GuiEnv env;
        NDB_TRY(env.setUp());
        const QStringList clashes = allClashes(env);
        QVERIFY2(clashes.isEmpty(), qPrintable(clashes.join(QLatin1Char('\n'))));
    }

    void german()
    {
        qputenv("NDBACKUP_LANG", "de_DE");
        QVERIFY2(UiApplication::installTranslators(qApp), "the German translation is not embedded");
        GuiEnv env;
        NDB_TRY(env.setUp());
        const QStringList clashes = allClashes(env);
        QVERIFY2(clashes.isEmpty(), qPrintable(clashes.join(QLatin1Char('\n'))));
    }
};

QTEST_MAIN(TestMnemonics)
#include "tst_mnemonics.moc"
