#include "backupwizard.h"

#include "engine/engine.h"
#include "model/status.h"
#include "uitext.h"
#include "util/error.h"
#include "util/names.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSet>
#include <QSpinBox>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace ndb {

// ---- volumes ---------------------------------------------------------------------------------

BackupVolumesPage::BackupVolumesPage(const QList<Volume> &volumes, const QStringList &preselected, QWidget *parent)
    : QWizardPage(parent)
{
    setTitle(tr("Volumes"));
    setSubTitle(tr("Choose the volumes to back up. Attached volumes stay attached and in use."));
    for (const Volume &v : volumes)
        if (v.status == VolumeStatus::Available || v.status == VolumeStatus::InUse)
            m_volumes << v;

    m_list = new QTreeWidget(this);
    m_list->setRootIsDecorated(false);
    m_list->setHeaderLabels({tr("Name"), tr("Size"), tr("Status"), tr("Host"), tr("Driver")});
    for (const Volume &v : m_volumes) {
        auto *item = new QTreeWidgetItem(m_list);
        item->setText(0, v.name);
        item->setText(1, UiText::size(v.size));
        item->setText(2, UiText::volumeStatus(v.status));
        item->setIcon(2, UiText::volumeStatusIcon(v.status));
        item->setForeground(2, UiText::volumeStatusColor(v.status));
        item->setText(3, v.host);
        item->setText(4, v.driverId);
        item->setData(0, Qt::UserRole, v.id);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(0, preselected.contains(v.id) ? Qt::Checked : Qt::Unchecked);
    }
    for (int c = 0; c < 5; ++c)
        m_list->resizeColumnToContents(c);
    connect(m_list, &QTreeWidget::itemChanged, this, &QWizardPage::completeChanged);

    auto *hint = new QLabel(tr("Volumes that are being backed up or restored right now are not listed."), this);
    hint->setWordWrap(true);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_list);
    layout->addWidget(hint);
}

bool BackupVolumesPage::isComplete() const
{
    return !selectedVolumes().isEmpty();
}

QList<Volume> BackupVolumesPage::selectedVolumes() const
{
    QList<Volume> out;
    for (int i = 0; i < m_list->topLevelItemCount(); ++i)
        if (m_list->topLevelItem(i)->checkState(0) == Qt::Checked)
            out << m_volumes.at(i);
    return out;
}

void BackupVolumesPage::setChecked(const QString &volumeId, bool checked)
{
    for (int i = 0; i < m_list->topLevelItemCount(); ++i)
        if (m_list->topLevelItem(i)->data(0, Qt::UserRole).toString() == volumeId)
            m_list->topLevelItem(i)->setCheckState(0, checked ? Qt::Checked : Qt::Unchecked);
}

// ---- details ---------------------------------------------------------------------------------

BackupDetailsPage::BackupDetailsPage(const QStringList &containers, const QString &defaultContainer, QWidget *parent)
    : QWizardPage(parent)
{
    setTitle(tr("Container and name"));
    setSubTitle(tr("Where the backup is stored and how you will recognise it later."));
    m_container = new QComboBox(this);
    m_container->setEditable(true);
    QStringList all = containers;
    if (!all.contains(defaultContainer))
        all.prepend(defaultContainer);
    m_container->addItems(all);
    m_container->setCurrentText(defaultContainer);
    m_container->setToolTip(tr("A container is a directory in the repository; backups in one container share deduplicated data."));
    m_name = new QLineEdit(this);
    m_name->setText(tr("backup %1").arg(QDate::currentDate().toString(Qt::ISODate)));
    m_name->setClearButtonEnabled(true);
    m_description = new QPlainTextEdit(this);
    m_description->setPlaceholderText(tr("Optional: why this backup was taken"));
    m_description->setTabChangesFocus(true);
    m_bandwidth = new QSpinBox(this);
    m_bandwidth->setRange(0, 100000);
    m_bandwidth->setSuffix(tr(" MB/s"));
    m_bandwidth->setSpecialValueText(tr("unlimited"));
    m_bandwidth->setToolTip(tr("Limits how fast the volume is read, so that its users keep their I/O."));
    m_error = new QLabel(this);
    m_error->setStyleSheet(QStringLiteral("color: #a40000"));
    m_error->setWordWrap(true);

    auto *form = new QFormLayout(this);
    form->addRow(tr("&Container:"), m_container);
    form->addRow(tr("Na&me:"), m_name); // Alt+N is Next
    form->addRow(tr("&Description:"), m_description);
    form->addRow(tr("&Read at most:"), m_bandwidth);
    form->addRow(m_error);

    auto changed = [this] {
        m_error->setText(problem());
        Q_EMIT completeChanged();
    };
    connect(m_container, &QComboBox::currentTextChanged, this, changed);
    connect(m_name, &QLineEdit::textChanged, this, changed);
    connect(m_description, &QPlainTextEdit::textChanged, this, changed);
}

