#include "storagenodespage.h"

#include "uitext.h"
#include "util/coroutinethread.h"
#include "util/error.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPalette>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace ndb {

namespace {
// Runs `work` on a worker thread (the network must not stall the window) and hands its result,
// or its error in words, to `done` on `receiver`'s thread; nothing when `receiver` is gone.
template<typename T>
void onWorker(QObject *receiver, std::function<QCoro::Task<T>()> work, std::function<void(const T &, const QString &)> done)
{
    QPointer<QObject> guard(receiver);
    CoroutineThread::startDetached([guard, work, done]() -> QCoro::Task<> {
        T result{};
        QString error;
        try {
            result = co_await work();
        } catch (...) {
            error = describeException(std::current_exception());
        }
        QMetaObject::invokeMethod(guard, [guard, done, result, error] {
            if (guard)
                done(result, error);
        }, Qt::QueuedConnection);
    });
}
} // namespace

void storageNodeStatesAsync(const QString &stateDir, QObject *receiver,
                            std::function<void(const QList<AgentState> &, const QString &)> done)
{
    onWorker<QList<AgentState>>(receiver, [stateDir]() -> QCoro::Task<QList<AgentState>> {
        StorageNodes nodes(stateDir);
        co_return co_await nodes.states();
    }, std::move(done));
}

StorageNodesPage::StorageNodesPage(const QStringList &agents, const QString &stateDir, QWidget *parent)
    : QWidget(parent)
    , m_agents(agents)
    , m_nodes(stateDir)
{
    auto *intro = new QLabel(tr("The storage nodes whose volumes this console manages through their agent "
                                "(ndbackup-agent). A node is added by its address, you confirm its fingerprint once, and it is "
                                "managed at once (Save is not needed)."),
                             this);
    intro->setWordWrap(true);

    m_list = new QTreeWidget(this);
    m_list->setObjectName(QStringLiteral("storageNodesList"));
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->setHeaderLabels({tr("Address"), tr("Node"), tr("State"), tr("Fingerprint")});
    m_list->setAccessibleName(tr("Storage nodes"));
    m_list->setTextElideMode(Qt::ElideMiddle); // the fingerprint: whole in its tooltip

    m_address = new QLineEdit(this);
    m_address->setObjectName(QStringLiteral("nodeAddress"));
    m_address->setPlaceholderText(tr("host or host:port (port 8787 when omitted)"));
    m_expected = new QLineEdit(this);
    m_expected->setObjectName(QStringLiteral("nodeExpectedFingerprint"));
    m_expected->setPlaceholderText(tr("optional: SHA256:… as 'ndbackup-agent show-fingerprint' prints it on the node"));
    m_add = new QPushButton(tr("Add N&ode…"), this);
    m_add->setObjectName(QStringLiteral("addNode"));
    m_busy = new QProgressBar(this);
    m_busy->setObjectName(QStringLiteral("nodeBusy"));
    m_busy->setRange(0, 0); // busy: no steps to count
    m_busy->setTextVisible(false);
    m_busy->setMaximumWidth(80);
    m_busy->hide();
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("nodeMessage"));
    m_message->setWordWrap(true);
    m_message->setTextFormat(Qt::PlainText);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();

    m_remove = new QPushButton(tr("Re&move…"), this);
    m_remove->setObjectName(QStringLiteral("removeNode"));
    m_remove->setEnabled(false);
    m_recheck = new QPushButton(tr("Chec&k Again"), this);

    m_consoleFingerprint = new QLabel(this);
    m_consoleFingerprint->setObjectName(QStringLiteral("consoleFingerprint"));
    m_consoleFingerprint->setWordWrap(true);
    m_consoleFingerprint->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);

    auto *addRow = new QHBoxLayout;
    addRow->addWidget(m_address, 1);
    addRow->addWidget(m_add);
    addRow->addWidget(m_busy);
    auto *addForm = new QFormLayout;
    auto *addressLabel = new QLabel(tr("A&ddress:"), this);
    addressLabel->setBuddy(m_address);
    addForm->addRow(addressLabel, addRow);
    auto *expectedLabel = new QLabel(tr("E&xpected fingerprint:"), this);
    expectedLabel->setBuddy(m_expected);
    addForm->addRow(expectedLabel, m_expected);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_remove);
    buttons->addWidget(m_recheck);
    buttons->addStretch(1);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(m_list, 1);
    layout->addLayout(buttons);
    layout->addLayout(addForm);
    layout->addWidget(m_message);
    layout->addWidget(m_consoleFingerprint);

    connect(m_add, &QPushButton::clicked, this, &StorageNodesPage::addNode);
    connect(m_address, &QLineEdit::returnPressed, this, &StorageNodesPage::addNode);
    connect(m_remove, &QPushButton::clicked, this, &StorageNodesPage::removeSelected);
    connect(m_recheck, &QPushButton::clicked, this, &StorageNodesPage::checkStates);
    connect(m_list, &QTreeWidget::itemSelectionChanged, this,
            [this] { m_remove->setEnabled(!m_list->selectedItems().isEmpty()); });
    fillList({}, false);
}

