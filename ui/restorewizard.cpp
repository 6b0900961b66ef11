#include "restorewizard.h"
#include "backup/restoretarget.h"

#include "engine/engine.h"
#include "jobwidget.h"
#include "model/status.h"
#include "uitext.h"
#include "util/error.h"
#include "util/names.h"
#include "volumes/volumedriver.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace ndb {

namespace {
// QWizardPage::wizard() is protected; the pages are always children of their wizard.
RestoreWizard *restoreWizard(QWizardPage *page)
{
    for (QObject *o = page->parent(); o; o = o->parent())
        if (auto *w = qobject_cast<RestoreWizard *>(o))
            return w;
    return nullptr;
}
} // namespace

// ---- backup ----------------------------------------------------------------------------------

RestoreBackupPage::RestoreBackupPage(const QList<Backup> &backups, const QString &preselected, QWidget *parent)
    : QWizardPage(parent)
{
    setTitle(tr("Backup"));
    setSubTitle(tr("Choose the backup to restore."));
    for (const Backup &b : backups)
        if (b.status == BackupStatus::Available)
            m_backups << b;
    std::sort(m_backups.begin(), m_backups.end(), [](const Backup &a, const Backup &b) { return a.createdAt > b.createdAt; });

    m_list = new QTreeWidget(this);
    m_list->setRootIsDecorated(false);
    m_list->setHeaderLabels({tr("Volume"), tr("Name"), tr("Created"), tr("Size"), tr("Container")});
    for (const Backup &b : m_backups) {
        auto *item = new QTreeWidgetItem(m_list);
        item->setIcon(0, UiText::icon(QStringLiteral("volume")));
        item->setText(0, b.volumeName);
        item->setText(1, b.name);
        item->setText(2, UiText::dateTime(b.createdAt));
        item->setText(3, UiText::size(b.size));
        item->setText(4, b.container);
        item->setToolTip(1, b.description.isEmpty() ? b.id : b.description + QLatin1Char('\n') + b.id);
        item->setData(0, Qt::UserRole, b.id);
    }
    for (int c = 0; c < 5; ++c)
        m_list->resizeColumnToContents(c);
    connect(m_list, &QTreeWidget::currentItemChanged, this, &QWizardPage::completeChanged);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_list);
    if (m_backups.isEmpty())
        layout->addWidget(new QLabel(tr("There is no backup that can be restored yet."), this));
    // The newest backup unless another was asked for: the usual case is "undo the last change".
    if ((preselected.isEmpty() || !selectBackup(preselected)) && m_list->topLevelItemCount() > 0)
        m_list->setCurrentItem(m_list->topLevelItem(0));
}

bool RestoreBackupPage::selectBackup(const QString &backupId)
{
    for (int i = 0; i < m_list->topLevelItemCount(); ++i)
        if (m_list->topLevelItem(i)->data(0, Qt::UserRole).toString() == backupId) {
            m_list->setCurrentItem(m_list->topLevelItem(i));
            return true;
        }
    return false;
}

bool RestoreBackupPage::isComplete() const
{
    return m_list->currentItem() != nullptr;
}

Backup RestoreBackupPage::selectedBackup() const
{
    const int row = m_list->currentItem() ? m_list->indexOfTopLevelItem(m_list->currentItem()) : -1;
    return row >= 0 ? m_backups.at(row) : Backup();
}

// ---- target ----------------------------------------------------------------------------------

