#include "settingsdialog.h"

#include "storagenodespage.h"
#include "uitext.h"
#include "util/error.h"
#include "util/names.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QTabWidget>
#include <QVBoxLayout>

namespace ndb {

UiSettings UiSettings::load(const QString &iniFile)
{
    UiSettings ui;
    QSettings s(iniFile, QSettings::IniFormat);
    s.beginGroup(QStringLiteral("gui"));
    ui.notifyOnFailure = s.value(QStringLiteral("notify_on_failure"), ui.notifyOnFailure).toBool();
    ui.notifyOnSuccess = s.value(QStringLiteral("notify_on_success"), ui.notifyOnSuccess).toBool();
    ui.showTrayIcon = s.value(QStringLiteral("tray_icon"), ui.showTrayIcon).toBool();
    return ui;
}

void UiSettings::save(const QString &iniFile) const
{
    QSettings s(iniFile, QSettings::IniFormat);
    s.beginGroup(QStringLiteral("gui"));
    s.setValue(QStringLiteral("notify_on_failure"), notifyOnFailure);
    s.setValue(QStringLiteral("notify_on_success"), notifyOnSuccess);
    s.setValue(QStringLiteral("tray_icon"), showTrayIcon);
    s.endGroup();
    s.sync();
    if (s.status() != QSettings::NoError)
        throw Error(QCoreApplication::translate("ndb::SettingsDialog", "Cannot write %1").arg(iniFile));
}

namespace {
QStringList lines(const QPlainTextEdit *edit)
{
    QStringList out;
    for (const QString &l : edit->toPlainText().split(QLatin1Char('\n')))
        if (!l.trimmed().isEmpty())
            out << l.trimmed();
    return out;
}

QWidget *withBrowse(QLineEdit *edit, bool directory, QWidget *parent)
{
    auto *w = new QWidget(parent);
    auto *row = new QHBoxLayout(w);
    row->setContentsMargins(0, 0, 0, 0);
    auto *browse = new QPushButton(SettingsDialog::tr("Browse…"), w);
    row->addWidget(edit, 1);
    row->addWidget(browse);
    w->setFocusProxy(edit); // the row's label mnemonic focuses the field
    QObject::connect(browse, &QPushButton::clicked, w, [edit, directory, w] {
        const QString path = directory ? QFileDialog::getExistingDirectory(w, SettingsDialog::tr("Choose Folder"), edit->text())
                                       : QFileDialog::getSaveFileName(w, SettingsDialog::tr("Catalog File"), edit->text(),
                                                                      SettingsDialog::tr("SQLite databases (*.sqlite *.db)"),
                                                                      nullptr, QFileDialog::DontConfirmOverwrite);
        if (!path.isEmpty())
            edit->setText(path);
    });
    return w;
}
} // namespace

SettingsDialog::SettingsDialog(const EngineConfig &config, const UiSettings &ui, const QString &configFile, QWidget *parent)
    : QDialog(parent)
    , m_config(config)
    , m_file(configFile)
{
    setWindowTitle(tr("Settings"));
    setWindowIcon(UiText::icon(QStringLiteral("settings")));

    m_repository = new QLineEdit(config.repositoryRoot, this);
    m_container = new QLineEdit(config.defaultContainer, this);
    m_catalog = new QLineEdit(config.catalogPath, this);
    m_pools = new QPlainTextEdit(config.imagePools.join(QLatin1Char('\n')), this);
    m_vgs = new QPlainTextEdit(config.lvmVolumeGroups.join(QLatin1Char('\n')), this);
    for (QPlainTextEdit *e : {m_pools, m_vgs}) {
        e->setTabChangesFocus(true);
        e->setFixedHeight(e->fontMetrics().lineSpacing() * 4 + 10);
    }
    m_jobs = new QSpinBox(this);
    m_jobs->setRange(1, 16);
    m_jobs->setValue(config.maxConcurrentJobs);
    m_freeze = new QCheckBox(tr("Freeze mounted filesystems for the snapshot instant"), this);
    m_freeze->setChecked(config.freezeFilesystems);
    m_refuseInconsistent = new QCheckBox(tr("Refuse backups that would not be point-in-time copies"), this);
    m_refuseInconsistent->setToolTip(tr("An in-use volume whose storage cannot snapshot it and whose filesystem cannot be "
                                        "frozen would be copied while it may be written. When checked, such a backup is "
                                        "refused instead of completing with a warning."));
    m_refuseInconsistent->setChecked(config.refuseInconsistentCopies);

    auto *repoBox = new QGroupBox(tr("Repositories"), this);
    auto *repoForm = new QFormLayout(repoBox);
    repoForm->addRow(tr("&Repository root:"), withBrowse(m_repository, true, this));
    repoForm->addRow(tr("Default &container:"), m_container);

    auto *storageBox = new QGroupBox(tr("Catalog and storage"), this);
    auto *storageForm = new QFormLayout(storageBox);
    storageForm->addRow(tr("C&atalog file:"), withBrowse(m_catalog, false, this));
    storageForm->addRow(tr("&Image pools (one folder per line):"), m_pools);
    storageForm->addRow(tr("&LVM volume groups (one per line):"), m_vgs);
    storageForm->addRow(tr("Concurrent &jobs:"), m_jobs);
    storageForm->addRow(m_freeze);
    storageForm->addRow(m_refuseInconsistent);

    m_notifyFailure = new QCheckBox(tr("Notify when a job &fails"), this);
    m_notifySuccess = new QCheckBox(tr("Notify when a job &succeeds"), this);
    m_tray = new QCheckBox(tr("Show an icon in the system &tray"), this);
    m_notifyFailure->setChecked(ui.notifyOnFailure);
    m_notifySuccess->setChecked(ui.notifyOnSuccess);
    m_tray->setChecked(ui.showTrayIcon);
    auto *notifyBox = new QGroupBox(tr("Notifications"), this);
    auto *notifyLayout = new QVBoxLayout(notifyBox);
    notifyLayout->addWidget(m_tray);
    notifyLayout->addWidget(m_notifyFailure);
    notifyLayout->addWidget(m_notifySuccess);

    auto *note = new QLabel(tr("Changes to the catalog and storage take effect when ndbackup starts next time. "
                               "Settings file:"), this);
    note->setWordWrap(true);
    note->setEnabled(false);
    // The path on its own line, never broken by word wrap ("/ tmp/…"), and selectable to copy it.
    auto *notePath = new QLabel(configFile, this);
    notePath->setObjectName(QStringLiteral("settingsFilePath"));
    notePath->setTextFormat(Qt::PlainText);
    notePath->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *general = new QWidget(this);
    auto *generalLayout = new QVBoxLayout(general);
    generalLayout->addWidget(repoBox);
    generalLayout->addWidget(storageBox);
    generalLayout->addWidget(notifyBox);
    generalLayout->addStretch(1);
    // Adding or removing a node takes effect at once (its trust is a file already): written to
    // the settings file now, whatever happens to the rest of the dialog.
    m_nodes = new StorageNodesPage(config.agents, config.consoleStateDir(), this);
    connect(m_nodes, &StorageNodesPage::agentsChanged, this, &SettingsDialog::saveAgents);
    m_tabs = new QTabWidget(this);
    m_tabs->addTab(general, tr("&General"));
    m_tabs->addTab(m_nodes, UiText::icon(QStringLiteral("host")), tr("Storage &Nodes"));

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_tabs);
    layout->addWidget(note);
    layout->addWidget(notePath);
    layout->addWidget(buttons);
    resize(600, 0);
}