QString BackupDetailsPage::problem() const
{
    try {
        validateUserName(container(), tr("container"));
        if (backupName().isEmpty())
            return tr("The backup needs a name.");
        validateText(backupName(), tr("backup name"), 255);
        validateText(description(), tr("description"), 4096);
    } catch (const Error &e) {
        return e.message();
    }
    return {};
}

bool BackupDetailsPage::isComplete() const
{
    return problem().isEmpty();
}

QString BackupDetailsPage::container() const
{
    return m_container->currentText().trimmed();
}

QString BackupDetailsPage::backupName() const
{
    return m_name->text().trimmed();
}

QString BackupDetailsPage::description() const
{
    // Never null: the catalog stores an empty description, not NULL.
    const QString text = m_description->toPlainText().trimmed();
    return text.isNull() ? QStringLiteral("") : text;
}

qint64 BackupDetailsPage::bandwidthLimit() const
{
    return qint64(m_bandwidth->value()) * 1000 * 1000;
}

// ---- force -----------------------------------------------------------------------------------

BackupForcePage::BackupForcePage(QWidget *parent)
    : QWizardPage(parent)
{
    setTitle(tr("Back up volumes that are in use"));
    setSubTitle(tr("Some of the chosen volumes are attached and in use."));
    m_explanation = new QLabel(this);
    m_explanation->setWordWrap(true);
    m_explanation->setTextFormat(Qt::RichText);
    m_force = new QCheckBox(tr("&Force: back up the in-use volumes while they stay attached"), this);
    connect(m_force, &QCheckBox::toggled, this, &QWizardPage::completeChanged);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_explanation);
    layout->addStretch(1);
    layout->addWidget(m_force);
}

void BackupForcePage::initializePage()
{
    auto *wiz = qobject_cast<BackupWizard *>(wizard());
    QStringList names;
    if (wiz)
        for (const Volume &v : wiz->inUseVolumes())
            names << QStringLiteral("<li><b>%1</b> — %2</li>")
                         .arg(v.name.toHtmlEscaped(),
                              v.attachedTo.isEmpty() ? UiText::volumeStatus(v.status).toHtmlEscaped()
                                                     : tr("attached to %1").arg(v.attachedTo).toHtmlEscaped());
    m_explanation->setText(
        tr("<p>These volumes are attached and may be written to while the backup runs:</p><ul>%1</ul>"
           "<p>ndbackup does not detach them. It takes a temporary snapshot (or, where the storage cannot "
           "snapshot, a temporary copy) at one instant, backs that up and removes it afterwards. Mounted "
           "filesystems are frozen for that instant when possible; applications that keep data in memory "
           "(databases) should flush it first, otherwise the backup is only crash-consistent.</p>"
           "<p>Because of this, backing up an in-use volume must be confirmed with the force option.</p>")
            .arg(names.join(QString())));
    m_force->setChecked(false);
}

bool BackupForcePage::isComplete() const
{
    return m_force->isChecked();
}

// ---- summary ---------------------------------------------------------------------------------

BackupSummaryPage::BackupSummaryPage(QWidget *parent)
    : QWizardPage(parent)
{
    setTitle(tr("Summary"));
    setSubTitle(tr("Start the backup with the button below; each volume becomes its own job."));
    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    m_summary->setTextFormat(Qt::RichText);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addStretch(1);
}

void BackupSummaryPage::initializePage()
{
    auto *wiz = qobject_cast<BackupWizard *>(wizard());
    if (!wiz)
        return;
    // The data path is the storage's answer, not a fixed text: asked on a worker, shown when known.
    const int generation = ++m_generation;
    m_paths.clear();
    const QList<Volume> volumes = wiz->volumesPage()->selectedVolumes();
    m_pending = wiz->engine() ? int(volumes.size()) : 0;
    for (const Volume &v : volumes) {
        m_paths.insert(v.id, wiz->engine() ? tr("asking the storage which data path it takes …") : QString());
        if (!wiz->engine())
            continue;
        const bool refuse = wiz->engine()->config().refuseInconsistentCopies;
        const QString name = v.name;
        wiz->engine()->planBackupAsync(v.id, this, [this, generation, id = v.id, refuse, name](const BackupPlan &plan, const QString &error) {
            if (generation != m_generation)
                return; // the page was shown again meanwhile
            QString text = error.isEmpty() ? UiText::backupPlan(plan) : tr("the storage could not say: %1").arg(error);
            if (error.isEmpty() && refuse && !plan.pointInTime())
                text += QStringLiteral(" — ") + tr("it will be refused (copies that are not point-in-time are refused in the settings)");
            m_paths.insert(id, text);
            --m_pending;
            render();
        });
    }
    render();
}

