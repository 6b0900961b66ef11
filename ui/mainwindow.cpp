#include "mainwindow.h"

#include "backupwizard.h"
#include "engine/engine.h"
#include "historyview.h"
#include "jobspanel.h"
#include "model/status.h"
#include "reportsdialog.h"
#include "restorewizard.h"
#include "storagenodespage.h"
#include "uitext.h"
#include "util/error.h"
#include "volumemodel.h"

#include <QAbstractButton>
#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFontMetrics>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QShowEvent>
#include <QStatusBar>
#include <QSystemTrayIcon>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>
#include <QTreeView>
#include <QVBoxLayout>

#include <algorithm>
#include <memory>

namespace ndb {

namespace {
constexpr int kEmptyJobsDockWidth = 240;
constexpr int kJobsDockWidth = 420; // a job's progress, rate, ETA and buttons side by side
} // namespace

MainWindow::MainWindow(Engine *engine, const QString &configFile, QWidget *parent)
    : QMainWindow(parent)
    , m_engine(engine)
    , m_configFile(configFile.isEmpty() ? EngineConfig::defaultConfigFile() : configFile)
{
    // The platform appends the application's display name unless the title already ends with
    // it ("ndbackup — Volume Backup — ndbackup"): name it once, at the end.
    setWindowTitle(tr("Volume Backup — %1").arg(QGuiApplication::applicationDisplayName()));
    setWindowIcon(UiText::icon(QStringLiteral("ndbackup")));
    m_uiSettings = UiSettings::load(m_configFile);

    m_model = new VolumeModel(this);
    m_filter = new VolumeFilterModel(this);
    m_filter->setSourceModel(m_model);
    m_view = new QTreeView(this);
    m_view->setModel(m_filter);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(VolumeModel::NameColumn, Qt::AscendingOrder);
    m_view->setAlternatingRowColors(true);
    m_view->setUniformRowHeights(true);
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_view->setAccessibleName(tr("Volumes"));
    m_view->setTextElideMode(Qt::ElideMiddle); // driver ids end in the pool's name
    // Until the storage has answered the first time, the empty list says so.
    m_placeholder = new QLabel(tr("Loading volumes…"), m_view->viewport());
    m_placeholder->setObjectName(QStringLiteral("volumePlaceholder"));
    m_placeholder->setEnabled(false);
    m_placeholder->setMargin(6);
    m_placeholder->move(0, 0);
    m_placeholder->adjustSize();
    m_placeholder->hide();

    m_filterEdit = new QLineEdit(this);
    m_filterEdit->setPlaceholderText(tr("Filter by name, host, driver or status (Ctrl+F)"));
    m_filterEdit->setClearButtonEnabled(true);
    connect(m_filterEdit, &QLineEdit::textChanged, this, [this](const QString &text) {
        m_filter->setFilterText(text);
        m_view->expandAll();
    });

    auto *volumesPage = new QWidget(this);
    auto *volumesLayout = new QVBoxLayout(volumesPage);
    auto *filterRow = new QHBoxLayout;
    auto *filterLabel = new QLabel(tr("F&ilter:"), volumesPage); // Alt+F is the File menu
    filterLabel->setBuddy(m_filterEdit);
    filterRow->addWidget(filterLabel);
    filterRow->addWidget(m_filterEdit, 1);
    volumesLayout->addLayout(filterRow);
    volumesLayout->addWidget(m_view);

    m_history = new HistoryView(engine, this);
    m_tabs = new QTabWidget(this);
    // Not the menus' letters (Alt+V, Alt+H).
    m_tabs->addTab(volumesPage, UiText::icon(QStringLiteral("volume")), tr("V&olumes"));
    m_tabs->addTab(m_history, UiText::icon(QStringLiteral("history")), tr("Hi&story"));
    setCentralWidget(m_tabs);

    m_jobs = new JobsPanel(engine, this);
    m_jobsDock = new QDockWidget(tr("Jobs"), this);
    m_jobsDock->setObjectName(QStringLiteral("jobsDock"));
    // Empty at first: a modest dock leaves the room to the volume list; it widens for a job.
    m_jobs->setMinimumWidth(kEmptyJobsDockWidth);
    m_jobsDock->setWidget(m_jobs);
    addDockWidget(Qt::RightDockWidgetArea, m_jobsDock);

    m_statusLabel = new QLabel(this);
    m_jobsLabel = new QLabel(this);
    statusBar()->addWidget(m_statusLabel, 1);
    statusBar()->addPermanentWidget(m_jobsLabel);

    m_reloadTimer = new QTimer(this);
    m_reloadTimer->setSingleShot(true);
    m_reloadTimer->setInterval(250);
    connect(m_reloadTimer, &QTimer::timeout, this, &MainWindow::reloadFromCatalog);
    m_autoRefresh = new QTimer(this);
    m_autoRefresh->setInterval(60000);
    connect(m_autoRefresh, &QTimer::timeout, this, &MainWindow::refresh);

    createActions();
    createMenusAndToolBar();
    createTrayIcon();

    connect(m_jobs, &JobsPanel::jobAdded, this, [this](JobHandle *job) {
        m_jobsDock->show();
        if (m_jobsDock->width() < kJobsDockWidth && dockWidgetArea(m_jobsDock) != Qt::BottomDockWidgetArea
            && dockWidgetArea(m_jobsDock) != Qt::TopDockWidgetArea)
            resizeDocks({m_jobsDock}, {kJobsDockWidth}, Qt::Horizontal);
        // The volume's status changes (backing-up) as the job starts; follow it from the catalog.
        // Only at phase changes: a reload per progress tick would reset the view several times a second.
        connect(job, &JobHandle::started, this, &MainWindow::scheduleCatalogReload);
        auto lastPhase = std::make_shared<QString>();
        connect(job, &JobHandle::progressChanged, this, [this, lastPhase](const Progress &p) {
            if (p.phase != *lastPhase) {
                *lastPhase = p.phase;
                scheduleCatalogReload();
            }
        });
        scheduleCatalogReload();
        updateStatusBar();
    });
    connect(m_jobs, &JobsPanel::jobFinished, this, &MainWindow::onJobFinished);
    connect(m_jobs, &JobsPanel::runningCountChanged, this, &MainWindow::updateStatusBar);
    connect(m_jobs, &JobsPanel::runningCountChanged, this, [this](int running) {
        if (running == 0 && m_quitAfterJobs)
            quitWhenJobsEnded();
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &MainWindow::updateStatusBar);

    if (m_engine) {
        connect(m_engine, &Engine::volumesRefreshed, this, &MainWindow::applyVolumes);
        connect(m_engine, &Engine::volumesRefreshed, this, &MainWindow::checkStorageNodes);
        connect(m_engine, &Engine::refreshFailed, this, [this](const QString &error) {
            m_refreshError = error;
            updateStatusBar();
            updatePlaceholder();
        });
        // Volumes appear per driver as each answers, not when the slowest has.
        connect(m_engine, &Engine::driverInventoried, this, &MainWindow::reloadFromCatalog);
        reloadFromCatalog();
        m_history->reload();
        m_autoRefresh->start();
    }
    if (!restoreWindowState()) {
        // Wide enough for every column of the volume list; the Jobs dock, empty at first, modest.
        resize(1360, 740); // fits a 1366×768 screen
        resizeDocks({m_jobsDock}, {kEmptyJobsDockWidth}, Qt::Horizontal);
    }
    updateStatusBar();
    updatePlaceholder();
}

MainWindow::~MainWindow()
{
    saveWindowState();
}

void MainWindow::saveWindowState() const
{
    QSettings s(m_configFile, QSettings::IniFormat);
    s.beginGroup(QStringLiteral("window"));
    s.setValue(QStringLiteral("geometry"), saveGeometry());
    s.setValue(QStringLiteral("state"), saveState());
}

bool MainWindow::restoreWindowState()
{
    QSettings s(m_configFile, QSettings::IniFormat);
    s.beginGroup(QStringLiteral("window"));
    const QByteArray geometry = s.value(QStringLiteral("geometry")).toByteArray();
    const QByteArray state = s.value(QStringLiteral("state")).toByteArray();
    if (geometry.isEmpty() || !restoreGeometry(geometry))
        return false;
    restoreState(state);
    return true;
}

void MainWindow::updatePlaceholder()
{
    m_placeholder->setVisible(m_engine && m_engine->inventoryPending() && m_model->volumes().isEmpty());
}

void MainWindow::createActions()
{
    m_backupAction = new QAction(UiText::icon(QStringLiteral("backup")), tr("&Back Up…"), this);
    m_backupAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_B));
    m_backupAction->setStatusTip(tr("Back up the selected volumes (attached volumes stay attached)"));
    connect(m_backupAction, &QAction::triggered, this, &MainWindow::openBackupWizard);