// The console's identity is made on first use, and the nodes are asked only when the page is
// looked at: opening Settings for something else changes nothing here.
void StorageNodesPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_shown)
        return;
    m_shown = true;
    try {
        m_consoleFingerprint->setText(tr("This console's fingerprint, to give to each node with "
                                         "'ndbackup-agent trust-console': %1").arg(m_nodes.identity().fingerprint()));
    } catch (const Error &e) {
        m_consoleFingerprint->setText(tr("This console has no identity yet: %1").arg(e.message()));
    }
    checkStates();
}

QMessageBox *StorageNodesPage::question() const
{
    return m_question;
}

void StorageNodesPage::checkStates()
{
    fillList({}, false);
    ++m_checking;
    m_recheck->setEnabled(false);
    storageNodeStatesAsync(m_nodes.stateDirectory(), this, [this](const QList<AgentState> &states, const QString &error) {
        --m_checking;
        m_recheck->setEnabled(m_checking == 0);
        if (!error.isEmpty())
            showProblem(error);
        fillList(states, error.isEmpty());
    });
}

// One row per configured agent: what is pinned for it and, once `known`, whether it answers.
void StorageNodesPage::fillList(const QList<AgentState> &states, bool known)
{
    QList<PinnedAgent> pinned;
    try {
        pinned = m_nodes.pinned();
    } catch (const Error &e) {
        showProblem(e.message());
    }
    const QString selected = m_list->currentItem() ? m_list->currentItem()->text(AddressColumn) : QString();
    m_list->clear();
    const QColor grey = palette().color(QPalette::Disabled, QPalette::Text);
    for (const QString &address : std::as_const(m_agents)) {
        auto *item = new QTreeWidgetItem(m_list);
        item->setText(AddressColumn, address);
        const PinnedAgent *pin = nullptr;
        for (const PinnedAgent &p : std::as_const(pinned))
            if (p.address.text() == address)
                pin = &p;
        const AgentState *state = nullptr;
        for (const AgentState &s : states)
            if (s.agent.address.text() == address)
                state = &s;
        const QString node = state ? state->agent.node : pin ? pin->node : QString();
        item->setText(NodeColumn, node);
        if (pin) {
            item->setText(FingerprintColumn, pin->fingerprint);
            item->setToolTip(FingerprintColumn, pin->fingerprint);
        }
        if (!pin) {
            item->setText(StateColumn, tr("not trusted"));
            item->setToolTip(StateColumn, tr("Add it again to confirm its fingerprint."));
            item->setForeground(StateColumn, grey);
        } else if (!known || !state) {
            item->setText(StateColumn, tr("checking…"));
        } else if (state->online) {
            item->setText(StateColumn, tr("online"));
            item->setIcon(StateColumn, UiText::icon(QStringLiteral("status-available")));
        } else {
            item->setText(StateColumn, tr("offline"));
            item->setToolTip(StateColumn, state->problem);
            item->setForeground(StateColumn, grey);
            item->setIcon(StateColumn, UiText::icon(QStringLiteral("status-unknown")));
        }
        if (address == selected)
            m_list->setCurrentItem(item);
    }
    for (int c = 0; c < FingerprintColumn; ++c)
        m_list->resizeColumnToContents(c);
    m_remove->setEnabled(!m_list->selectedItems().isEmpty());
}

void StorageNodesPage::setBusy(bool busy)
{
    m_busy->setVisible(busy);
    m_add->setEnabled(!busy);
    m_address->setReadOnly(busy);
    m_expected->setReadOnly(busy);
}

void StorageNodesPage::showProblem(const QString &text)
{
    m_message->setText(text);
    m_message->setVisible(!text.isEmpty());
}

void StorageNodesPage::addNode()
{
    if (m_busy->isVisible() || m_question)
        return;
    AgentAddress address;
    try {
        address = AgentAddress::parse(m_address->text().trimmed());
        // Checked before the network: a typo in it must not wait for a connection.
        if (!m_expected->text().trimmed().isEmpty())
            m_expected->setText(normalizeFingerprint(m_expected->text().trimmed()));
    } catch (const Error &e) {
        showProblem(e.message());
        return;
    }
    setBusy(true);
    showProblem(tr("Asking %1 for its certificate…").arg(address.text()));
    const QString stateDir = m_nodes.stateDirectory();
    onWorker<QSslCertificate>(this, [stateDir, address]() -> QCoro::Task<QSslCertificate> {
        const StorageNodes nodes(stateDir);
        co_return co_await nodes.probe(address);
    }, [this, address](const QSslCertificate &certificate, const QString &error) {
        setBusy(false);
        probed(address, certificate, error);
    });
}

