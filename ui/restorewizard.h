#pragma once
// Restore wizard: backup -> target (existing available volume, new volume, file) ->
// confirmation naming what will be overwritten -> progress of the restore job.
#include "backup/requests.h"
#include "jobs/jobhandle.h"
#include "model/backup.h"
#include "model/volume.h"

#include <QPointer>
#include <QWizard>
#include <QWizardPage>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QRadioButton;
class QTreeWidget;
class QVBoxLayout;

namespace ndb {

class Engine;
class JobWidget;
class RestoreWizard;

class RestoreBackupPage : public QWizardPage
{
    Q_OBJECT
public:
    RestoreBackupPage(const QList<Backup> &backups, const QString &preselected, QWidget *parent = nullptr);
    bool isComplete() const override;
    Backup selectedBackup() const;
    bool selectBackup(const QString &backupId);

private:
    QList<Backup> m_backups;
    QTreeWidget *m_list;
};

class RestoreTargetPage : public QWizardPage
{
    Q_OBJECT
public:
    RestoreTargetPage(const QList<Volume> &volumes, const QStringList &drivers, QWidget *parent = nullptr);
    void initializePage() override;
    bool isComplete() const override;

    RestoreRequest::Target target() const;
    void setTarget(RestoreRequest::Target target);
    Volume existingVolume() const;
    QString driverId() const;
    QString newVolumeName() const;
    QString filePath() const;
    QLineEdit *filePathEdit() const { return m_file; }
    QLineEdit *newNameEdit() const { return m_newName; }
    QComboBox *existingCombo() const { return m_existing; }
    // Why the target cannot be used (shown under the fields); empty when it can.
    QString problem() const;
    // Why "An existing volume" is disabled (shown next to it); empty when it is enabled.
    QString existingUnavailableReason() const;

private:
    void updateEnabled();

    QList<Volume> m_volumes;
    QRadioButton *m_toExisting;
    QLabel *m_existingReason;
    QRadioButton *m_toNew;
    QRadioButton *m_toFile;
    QComboBox *m_existing;
    QComboBox *m_driver;
    QLineEdit *m_newName;
    QLineEdit *m_file;
    QLabel *m_error;
};

class RestoreConfirmPage : public QWizardPage
{
    Q_OBJECT
public:
    explicit RestoreConfirmPage(QWidget *parent = nullptr);
    void initializePage() override;
    bool isComplete() const override;
    bool validatePage() override; // submits the restore job
    QString confirmationText() const;
    QCheckBox *confirmCheckBox() const { return m_confirm; }
    bool overwrites() const { return m_overwrites; }

private:
    QLabel *m_text;
    QCheckBox *m_confirm;
    QLabel *m_error;
    bool m_overwrites = false;
};

class RestoreProgressPage : public QWizardPage
{
    Q_OBJECT
public:
    explicit RestoreProgressPage(QWidget *parent = nullptr);
    void initializePage() override;
    bool isComplete() const override;
    JobWidget *jobWidget() const { return m_widget; }

private:
    QVBoxLayout *m_layout;
    JobWidget *m_widget = nullptr;
};

class RestoreWizard : public QWizard
{
    Q_OBJECT
public:
    enum PageId { BackupPageId, TargetPageId, ConfirmPageId, ProgressPageId };

    RestoreWizard(Engine *engine, const QString &preselectedBackup = {}, QWidget *parent = nullptr);

    Engine *engine() const { return m_engine; }
    RestoreRequest request() const;
    JobHandle *job() const { return m_job; }
    void setJob(JobHandle *job) { m_job = job; }

    RestoreBackupPage *backupPage() const { return m_backupPage; }
    RestoreTargetPage *targetPage() const { return m_targetPage; }
    RestoreConfirmPage *confirmPage() const { return m_confirmPage; }
    RestoreProgressPage *progressPage() const { return m_progressPage; }

Q_SIGNALS:
    void restoreStarted(ndb::JobHandle *job);

private:
    Engine *m_engine;
    QPointer<JobHandle> m_job;
    RestoreBackupPage *m_backupPage;
    RestoreTargetPage *m_targetPage;
    RestoreConfirmPage *m_confirmPage;
    RestoreProgressPage *m_progressPage;
};

} // namespace ndb