    m_restoreAction = new QAction(UiText::icon(QStringLiteral("restore")), tr("&Restore…"), this);
    m_restoreAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    m_restoreAction->setStatusTip(tr("Restore a backup to a volume or a file"));
    connect(m_restoreAction, &QAction::triggered, this, &MainWindow::openRestoreWizard);

    m_refreshAction = new QAction(UiText::icon(QStringLiteral("refresh")), tr("Re&fresh"), this);
    m_refreshAction->setShortcut(QKeySequence::Refresh);
    m_refreshAction->setStatusTip(tr("Ask the storage for its volumes again"));
    connect(m_refreshAction, &QAction::triggered, this, &MainWindow::refresh);

    m_volumesAction = new QAction(UiText::icon(QStringLiteral("volume")), tr("&Volumes"), this);
    m_volumesAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_1));
    connect(m_volumesAction, &QAction::triggered, this, &MainWindow::showVolumes);

    m_historyAction = new QAction(UiText::icon(QStringLiteral("history")), tr("&History"), this);
    m_historyAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_H));
    m_historyAction->setStatusTip(tr("Jobs, their event logs and charts"));
    connect(m_historyAction, &QAction::triggered, this, &MainWindow::showHistory);

    m_reportAction = new QAction(UiText::icon(QStringLiteral("report")), tr("&Export Report…"), this);
    m_reportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_reportAction->setStatusTip(tr("History and inventory as CSV, HTML and PDF"));
    connect(m_reportAction, &QAction::triggered, this, &MainWindow::openReportsDialog);

    m_settingsAction = new QAction(UiText::icon(QStringLiteral("settings")), tr("&Settings…"), this);
    m_settingsAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Comma));
    m_settingsAction->setMenuRole(QAction::PreferencesRole);
    connect(m_settingsAction, &QAction::triggered, this, &MainWindow::openSettings);

    m_filterAction = new QAction(tr("Filter Volumes"), this);
    m_filterAction->setShortcut(QKeySequence::Find);
    connect(m_filterAction, &QAction::triggered, this, [this] {
        showVolumes();
        m_filterEdit->setFocus();
        m_filterEdit->selectAll();
    });
    addAction(m_filterAction);

    m_quitAction = new QAction(tr("&Quit"), this);
    m_quitAction->setShortcut(QKeySequence::Quit);
    m_quitAction->setMenuRole(QAction::QuitRole);
    connect(m_quitAction, &QAction::triggered, qApp, &QApplication::closeAllWindows);

    m_aboutAction = new QAction(UiText::icon(QStringLiteral("ndbackup")), tr("&About ndbackup"), this);
    m_aboutAction->setMenuRole(QAction::AboutRole);
    connect(m_aboutAction, &QAction::triggered, this, [this] {
        QMessageBox::about(this, tr("About ndbackup"),
                           tr("<h3>ndbackup %1</h3><p>Backs up block volumes while they stay attached: a temporary "
                              "snapshot or copy is read and always cleaned up.</p>")
                               .arg(QCoreApplication::applicationVersion()));
    });

    m_view->addAction(m_backupAction);
    m_view->addAction(m_restoreAction);
    auto *volumeHistory = new QAction(UiText::icon(QStringLiteral("history")), tr("Show &History of Volume"), m_view);
    connect(volumeHistory, &QAction::triggered, this, [this] {
        const QStringList ids = selectedVolumeIds();
        m_history->setVolumeFilter(ids.isEmpty() ? QString() : ids.first());
        showHistory();
    });
    m_view->addAction(volumeHistory);
    // For an administrator: clears e.g. the 'error' a killed restore leaves on its target.
    m_resetStatusAction = new QAction(tr("Reset &Status…"), m_view);
    m_resetStatusAction->setObjectName(QStringLiteral("resetStatusAction"));
    connect(m_resetStatusAction, &QAction::triggered, this, &MainWindow::resetVolumeStatus);
    m_view->addAction(m_resetStatusAction);
    connect(m_view, &QTreeView::doubleClicked, this, [this](const QModelIndex &idx) {
        if (idx.data(VolumeModel::NodeKindRole).toInt() == VolumeModel::VolumeNode)
            openBackupWizard();
    });
}

