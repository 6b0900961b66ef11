#pragma once
// Settings → Storage nodes: the agents this console manages (EngineConfig::agents) with their
// trust (StorageNodes): add one by its address (its certificate is asked for on a worker thread,
// the administrator confirms the fingerprint, it is pinned), remove one, see which answer.
#include "volumes/remote/storagenodes.h"

#include <QMessageBox>
#include <QPointer>
#include <QWidget>

#include <functional>

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTreeWidget;

namespace ndb {

// StorageNodes::states() on a worker thread (it waits for every agent); `done` runs on
// `receiver`'s thread with the states, or with the error when the pinned agents cannot be read.
void storageNodeStatesAsync(const QString &stateDir, QObject *receiver,
                            std::function<void(const QList<ndb::AgentState> &states, const QString &error)> done);

class StorageNodesPage : public QWidget
{
    Q_OBJECT
public:
    enum Column { AddressColumn, NodeColumn, StateColumn, FingerprintColumn, ColumnCount };

    // `agents`: the configured agents (HOST:PORT); `stateDir`: where the console's identity
    // and the pinned agents are (EngineConfig::consoleStateDir()).
    StorageNodesPage(const QStringList &agents, const QString &stateDir, QWidget *parent = nullptr);

    QStringList agents() const { return m_agents; }
    QTreeWidget *list() const { return m_list; }
    QLineEdit *addressEdit() const { return m_address; }
    QLineEdit *expectedFingerprintEdit() const { return m_expected; }
    QPushButton *addButton() const { return m_add; }
    QPushButton *removeButton() const { return m_remove; }
    QProgressBar *busyIndicator() const { return m_busy; }
    // Why the last addition did not succeed, in words (empty when it did).
    QLabel *messageLabel() const { return m_message; }
    // The question before trusting a node or removing one (non-modal); null when not shown.
    QMessageBox *question() const;
    // Whether the states of the listed nodes are being asked for.
    bool checking() const { return m_checking > 0; }

public Q_SLOTS:
    void addNode();        // probes the address, then asks to confirm the fingerprint
    void removeSelected(); // asks, then forgets the node
    void checkStates();    // asks every node whether it answers (asynchronously)

Q_SIGNALS:
    // A node was added or removed: the new list of configured agents.
    void agentsChanged(const QStringList &agents);

protected:
    void showEvent(QShowEvent *event) override;

private:
    void fillList(const QList<AgentState> &states, bool known);
    void setBusy(bool busy);
    void showProblem(const QString &text);
    void probed(const AgentAddress &address, const QSslCertificate &certificate, const QString &error);
    void trust(const AgentAddress &address, const QSslCertificate &certificate);
    // The question `box` (non-modal, deleted on close) with `yesText` and Cancel, the default; the yes button.
    QPushButton *ask(QMessageBox *box, const QString &yesText, QMessageBox::ButtonRole role, const QString &yesName);

    QStringList m_agents;
    StorageNodes m_nodes;
    QTreeWidget *m_list;
    QLineEdit *m_address;
    QLineEdit *m_expected;
    QPushButton *m_add;
    QPushButton *m_remove;
    QPushButton *m_recheck;
    QProgressBar *m_busy;
    QLabel *m_message;
    QLabel *m_consoleFingerprint;
    QPointer<QMessageBox> m_question;
    int m_checking = 0;
    bool m_shown = false;
};

} // namespace ndb