void StorageNodesPage::probed(const AgentAddress &address, const QSslCertificate &certificate, const QString &error)
{
    if (!error.isEmpty() || certificate.isNull()) {
        showProblem(tr("%1 was not added: %2").arg(address.text(), error.isEmpty() ? tr("it presented no certificate") : error));
        return;
    }
    const QString fingerprint = certificateFingerprint(certificate);
    const QString expected = m_expected->text().trimmed();
    if (!expected.isEmpty() && expected != fingerprint) {
        showProblem(tr("%1 was not added: its fingerprint is %2, not the %3 expected. Read it on the node with "
                       "'ndbackup-agent show-fingerprint'; a difference means another machine answers at that address.")
                        .arg(address.text(), fingerprint, expected));
        return;
    }
    showProblem({});
    QString console;
    try {
        console = m_nodes.identity().fingerprint();
    } catch (const Error &e) {
        console = e.message();
    }
    auto *box = new QMessageBox(QMessageBox::Question, tr("Trust Storage Node"),
                                tr("Trust the storage node at %1?").arg(address.text()), QMessageBox::NoButton, this);
    box->setObjectName(QStringLiteral("trustNodeQuestion"));
    box->setInformativeText(tr("Its agent presents the certificate fingerprint\n%1\n\n"
                               "Compare it with what 'ndbackup-agent show-fingerprint' prints on the node; a different "
                               "fingerprint means another machine answers at this address.\n\n"
                               "Then give the node this console's fingerprint:\n"
                               "ndbackup-agent trust-console %2")
                                .arg(fingerprint, console));
    box->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QPushButton *yes = ask(box, tr("&Trust Node"), QMessageBox::AcceptRole, QStringLiteral("trustNode"));
    connect(yes, &QAbstractButton::clicked, this, [this, address, certificate] { trust(address, certificate); });
    box->open();
}

void StorageNodesPage::trust(const AgentAddress &address, const QSslCertificate &certificate)
{
    try {
        PinnedAgent agent;
        agent.address = address;
        m_nodes.pin(agent, certificate);
    } catch (const Error &e) {
        showProblem(tr("%1 was not added: %2").arg(address.text(), e.message()));
        return;
    }
    if (!m_agents.contains(address.text()))
        m_agents << address.text();
    m_address->clear();
    m_expected->clear();
    Q_EMIT agentsChanged(m_agents);
    checkStates();
}

void StorageNodesPage::removeSelected()
{
    QTreeWidgetItem *item = m_list->currentItem();
    if (!item || m_question)
        return;
    const QString address = item->text(AddressColumn);
    const QString node = item->text(NodeColumn);
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Remove Storage Node"),
                                node.isEmpty() ? tr("Remove the storage node at %1?").arg(address)
                                               : tr("Remove the storage node %1 at %2?").arg(node, address),
                                QMessageBox::NoButton, this);
    box->setObjectName(QStringLiteral("removeNodeQuestion"));
    box->setInformativeText(tr("Its volumes are no longer listed or backed up here; their backups stay in the "
                               "repository. Its fingerprint is forgotten: adding it again asks to confirm it again."));
    QPushButton *yes = ask(box, tr("&Remove Node"), QMessageBox::DestructiveRole, QStringLiteral("confirmRemoveNode"));
    connect(yes, &QAbstractButton::clicked, this, [this, address] {
        try {
            m_nodes.forget(AgentAddress::parse(address));
        } catch (const Error &e) {
            showProblem(e.message());
            return;
        }
        m_agents.removeAll(address);
        Q_EMIT agentsChanged(m_agents);
        checkStates();
    });
    box->open();
}

QPushButton *StorageNodesPage::ask(QMessageBox *box, const QString &yesText, QMessageBox::ButtonRole role, const QString &yesName)
{
    QPushButton *yes = box->addButton(yesText, role);
    yes->setObjectName(yesName);
    QPushButton *no = box->addButton(QMessageBox::Cancel);
    box->setDefaultButton(no); // nothing is trusted or removed by Enter alone
    box->setEscapeButton(no);
    box->setAttribute(Qt::WA_DeleteOnClose);
    m_question = box;
    return yes;
}

} // namespace ndb