void MainWindow::createMenusAndToolBar()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_reportAction);
    file->addAction(m_settingsAction);
    file->addSeparator();
    file->addAction(m_quitAction);

    QMenu *volumes = menuBar()->addMenu(tr("&Volumes"));
    volumes->addAction(m_backupAction);
    volumes->addAction(m_restoreAction);
    volumes->addSeparator();
    volumes->addAction(m_refreshAction);
    volumes->addAction(m_filterAction);

    QMenu *view = menuBar()->addMenu(tr("Vie&w"));
    view->addAction(m_volumesAction);
    view->addAction(m_historyAction);
    QAction *jobsToggle = m_jobsDock->toggleViewAction();
    jobsToggle->setText(tr("&Jobs Panel"));
    jobsToggle->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_J));
    view->addAction(jobsToggle);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(m_aboutAction);

    QToolBar *tb = addToolBar(tr("Main Toolbar"));
    tb->setObjectName(QStringLiteral("mainToolBar"));
    tb->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    tb->addAction(m_backupAction);
    tb->addAction(m_restoreAction);
    tb->addAction(m_refreshAction);
    tb->addSeparator();
    tb->addAction(m_historyAction);
    tb->addAction(m_reportAction);
    tb->addAction(m_settingsAction);
    // Shortcuts shown in tool tips, so they can be learnt from the toolbar.
    for (QAction *a : tb->actions())
        if (!a->shortcut().isEmpty())
            a->setToolTip(QStringLiteral("%1 (%2)").arg(a->text().remove(QLatin1Char('&')).remove(QStringLiteral("…")),
                                                        a->shortcut().toString(QKeySequence::NativeText)));
}