RestoreTargetPage::RestoreTargetPage(const QList<Volume> &volumes, const QStringList &drivers, QWidget *parent)
    : QWizardPage(parent)
    , m_volumes(volumes)
{
    setTitle(tr("Target"));
    setSubTitle(tr("Where the backup's data is written."));
    m_toExisting = new QRadioButton(tr("An &existing volume (must be available, not attached)"), this);
    m_toNew = new QRadioButton(tr("A new &volume"), this); // Alt+N is Next
    m_toFile = new QRadioButton(tr("An image &file"), this);
    auto *group = new QButtonGroup(this);
    group->addButton(m_toExisting);
    group->addButton(m_toNew);
    group->addButton(m_toFile);

    m_existingReason = new QLabel(this);
    m_existingReason->setWordWrap(true);
    m_existingReason->setContentsMargins(24, 0, 0, 0);
    m_existingReason->setObjectName(QStringLiteral("existingUnavailableReason"));
    m_existing = new QComboBox(this);
    m_driver = new QComboBox(this);
    m_driver->addItems(drivers);
    m_newName = new QLineEdit(this);
    m_newName->setPlaceholderText(tr("name of the new volume"));
    m_file = new QLineEdit(this);
    m_file->setPlaceholderText(tr("/path/to/restored.img"));
    auto *browse = new QPushButton(tr("B&rowse…"), this); // Alt+B is Back
    m_error = new QLabel(this);
    m_error->setStyleSheet(QStringLiteral("color: #a40000"));
    m_error->setWordWrap(true);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_toExisting);
    layout->addWidget(m_existingReason);
    auto *f1 = new QFormLayout;
    f1->setContentsMargins(24, 0, 0, 0);
    f1->addRow(tr("Volume:"), m_existing);
    layout->addLayout(f1);
    layout->addWidget(m_toNew);
    auto *f2 = new QFormLayout;
    f2->setContentsMargins(24, 0, 0, 0);
    f2->addRow(tr("Driver:"), m_driver);
    f2->addRow(tr("Name:"), m_newName);
    layout->addLayout(f2);
    layout->addWidget(m_toFile);
    auto *fileRow = new QHBoxLayout;
    fileRow->setContentsMargins(24, 0, 0, 0);
    fileRow->addWidget(m_file, 1);
    fileRow->addWidget(browse);
    layout->addLayout(fileRow);
    layout->addStretch(1);
    layout->addWidget(m_error);

    auto changed = [this] {
        updateEnabled();
        m_error->setText(problem());
        Q_EMIT completeChanged();
    };
    connect(group, &QButtonGroup::buttonToggled, this, changed);
    connect(m_existing, &QComboBox::currentIndexChanged, this, changed);
    connect(m_driver, &QComboBox::currentIndexChanged, this, changed);
    connect(m_newName, &QLineEdit::textChanged, this, changed);
    connect(m_file, &QLineEdit::textChanged, this, changed);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Restore to File"), m_file->text(),
                                                          tr("Raw images (*.img *.raw);;All files (*)"), nullptr,
                                                          QFileDialog::DontConfirmOverwrite);
        if (!path.isEmpty()) {
            m_file->setText(path);
            m_toFile->setChecked(true);
        }
    });
    m_toFile->setChecked(true);
}

void RestoreTargetPage::initializePage()
{
    RestoreWizard *wiz = restoreWizard(this);
    const Backup b = wiz ? wiz->backupPage()->selectedBackup() : Backup();
    const QString current = m_existing->currentData().toString();
    m_existing->clear();
    // Only detached volumes that are large enough: nothing is ever detached from its user.
    for (const Volume &v : m_volumes)
        if (v.status == VolumeStatus::Available && v.size >= b.size)
            m_existing->addItem(UiText::volumeStatusIcon(v.status),
                                tr("%1 (%2, %3)").arg(v.name, UiText::size(v.size), v.driverId), v.id);
    const int idx = m_existing->findData(current);
    if (idx >= 0)
        m_existing->setCurrentIndex(idx);
    m_toExisting->setEnabled(m_existing->count() > 0);
    // A disabled choice says why, so that nobody has to guess what to detach or create.
    m_existingReason->setText(existingUnavailableReason());
    m_existingReason->setVisible(!m_toExisting->isEnabled());
    if (!m_toExisting->isEnabled() && m_toExisting->isChecked())
        m_toFile->setChecked(true);
    if (m_newName->text().isEmpty() && !b.volumeName.isEmpty())
        m_newName->setText(b.volumeName + QStringLiteral("-restored"));
    if (m_file->text().isEmpty() && !b.volumeName.isEmpty())
        m_file->setText(QDir::homePath() + QLatin1Char('/') + b.volumeName + QStringLiteral("-restored.img"));
    updateEnabled();
    m_error->setText(problem());
}

