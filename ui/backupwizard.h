#pragma once
// Backup wizard: volumes -> container, name, description -> force (only when a chosen volume is
// in use) -> summary -> launch, one job per volume.
#include "jobs/jobhandle.h"
#include "model/volume.h"

#include <QList>
#include <QWizard>
#include <QHash>
#include <QWizardPage>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;
class QTreeWidget;

namespace ndb {

class Engine;


class BackupVolumesPage : public QWizardPage
{
    Q_OBJECT
public:
    BackupVolumesPage(const QList<Volume> &volumes, const QStringList &preselected, QWidget *parent = nullptr);
    bool isComplete() const override;
    QList<Volume> selectedVolumes() const;
    void setChecked(const QString &volumeId, bool checked);

private:
    QList<Volume> m_volumes;
    QTreeWidget *m_list;
};

class BackupDetailsPage : public QWizardPage
{
    Q_OBJECT
public:
    BackupDetailsPage(const QStringList &containers, const QString &defaultContainer, QWidget *parent = nullptr);
    bool isComplete() const override;
    QString container() const;
    QString backupName() const;
    QString description() const;
    qint64 bandwidthLimit() const; // bytes per second, 0 = unlimited
    QLineEdit *nameEdit() const { return m_name; }
    QSpinBox *bandwidthSpin() const { return m_bandwidth; }

private:
    QString problem() const; // why the input cannot be used, empty when it can
    QComboBox *m_container;
    QLineEdit *m_name;
    QPlainTextEdit *m_description;
    QSpinBox *m_bandwidth;
    QLabel *m_error;
};

class BackupForcePage : public QWizardPage
{
    Q_OBJECT
public:
    explicit BackupForcePage(QWidget *parent = nullptr);
    void initializePage() override;
    bool isComplete() const override;
    QCheckBox *forceCheckBox() const { return m_force; }

private:
    QLabel *m_explanation;
    QCheckBox *m_force;
};

class BackupSummaryPage : public QWizardPage
{
    Q_OBJECT
public:
    explicit BackupSummaryPage(QWidget *parent = nullptr);
    void initializePage() override;
    QString summaryText() const;
    // True once the storage has said, for every chosen volume, which data path it takes.
    bool plansKnown() const { return m_pending == 0; }

private:
    void render();

    QLabel *m_summary;
    // Per chosen volume (by id): the data path the backup will really take, as the storage
    // says now (Engine::planBackupAsync); asked anew each time the page is shown.
    QHash<QString, QString> m_paths;
    int m_pending = 0;
    int m_generation = 0;
};

class BackupWizard : public QWizard
{
    Q_OBJECT
public:
    enum PageId { VolumesPageId, DetailsPageId, ForcePageId, SummaryPageId };

    BackupWizard(Engine *engine, const QList<Volume> &volumes, const QStringList &preselected = {},
                 QWidget *parent = nullptr);

    int nextId() const override;
    bool anyInUse() const; // among the chosen volumes
    QList<Volume> inUseVolumes() const;

    BackupVolumesPage *volumesPage() const { return m_volumesPage; }
    BackupDetailsPage *detailsPage() const { return m_detailsPage; }
    BackupForcePage *forcePage() const { return m_forcePage; }
    BackupSummaryPage *summaryPage() const { return m_summaryPage; }
    Engine *engine() const { return m_engine; }

    // Jobs started by the last accept(), and errors for the volumes that could not be started.
    QList<JobHandle *> launchedJobs() const { return m_jobs; }
    QStringList launchErrors() const { return m_errors; }

public Q_SLOTS:
    void accept() override;

Q_SIGNALS:
    void launched(const QList<ndb::JobHandle *> &jobs, const QStringList &errors);

private:
    Engine *m_engine;
    BackupVolumesPage *m_volumesPage;
    BackupDetailsPage *m_detailsPage;
    BackupForcePage *m_forcePage;
    BackupSummaryPage *m_summaryPage;
    QList<JobHandle *> m_jobs;
    QStringList m_errors;
};

} // namespace ndb