void MainWindow::createTrayIcon()
{
    if (!m_uiSettings.showTrayIcon || !QSystemTrayIcon::isSystemTrayAvailable())
        return;
    m_tray = new QSystemTrayIcon(UiText::icon(QStringLiteral("ndbackup")), this);
    m_tray->setToolTip(tr("ndbackup"));
    auto *menu = new QMenu(this);
    menu->addAction(tr("Show ndbackup"), this, [this] {
        if (!isVisible())
            m_quitAfterJobs = false; // back in the window: it no longer quits by itself
        showNormal();
        raise();
        activateWindow();
    });
    menu->addAction(m_backupAction);
    menu->addSeparator();
    // Quit from the tray while jobs run in the hidden window asks again, in the window.
    menu->addAction(m_quitAction->icon(), m_quitAction->text(), this, [this] {
        if (!isVisible() && m_jobs->runningCount() > 0) {
            m_quitAfterJobs = false;
            showNormal();
            raise();
        }
        if (isVisible())
            close();
        else
            QCoreApplication::quit();
    });
    m_tray->setContextMenu(menu);
    connect(m_tray, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason r) {
        if (r == QSystemTrayIcon::Trigger) {
            showNormal();
            raise();
        }
    });
    m_tray->show();
}

QMessageBox *MainWindow::closeQuestion() const
{
    return m_closeQuestion;
}

void MainWindow::showEvent(QShowEvent *event)
{
    QMainWindow::showEvent(event);
    // The list's final width is known only now; the first fill happened before.
    // Deferred: the docks take their size when the layout first runs, after this event.
    if (!event->spontaneous())
        QTimer::singleShot(0, this, &MainWindow::fitVolumeColumns);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_quitConfirmed || m_jobs->runningCount() == 0) {
        QMainWindow::closeEvent(event);
        return;
    }
    event->ignore();
    askBeforeClosing();
}