void RestoreTargetPage::updateEnabled()
{
    m_existing->setEnabled(m_toExisting->isChecked());
    m_driver->setEnabled(m_toNew->isChecked());
    m_newName->setEnabled(m_toNew->isChecked());
    m_file->setEnabled(m_toFile->isChecked());
}

QString RestoreTargetPage::existingUnavailableReason() const
{
    if (m_existing->count() > 0)
        return {};
    RestoreWizard *wiz = restoreWizard(const_cast<RestoreTargetPage *>(this));
    const Backup b = wiz ? wiz->backupPage()->selectedBackup() : Backup();
    if (m_volumes.isEmpty())
        return tr("Not possible: there is no volume yet. Restore to a new volume or a file.");
    // Name what rules each volume out (at most a few), then what to do instead.
    QStringList why;
    for (const Volume &v : m_volumes) {
        if (why.size() == 3) {
            why << tr("…");
            break;
        }
        if (v.status != VolumeStatus::Available)
            why << tr("%1 is %2").arg(v.name, UiText::volumeStatus(v.status));
        else if (v.size < b.size)
            why << tr("%1 is smaller (%2)").arg(v.name, UiText::size(v.size));
    }
    return tr("Not possible: no volume is available (detached) and at least as large as the backup (%1): %2. "
              "Restore to a new volume or a file.")
        .arg(UiText::size(b.size), why.join(QStringLiteral(", ")));
}

RestoreRequest::Target RestoreTargetPage::target() const
{
    if (m_toExisting->isChecked())
        return RestoreRequest::Target::ExistingVolume;
    if (m_toNew->isChecked())
        return RestoreRequest::Target::NewVolume;
    return RestoreRequest::Target::File;
}

void RestoreTargetPage::setTarget(RestoreRequest::Target target)
{
    if (target == RestoreRequest::Target::ExistingVolume)
        m_toExisting->setChecked(true);
    else if (target == RestoreRequest::Target::NewVolume)
        m_toNew->setChecked(true);
    else
        m_toFile->setChecked(true);
}

Volume RestoreTargetPage::existingVolume() const
{
    const QString id = m_existing->currentData().toString();
    for (const Volume &v : m_volumes)
        if (v.id == id)
            return v;
    return {};
}

QString RestoreTargetPage::driverId() const
{
    return m_driver->currentText();
}

QString RestoreTargetPage::newVolumeName() const
{
    return m_newName->text().trimmed();
}

QString RestoreTargetPage::filePath() const
{
    return m_file->text().trimmed();
}

QString RestoreTargetPage::problem() const
{
    switch (target()) {
    case RestoreRequest::Target::ExistingVolume:
        if (m_existing->currentIndex() < 0)
            return tr("There is no available volume large enough for this backup.");
        return {};
    case RestoreRequest::Target::NewVolume:
        if (m_driver->count() == 0)
            return tr("No storage driver is configured.");
        try {
            validateUserName(newVolumeName(), tr("volume name"));
        } catch (const Error &e) {
            return e.message();
        }
        for (const Volume &v : m_volumes)
            if (v.driverId == driverId() && v.name == newVolumeName())
                return tr("A volume named %1 already exists there.").arg(newVolumeName());
        return {};
    case RestoreRequest::Target::File: {
        if (filePath().isEmpty())
            return tr("Enter the path of the file to write.");
        const QFileInfo fi(filePath());
        if (!fi.isAbsolute())
            return tr("Enter an absolute path.");
        if (fi.isDir())
            return tr("%1 is a directory.").arg(filePath());
        if (!fi.absoluteDir().exists())
            return tr("The folder %1 does not exist.").arg(fi.absolutePath());
        // Pools, repository, catalog, attached images: refused before the confirmation page.
        // Overwriting an ordinary existing file is asked there.
        if (const auto *wiz = qobject_cast<const RestoreWizard *>(wizard()); wiz && wiz->engine()) {
            try {
                checkRestoreFileTarget(wiz->engine()->config(), filePath(), true);
            } catch (const Error &e) {
                return e.message();
            }
        }
        return {};
    }
    }
    return {};
}