void BackupSummaryPage::render()
{
    auto *wiz = qobject_cast<BackupWizard *>(wizard());
    if (!wiz)
        return;
    QStringList rows;
    for (const Volume &v : wiz->volumesPage()->selectedVolumes()) {
        const QString path = m_paths.value(v.id);
        rows << QStringLiteral("<li><b>%1</b> (%2, %3)%4</li>")
                    .arg(v.name.toHtmlEscaped(), UiText::size(v.size).toHtmlEscaped(),
                         UiText::volumeStatus(v.status).toHtmlEscaped(),
                         path.isEmpty() ? QString() : QStringLiteral(" — ") + path.toHtmlEscaped());
    }
    const BackupDetailsPage *d = wiz->detailsPage();
    m_summary->setText(tr("<p>Volumes:</p><ul>%1</ul><p>Container: <b>%2</b><br>Name: <b>%3</b><br>Description: %4<br>"
                          "Read rate: %5</p>")
                           .arg(rows.join(QString()), d->container().toHtmlEscaped(), d->backupName().toHtmlEscaped(),
                                d->description().isEmpty() ? tr("(none)") : d->description().toHtmlEscaped(),
                                d->bandwidthLimit() > 0 ? UiText::rate(double(d->bandwidthLimit())) : tr("unlimited")));
}

QString BackupSummaryPage::summaryText() const
{
    return m_summary->text();
}

// ---- wizard ----------------------------------------------------------------------------------

BackupWizard::BackupWizard(Engine *engine, const QList<Volume> &volumes, const QStringList &preselected, QWidget *parent)
    : QWizard(parent)
    , m_engine(engine)
{
    setWindowTitle(tr("Back Up Volumes"));
    setWindowIcon(UiText::icon(QStringLiteral("backup")));
    setWizardStyle(QWizard::ModernStyle);
    setOption(QWizard::NoBackButtonOnLastPage, false);
    setButtonText(QWizard::FinishButton, tr("&Start Backup"));

    QStringList containers;
    QString defaultContainer = QStringLiteral("default");
    if (engine) {
        defaultContainer = engine->config().defaultContainer;
        QSet<QString> seen;
        try {
            for (const Backup &b : engine->backups())
                if (!b.container.isEmpty() && !seen.contains(b.container)) {
                    seen.insert(b.container);
                    containers << b.container;
                }
        } catch (const Error &) {
        }
        containers.sort();
    }

    m_volumesPage = new BackupVolumesPage(volumes, preselected, this);
    m_detailsPage = new BackupDetailsPage(containers, defaultContainer, this);
    m_forcePage = new BackupForcePage(this);
    m_summaryPage = new BackupSummaryPage(this);
    setPage(VolumesPageId, m_volumesPage);
    setPage(DetailsPageId, m_detailsPage);
    setPage(ForcePageId, m_forcePage);
    setPage(SummaryPageId, m_summaryPage);
    setStartId(VolumesPageId);
    resize(640, 480);
}

QList<Volume> BackupWizard::inUseVolumes() const
{
    QList<Volume> out;
    for (const Volume &v : m_volumesPage->selectedVolumes())
        if (v.status == VolumeStatus::InUse)
            out << v;
    return out;
}

bool BackupWizard::anyInUse() const
{
    return !inUseVolumes().isEmpty();
}

int BackupWizard::nextId() const
{
    switch (currentId()) {
    case VolumesPageId:
        return DetailsPageId;
    case DetailsPageId:
        return anyInUse() ? ForcePageId : SummaryPageId;
    case ForcePageId:
        return SummaryPageId;
    default:
        return -1;
    }
}

void BackupWizard::accept()
{
    m_jobs.clear();
    m_errors.clear();
    const bool force = anyInUse() && m_forcePage->forceCheckBox()->isChecked();
    for (const Volume &v : m_volumesPage->selectedVolumes()) {
        BackupRequest request;
        request.volumeId = v.id;
        request.container = m_detailsPage->container();
        request.name = m_detailsPage->backupName();
        request.description = m_detailsPage->description();
        request.force = force && v.status == VolumeStatus::InUse;
        request.bandwidthLimit = m_detailsPage->bandwidthLimit();
        try {
            if (!m_engine)
                throw Error(tr("no engine"));
            m_jobs << m_engine->submitBackup(request);
        } catch (const Error &e) {
            m_errors << tr("%1: %2").arg(v.name, e.message());
        }
    }
    Q_EMIT launched(m_jobs, m_errors);
    QWizard::accept();
}

} // namespace ndb