void MainWindow::askBeforeClosing()
{
    if (m_closeQuestion) {
        m_closeQuestion->raise();
        return;
    }
    const QList<JobHandle *> running = m_jobs->runningJobs();
    QStringList names;
    for (JobHandle *job : running)
        names << QStringLiteral("<li>%1</li>").arg(m_jobs->titleFor(job).toHtmlEscaped());
    auto *box = new QMessageBox(QMessageBox::Question, tr("Jobs Are Running"),
                                tr("%n job(s) not finished yet:", nullptr, int(running.size()))
                                    + QStringLiteral("<ul>%1</ul>").arg(names.join(QString())),
                                QMessageBox::NoButton, this);
    box->setObjectName(QStringLiteral("closeQuestion"));
    box->setTextFormat(Qt::RichText);
    box->setInformativeText(tr("Cancelling removes their temporary snapshots and volumes; a cancelled backup is not "
                               "kept and a cancelled restore leaves its target incomplete."));
    QPushButton *cancelJobs = box->addButton(tr("Cancel Jobs and Quit"), QMessageBox::DestructiveRole);
    cancelJobs->setObjectName(QStringLiteral("cancelJobsAndQuit"));
    connect(cancelJobs, &QAbstractButton::clicked, this, &MainWindow::cancelJobsAndQuit);
    if (m_tray && QSystemTrayIcon::isSystemTrayAvailable()) {
        QPushButton *tray = box->addButton(tr("Keep Running in the Tray"), QMessageBox::AcceptRole);
        tray->setObjectName(QStringLiteral("keepRunningInTray"));
        connect(tray, &QAbstractButton::clicked, this, &MainWindow::keepRunningInTray);
    }
    QPushButton *stay = box->addButton(tr("Don't Close"), QMessageBox::RejectRole);
    stay->setObjectName(QStringLiteral("dontClose"));
    box->setDefaultButton(stay);
    box->setEscapeButton(stay);
    box->setAttribute(Qt::WA_DeleteOnClose);
    m_closeQuestion = box;
    box->open();
}

void MainWindow::cancelJobsAndQuit()
{
    const QList<JobHandle *> running = m_jobs->runningJobs();
    m_quitAfterJobs = true;
    for (JobHandle *job : running)
        job->cancel();
    statusBar()->showMessage(tr("Cancelling %n job(s) and cleaning up before quitting…", nullptr, int(running.size())));
    if (running.isEmpty())
        quitWhenJobsEnded();
}

void MainWindow::keepRunningInTray()
{
    m_quitAfterJobs = true;
    hide();
    notify(tr("ndbackup keeps running"),
           tr("%n job(s) continue in the background; ndbackup quits when they end.", nullptr, m_jobs->runningCount()),
           Notice::Information);
}

void MainWindow::quitWhenJobsEnded()
{
    m_quitAfterJobs = false;
    m_quitConfirmed = true;
    if (isVisible())
        close(); // the last window: the application quits as it does without jobs
    else
        QCoreApplication::quit();
}

void MainWindow::resetVolumeStatus()
{
    const QStringList ids = selectedVolumeIds();
    if (!m_engine || ids.size() != 1)
        return;
    Volume volume;
    for (const Volume &v : m_model->volumes())
        if (v.id == ids.first())
            volume = v;
    if (volume.id.isEmpty())
        return;
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Reset Volume Status"),
                                tr("Reset the status of %1 from '%2' to 'available'?").arg(volume.name, volume.status),
                                QMessageBox::Yes | QMessageBox::Cancel, this);
    box->setObjectName(QStringLiteral("resetStatusConfirmation"));
    box->setInformativeText(tr("Do this only when you know that the data on the volume is usable, e.g. after you "
                               "restored it another way. A volume that holds a partial restore stays damaged. "
                               "The reset is recorded in the history."));
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    const QString id = volume.id;
    connect(box->button(QMessageBox::Yes), &QAbstractButton::clicked, this, [this, id] {
        try {
            const Volume v = m_engine->resetVolumeStatus(id);
            notify(tr("Volume Status Reset"), tr("%1 is '%2' again.").arg(v.name, v.status), Notice::Information);
        } catch (const Error &e) {
            notify(tr("Volume Status Not Reset"), e.message(), Notice::Failure);
        }
        reloadFromCatalog();
        m_history->reload();
    });
    box->open();
}