bool RestoreTargetPage::isComplete() const
{
    return problem().isEmpty();
}

// ---- confirmation ----------------------------------------------------------------------------

RestoreConfirmPage::RestoreConfirmPage(QWidget *parent)
    : QWizardPage(parent)
{
    setTitle(tr("Confirm"));
    setCommitPage(true);
    setButtonText(QWizard::CommitButton, tr("&Restore"));
    m_text = new QLabel(this);
    m_text->setWordWrap(true);
    m_text->setTextFormat(Qt::RichText);
    m_confirm = new QCheckBox(this);
    m_error = new QLabel(this);
    m_error->setStyleSheet(QStringLiteral("color: #a40000"));
    m_error->setWordWrap(true);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_text);
    layout->addStretch(1);
    layout->addWidget(m_confirm);
    layout->addWidget(m_error);
    connect(m_confirm, &QCheckBox::toggled, this, &QWizardPage::completeChanged);
}

void RestoreConfirmPage::initializePage()
{
    RestoreWizard *wiz = restoreWizard(this);
    const Backup b = wiz->backupPage()->selectedBackup();
    const RestoreTargetPage *t = wiz->targetPage();
    const QString source = tr("backup <b>%1</b> of volume <b>%2</b>, taken %3 (%4)")
                               .arg(b.name.toHtmlEscaped(), b.volumeName.toHtmlEscaped(),
                                    UiText::dateTime(b.createdAt).toHtmlEscaped(), UiText::size(b.size).toHtmlEscaped());
    QString what;
    m_overwrites = false;
    switch (t->target()) {
    case RestoreRequest::Target::ExistingVolume: {
        const Volume v = t->existingVolume();
        m_overwrites = true;
        what = tr("<p>The volume <b>%1</b> (%2, %3) will be <b>overwritten</b> with the contents of %4.</p>"
                  "<p>Everything currently stored on %1 is lost.</p>")
                   .arg(v.name.toHtmlEscaped(), UiText::size(v.size).toHtmlEscaped(), v.path.toHtmlEscaped(), source);
        m_confirm->setText(tr("I understand that the volume %1 will be overwritten").arg(v.name));
        break;
    }
    case RestoreRequest::Target::NewVolume:
        what = tr("<p>A new volume <b>%1</b> of %2 will be created in %3 with the contents of %4.</p>"
                  "<p>Nothing existing is overwritten.</p>")
                   .arg(t->newVolumeName().toHtmlEscaped(), UiText::size(b.size).toHtmlEscaped(),
                        t->driverId().toHtmlEscaped(), source);
        break;
    case RestoreRequest::Target::File:
        if (QFileInfo::exists(t->filePath())) {
            m_overwrites = true;
            what = tr("<p>The existing file <b>%1</b> will be <b>overwritten</b> with the contents of %2.</p>")
                       .arg(t->filePath().toHtmlEscaped(), source);
            m_confirm->setText(tr("I understand that the file %1 will be overwritten").arg(t->filePath()));
        } else {
            what = tr("<p>The file <b>%1</b> will be created with the contents of %2.</p><p>Nothing existing is overwritten.</p>")
                       .arg(t->filePath().toHtmlEscaped(), source);
        }
        break;
    }
    m_text->setText(what);
    m_confirm->setChecked(false);
    m_confirm->setVisible(m_overwrites);
    m_error->clear();
}

bool RestoreConfirmPage::isComplete() const
{
    return !m_overwrites || m_confirm->isChecked();
}

