#pragma once
// Settings: repositories, catalog, storage pools and notifications, saved to the engine's
// config file (the GUI's own keys live in its [gui] group); storage nodes on their own tab.
#include "engine/engineconfig.h"

#include <QDialog>

class QCheckBox;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;
class QTabWidget;

namespace ndb {

class StorageNodesPage;

struct UiSettings
{
    bool notifyOnFailure = true;
    bool notifyOnSuccess = false;
    bool showTrayIcon = true;

    static UiSettings load(const QString &iniFile);
    void save(const QString &iniFile) const;
};

class SettingsDialog : public QDialog
{
    Q_OBJECT
public:
    SettingsDialog(const EngineConfig &config, const UiSettings &ui, const QString &configFile, QWidget *parent = nullptr);

    EngineConfig config() const;
    UiSettings uiSettings() const;
    // Validates and writes the file; false with the reason shown when it cannot.
    bool saveSettings();

    QLineEdit *repositoryEdit() const { return m_repository; }
    QCheckBox *notifySuccessBox() const { return m_notifySuccess; }
    QTabWidget *tabs() const { return m_tabs; }
    StorageNodesPage *storageNodesPage() const { return m_nodes; }

Q_SIGNALS:
    // A storage node was added or removed (already written to the settings file): the agents to manage.
    void agentsChanged(const QStringList &agents);

public Q_SLOTS:
    void accept() override;

private:
    void saveAgents(const QStringList &agents);

    EngineConfig m_config;
    QString m_file;
    QLineEdit *m_repository;
    QLineEdit *m_container;
    QLineEdit *m_catalog;
    QPlainTextEdit *m_pools;
    QPlainTextEdit *m_vgs;
    QSpinBox *m_jobs;
    QCheckBox *m_freeze;
    QCheckBox *m_refuseInconsistent;
    QCheckBox *m_notifyFailure;
    QCheckBox *m_notifySuccess;
    QCheckBox *m_tray;
    QTabWidget *m_tabs;
    StorageNodesPage *m_nodes;
};

} // namespace ndb