QStringList MainWindow::selectedVolumeIds() const
{
    QStringList ids;
    for (const QModelIndex &idx : m_view->selectionModel()->selectedRows()) {
        const QString id = idx.data(VolumeModel::VolumeIdRole).toString();
        if (!id.isEmpty())
            ids << id;
    }
    return ids;
}

void MainWindow::refresh()
{
    if (!m_engine)
        return;
    m_refreshAction->setEnabled(false);
    m_refreshError.clear(); // this inventory's errors replace the last one's
    m_statusLabel->setText(tr("Asking the storage for its volumes…"));
    try {
        m_engine->refreshVolumesAsync();
    } catch (const Error &e) {
        m_refreshError = e.message();
        m_refreshAction->setEnabled(true);
        updateStatusBar();
    }
}

void MainWindow::applyVolumes(const QList<Volume> &volumes)
{
    m_refreshAction->setEnabled(true);
    m_lastRefresh = QDateTime::currentDateTime();
    QList<Backup> backups;
    QList<Job> jobs;
    try {
        backups = m_engine->backups();
        HistoryFilter filter;
        filter.kind = QStringLiteral("backup");
        filter.limit = 5000;
        jobs = m_engine->jobs(filter);
    } catch (const Error &) {
    }
    const QStringList selected = selectedVolumeIds();
    m_model->setInventory(volumes, backups, jobs);
    expandAndSelect(selected);
    fitVolumeColumns();
    m_history->setVolumes(volumes);
    updateStatusBar();
    updatePlaceholder();
}

// After the model was reset: every row open, the volumes that were selected selected again.
void MainWindow::expandAndSelect(const QStringList &volumeIds)
{
    m_view->expandAll();
    for (const QString &id : volumeIds) {
        const QModelIndex idx = m_filter->mapFromSource(m_model->indexOfVolume(id));
        if (idx.isValid())
            m_view->selectionModel()->select(idx, QItemSelectionModel::Select | QItemSelectionModel::Rows);
    }
}

void MainWindow::checkStorageNodes()
{
    if (!m_engine)
        return;
    const QStringList agents = m_engine->config().agents;
    if (agents.isEmpty()) {
        const QStringList selected = selectedVolumeIds();
        m_model->setStorageNodes({});
        m_offlineNodes.clear();
        expandAndSelect(selected);
        updateStatusBar();
        return;
    }
    // Whether each node answers, asked off the GUI thread; an offline node is a greyed row, not a dialog.
    storageNodeStatesAsync(m_engine->config().consoleStateDir(), this, [this, agents](const QList<AgentState> &states, const QString &error) {
        QList<VolumeModel::StorageNode> nodes;
        m_offlineNodes.clear();
        for (const QString &address : agents) {
            VolumeModel::StorageNode node;
            node.host = address;
            node.problem = error.isEmpty() ? tr("not trusted: add it in Settings, Storage Nodes") : error;
            for (const AgentState &s : states)
                if (s.agent.address.text() == address) {
                    node.host = s.agent.node.isEmpty() ? address : s.agent.node;
                    node.online = s.online;
                    node.problem = s.problem;
                }
            nodes << node;
            if (!node.online)
                m_offlineNodes << address;
        }
        const QStringList selected = selectedVolumeIds();
        m_model->setStorageNodes(nodes);
        expandAndSelect(selected);
        fitVolumeColumns();
        updateStatusBar();
    });
}