bool RestoreConfirmPage::validatePage()
{
    RestoreWizard *wiz = restoreWizard(this);
    try {
        JobHandle *job = wiz->engine()->submitRestore(wiz->request());
        wiz->setJob(job);
        Q_EMIT wiz->restoreStarted(job);
        return true;
    } catch (const Error &e) {
        m_error->setText(tr("The restore could not be started: %1").arg(e.message()));
        return false;
    }
}

QString RestoreConfirmPage::confirmationText() const
{
    return m_text->text();
}

// ---- progress --------------------------------------------------------------------------------

RestoreProgressPage::RestoreProgressPage(QWidget *parent)
    : QWizardPage(parent)
{
    setTitle(tr("Restoring"));
    setSubTitle(tr("You can close this window; the restore goes on in the jobs panel."));
    m_layout = new QVBoxLayout(this);
    m_layout->addStretch(1);
}

void RestoreProgressPage::initializePage()
{
    RestoreWizard *wiz = restoreWizard(this);
    if (m_widget || !wiz->job())
        return;
    m_widget = new JobWidget(wiz->job(), tr("Restore of %1").arg(wiz->backupPage()->selectedBackup().name), this);
    m_layout->insertWidget(0, m_widget);
    connect(m_widget, &JobWidget::finished, this, &QWizardPage::completeChanged);
    // Closing the wizard does not stop the restore, so the button does not say "Cancel"; once
    // the restore has ended only Finish is left.
    wiz->setButtonText(QWizard::CancelButton, tr("&Close"));
    auto showFinishOnly = [wiz, this] {
        if (isComplete())
            wiz->setOption(QWizard::NoCancelButton, true);
    };
    connect(m_widget, &JobWidget::finished, this, showFinishOnly);
    showFinishOnly();
}

bool RestoreProgressPage::isComplete() const
{
    return m_widget && m_widget->isFinished();
}

// ---- wizard ----------------------------------------------------------------------------------

RestoreWizard::RestoreWizard(Engine *engine, const QString &preselectedBackup, QWidget *parent)
    : QWizard(parent)
    , m_engine(engine)
{
    setWindowTitle(tr("Restore a Backup"));
    setWindowIcon(UiText::icon(QStringLiteral("restore")));
    setWizardStyle(QWizard::ModernStyle);
    QList<Backup> backups;
    QList<Volume> volumes;
    QStringList drivers;
    try {
        backups = engine->backups();
        volumes = engine->volumes();
        for (VolumeDriver *d : engine->drivers())
            drivers << d->id();
    } catch (const Error &) {
    }
    m_backupPage = new RestoreBackupPage(backups, preselectedBackup, this);
    m_targetPage = new RestoreTargetPage(volumes, drivers, this);
    m_confirmPage = new RestoreConfirmPage(this);
    m_progressPage = new RestoreProgressPage(this);
    setPage(BackupPageId, m_backupPage);
    setPage(TargetPageId, m_targetPage);
    setPage(ConfirmPageId, m_confirmPage);
    setPage(ProgressPageId, m_progressPage);
    setStartId(BackupPageId);
    resize(640, 480);
}

RestoreRequest RestoreWizard::request() const
{
    RestoreRequest r;
    r.backupId = m_backupPage->selectedBackup().id;
    r.target = m_targetPage->target();
    switch (r.target) {
    case RestoreRequest::Target::ExistingVolume:
        r.volumeId = m_targetPage->existingVolume().id;
        break;
    case RestoreRequest::Target::NewVolume:
        r.driverId = m_targetPage->driverId();
        r.newVolumeName = m_targetPage->newVolumeName();
        break;
    case RestoreRequest::Target::File:
        r.filePath = m_targetPage->filePath();
        // Only what the user confirmed on the confirmation page may be replaced.
        r.overwrite = m_confirmPage->overwrites() && m_confirmPage->confirmCheckBox()->isChecked();
        break;
    }
    return r;
}

} // namespace ndb
