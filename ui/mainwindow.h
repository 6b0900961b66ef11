#pragma once
// The main window: volumes grouped by host and driver, the jobs panel (dock), the history, and
// the actions that open the wizards and dialogs.
#include "jobs/jobhandle.h"
#include "model/volume.h"
#include "settingsdialog.h"

#include <QMainWindow>
#include <QPointer>

class QAction;
class QDockWidget;
class QLabel;
class QLineEdit;
class QMessageBox;
class QSystemTrayIcon;
class QTabWidget;
class QTimer;
class QTreeView;

namespace ndb {

class Engine;
class HistoryView;
class JobsPanel;
class VolumeFilterModel;
class VolumeModel;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    // configFile: where Settings are saved (EngineConfig::defaultConfigFile() in the application).
    explicit MainWindow(Engine *engine, const QString &configFile = {}, QWidget *parent = nullptr);
    ~MainWindow() override;

    VolumeModel *volumeModel() const { return m_model; }
    VolumeFilterModel *filterModel() const { return m_filter; }
    QTreeView *volumeView() const { return m_view; }
    QLineEdit *filterEdit() const { return m_filterEdit; }
    JobsPanel *jobsPanel() const { return m_jobs; }
    HistoryView *historyView() const { return m_history; }
    QDockWidget *jobsDock() const { return m_jobsDock; }
    QTabWidget *tabs() const { return m_tabs; }
    QAction *backupAction() const { return m_backupAction; }
    QAction *restoreAction() const { return m_restoreAction; }
    QAction *refreshAction() const { return m_refreshAction; }
    QAction *resetStatusAction() const { return m_resetStatusAction; }
    QString statusText() const;
    // "Loading volumes…" over the empty volume list while the storage has not answered yet.
    QLabel *volumePlaceholder() const { return m_placeholder; }
    // Window geometry and dock/toolbar state, in the settings file's [window] group: saved when
    // the window is destroyed, restored when it is created.
    void saveWindowState() const;
    bool restoreWindowState();
    QStringList selectedVolumeIds() const;
    // The last notification shown (tray balloon or status bar), for tests.
    // How the last tray/status notice was marked (a warning is not a failure, nor a success).
    enum class Notice { Information, Warning, Failure };
    QString lastNotification() const { return m_lastNotification; }
    Notice lastNotice() const { return m_lastNotice; }
    // The question closing the window asks while jobs run (non-modal); null when not shown.
    QMessageBox *closeQuestion() const;

public Q_SLOTS:
    void refresh();              // asks the storage (asynchronously)
    void reloadFromCatalog();    // statuses and last backups from the catalog (cheap)
    void openBackupWizard();
    void openRestoreWizard();
    void openReportsDialog();
    void openSettings();
    void showHistory();
    void showVolumes();
    // Asks for a confirmation (a non-modal box), then resets the selected volume's status to
    // 'available' through the engine; the reset is logged in the history.
    void resetVolumeStatus();

protected:
    // With jobs queued or running, asks (closeQuestion()) instead of closing: cancel them and
    // quit, keep running in the tray until they end, or don't close.
    void closeEvent(QCloseEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    void askBeforeClosing();
    void cancelJobsAndQuit();
    void keepRunningInTray();
    void quitWhenJobsEnded();
    void createActions();
    void createMenusAndToolBar();
    void createTrayIcon();
    void updateStatusBar();
    void scheduleCatalogReload();
    void onJobFinished(JobHandle *job, const QString &status, const QString &error);
    void notify(const QString &title, const QString &message, Notice notice);
    void applyVolumes(const QList<Volume> &volumes);
    void expandAndSelect(const QStringList &volumeIds);
    // Asks the storage nodes whether they answer and shows each as a host row (asynchronously).
    void checkStorageNodes();
    void fitVolumeColumns();
    void updatePlaceholder();

    Engine *m_engine;
    QString m_configFile;
    UiSettings m_uiSettings;
    VolumeModel *m_model;
    VolumeFilterModel *m_filter;
    QTreeView *m_view;
    QLineEdit *m_filterEdit;
    QTabWidget *m_tabs;
    HistoryView *m_history;
    JobsPanel *m_jobs;
    QDockWidget *m_jobsDock;
    QLabel *m_statusLabel;
    QLabel *m_jobsLabel;
    QLabel *m_placeholder;
    QSystemTrayIcon *m_tray = nullptr;
    QTimer *m_reloadTimer;
    QTimer *m_autoRefresh;
    QDateTime m_lastRefresh;
    QString m_lastNotification;
    Notice m_lastNotice = Notice::Information;
    QString m_refreshError;
    QStringList m_offlineNodes; // storage nodes (HOST:PORT) that did not answer when last asked
    QPointer<QMessageBox> m_closeQuestion;
    bool m_quitConfirmed = false;  // the close question was answered with quitting
    bool m_quitAfterJobs = false;  // jobs were cancelled (or left to run in the tray): quit when they end

    QAction *m_backupAction = nullptr;
    QAction *m_restoreAction = nullptr;
    QAction *m_refreshAction = nullptr;
    QAction *m_resetStatusAction = nullptr;
    QAction *m_historyAction = nullptr;
    QAction *m_volumesAction = nullptr;
    QAction *m_reportAction = nullptr;
    QAction *m_settingsAction = nullptr;
    QAction *m_filterAction = nullptr;
    QAction *m_quitAction = nullptr;
    QAction *m_aboutAction = nullptr;
};

} // namespace ndb