// Columns as wide as their contents, except that driver ids and pool paths (the Name column's
// driver rows, the Driver column) carry a path of any length: they give way, elided with the whole
// text in the tooltip, so that the last backup, its result and consistency stay in view.
void MainWindow::fitVolumeColumns()
{
    constexpr int kPathColumnCap = 360;
    int total = 0;
    for (int c = 0; c < VolumeModel::ColumnCount; ++c) {
        m_view->resizeColumnToContents(c);
        if (m_view->columnWidth(c) > kPathColumnCap)
            m_view->setColumnWidth(c, kPathColumnCap);
        total += m_view->columnWidth(c);
    }
    const int excess = total - m_view->viewport()->width();
    if (excess <= 0 || !m_view->isVisible())
        return;
    // The Name column keeps its volume names whole; only the driver rows' paths are elided.
    int volumeNames = 0;
    const QFontMetrics fm(m_view->font());
    for (const Volume &v : m_model->volumes())
        volumeNames = std::max(volumeNames, fm.horizontalAdvance(v.name));
    // Host rows whole too: an offline node's row says so at its end ("Host node1 (offline)").
    int hostRows = 0;
    for (int r = 0; r < m_filter->rowCount(); ++r)
        hostRows = std::max(hostRows, m_view->sizeHintForIndex(m_filter->index(r, 0)).width() + m_view->indentation());
    const int nameFloor = std::min(kPathColumnCap, std::max(volumeNames + m_view->indentation() * 3 + m_view->iconSize().width() + 24,
                                                            hostRows));
    const int fromName = std::clamp(m_view->columnWidth(VolumeModel::NameColumn) - nameFloor, 0, excess);
    m_view->setColumnWidth(VolumeModel::NameColumn, m_view->columnWidth(VolumeModel::NameColumn) - fromName);
    const int rest = excess - fromName;
    if (rest > 0)
        m_view->setColumnWidth(VolumeModel::DriverColumn,
                               std::max(120, m_view->columnWidth(VolumeModel::DriverColumn) - rest));
}

void MainWindow::reloadFromCatalog()
{
    if (!m_engine)
        return;
    try {
        const QList<Volume> volumes = m_engine->volumes();
        if (!m_lastRefresh.isValid())
            m_lastRefresh = QDateTime::currentDateTime();
        applyVolumes(volumes);
    } catch (const Error &e) {
        m_refreshError = e.message();
        updateStatusBar();
    }
}

void MainWindow::scheduleCatalogReload()
{
    if (!m_reloadTimer->isActive())
        m_reloadTimer->start();
}

QString MainWindow::statusText() const
{
    return m_statusLabel->text();
}

void MainWindow::updateStatusBar()
{
    const QList<Volume> volumes = m_model->volumes();
    int inUse = 0, busy = 0;
    for (const Volume &v : volumes) {
        if (v.status == VolumeStatus::InUse)
            ++inUse;
        else if (v.status == VolumeStatus::BackingUp || v.status == VolumeStatus::RestoringBackup)
            ++busy;
    }
    QString text = tr("%n volume(s)", nullptr, int(volumes.size())) + QStringLiteral(" · ")
                   + tr("%n in use", nullptr, inUse) + QStringLiteral(" · ") + tr("%n busy", nullptr, busy);
    const int selected = int(selectedVolumeIds().size());
    if (selected > 0)
        text += QStringLiteral(" · ") + tr("%n selected", nullptr, selected);
    if (m_lastRefresh.isValid())
        text += QStringLiteral(" · ") + tr("updated %1").arg(QLocale().toString(m_lastRefresh.time(), QLocale::ShortFormat));
    if (m_engine && m_engine->inventoryPending())
        text += QStringLiteral(" · ") + tr("asking the storage…");
    // A node that does not answer is its greyed row and a count here, not a storage error.
    QStringList errors = m_refreshError.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (const QString &address : std::as_const(m_offlineNodes))
        errors.removeIf([&address](const QString &e) { return e.startsWith(QStringLiteral("remote:%1: ").arg(address)); });
    if (!m_offlineNodes.isEmpty())
        text += QStringLiteral(" · ") + tr("%n storage node(s) offline", nullptr, int(m_offlineNodes.size()));
    if (!errors.isEmpty())
        text += QStringLiteral(" · ") + tr("storage error: %1").arg(errors.join(QLatin1Char('\n')));
    m_statusLabel->setText(text);
    m_jobsLabel->setText(tr("%n job(s) running", nullptr, m_jobs->runningCount()));
    m_restoreAction->setEnabled(m_engine != nullptr);
    m_resetStatusAction->setEnabled(m_engine != nullptr && selected == 1);
}