EngineConfig SettingsDialog::config() const
{
    EngineConfig c = m_config;
    c.repositoryRoot = m_repository->text().trimmed();
    c.defaultContainer = m_container->text().trimmed();
    c.catalogPath = m_catalog->text().trimmed();
    c.imagePools = lines(m_pools);
    c.lvmVolumeGroups = lines(m_vgs);
    c.maxConcurrentJobs = m_jobs->value();
    c.freezeFilesystems = m_freeze->isChecked();
    c.refuseInconsistentCopies = m_refuseInconsistent->isChecked();
    c.agents = m_nodes->agents();
    return c;
}

void SettingsDialog::saveAgents(const QStringList &agents)
{
    try {
        EngineConfig saved = QFileInfo::exists(m_file) ? EngineConfig::load(m_file) : m_config;
        saved.agents = agents;
        saved.save(m_file);
        m_config.agents = agents;
    } catch (const Error &e) {
        QMessageBox::warning(this, tr("Settings Not Saved"), e.message());
    }
    Q_EMIT agentsChanged(agents);
}

UiSettings SettingsDialog::uiSettings() const
{
    UiSettings ui;
    ui.notifyOnFailure = m_notifyFailure->isChecked();
    ui.notifyOnSuccess = m_notifySuccess->isChecked();
    ui.showTrayIcon = m_tray->isChecked();
    return ui;
}

bool SettingsDialog::saveSettings()
{
    try {
        const EngineConfig c = config();
        if (c.repositoryRoot.isEmpty() || c.catalogPath.isEmpty())
            throw Error(tr("The repository root and the catalog file must be set."));
        validateName(c.defaultContainer, tr("default container"));
        for (const QString &vg : c.lvmVolumeGroups)
            validateName(vg, tr("volume group"));
        c.save(m_file);
        uiSettings().save(m_file);
        return true;
    } catch (const Error &e) {
        QMessageBox::warning(this, tr("Settings Not Saved"), e.message());
        return false;
    }
}

void SettingsDialog::accept()
{
    if (saveSettings())
        QDialog::accept();
}

} // namespace ndb