void MainWindow::onJobFinished(JobHandle *job, const QString &status, const QString &error)
{
    reloadFromCatalog();
    m_history->reload();
    if (!job)
        return;
    const QString title = tr("%1 job #%2").arg(UiText::jobKind(job->kind())).arg(job->id());
    if (status == JobStatus::Failed && m_uiSettings.notifyOnFailure)
        notify(tr("Job failed"), tr("%1 of %2 failed: %3").arg(title, job->subject(), error), Notice::Failure);
    else if (status == JobStatus::SucceededWithWarnings)
        notify(tr("Job completed with warnings"), tr("%1 of %2 completed with warnings: %3").arg(title, job->subject(), error), Notice::Warning);
    else if (status == JobStatus::Succeeded && m_uiSettings.notifyOnSuccess)
        notify(tr("Job finished"), tr("%1 of %2 finished successfully.").arg(title, job->subject()), Notice::Information);
    else if (status == JobStatus::Cancelled)
        statusBar()->showMessage(tr("%1 of %2 was cancelled.").arg(title, job->subject()), 8000);
}

void MainWindow::notify(const QString &title, const QString &message, Notice notice)
{
    m_lastNotification = message;
    m_lastNotice = notice;
    const QSystemTrayIcon::MessageIcon icon = notice == Notice::Failure ? QSystemTrayIcon::Critical
                                              : notice == Notice::Warning ? QSystemTrayIcon::Warning
                                                                          : QSystemTrayIcon::Information;
    if (m_tray && m_tray->isVisible() && QSystemTrayIcon::supportsMessages())
        m_tray->showMessage(title, message, icon, 10000);
    statusBar()->showMessage(message, 15000);
}

void MainWindow::openBackupWizard()
{
    if (!m_engine)
        return;
    auto *wizard = new BackupWizard(m_engine, m_model->volumes(), selectedVolumeIds(), this);
    wizard->setAttribute(Qt::WA_DeleteOnClose);
    connect(wizard, &BackupWizard::launched, this, [this](const QList<JobHandle *> &jobs, const QStringList &errors) {
        for (JobHandle *j : jobs)
            m_jobs->addJob(j);
        if (!errors.isEmpty()) {
            auto *box = new QMessageBox(QMessageBox::Warning, tr("Backup Not Started"),
                                        tr("Some backups could not be started:") + QStringLiteral("\n\n")
                                            + errors.join(QLatin1Char('\n')),
                                        QMessageBox::Ok, this);
            box->setAttribute(Qt::WA_DeleteOnClose);
            box->open();
        }
        scheduleCatalogReload();
    });
    wizard->open();
}

void MainWindow::openRestoreWizard()
{
    if (!m_engine)
        return;
    // Preselect the newest backup of the selected volume.
    QString preselected;
    const QStringList ids = selectedVolumeIds();
    if (!ids.isEmpty()) {
        try {
            QDateTime newest;
            for (const Backup &b : m_engine->backups(ids.first()))
                if (b.status == BackupStatus::Available && (!newest.isValid() || b.createdAt > newest)) {
                    newest = b.createdAt;
                    preselected = b.id;
                }
        } catch (const Error &) {
        }
    }
    auto *wizard = new RestoreWizard(m_engine, preselected, this);
    wizard->setAttribute(Qt::WA_DeleteOnClose);
    connect(wizard, &RestoreWizard::restoreStarted, m_jobs, &JobsPanel::addJob);
    wizard->open();
}

void MainWindow::openReportsDialog()
{
    auto *dialog = new ReportsDialog(m_engine, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
}

void MainWindow::openSettings()
{
    auto *dialog = new SettingsDialog(m_engine ? m_engine->config() : EngineConfig::defaults(), m_uiSettings,
                                      m_configFile, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    // A node added or removed is managed (or no longer) at once: its volumes follow with the inventory.
    connect(dialog, &SettingsDialog::agentsChanged, this, [this](const QStringList &agents) {
        if (!m_engine)
            return;
        m_engine->setAgents(agents);
        refresh();
    });
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        m_uiSettings = dialog->uiSettings();
        if (m_uiSettings.showTrayIcon && !m_tray)
            createTrayIcon();
        else if (!m_uiSettings.showTrayIcon && m_tray) {
            m_tray->hide();
            m_tray->deleteLater();
            m_tray = nullptr;
        }
        statusBar()->showMessage(tr("Settings saved to %1").arg(m_configFile), 8000);
    });
    dialog->open();
}

void MainWindow::showHistory()
{
    m_tabs->setCurrentWidget(m_history);
    m_history->reload();
}

void MainWindow::showVolumes()
{
    m_tabs->setCurrentIndex(0);
}

} // namespace ndb
