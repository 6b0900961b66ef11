// Storage nodes in the GUI (#12) with a real ndbackup-agent on 127.0.0.2: added through Settings →
// Storage Nodes (the address is probed off the GUI thread, the fingerprint shown is the agent's,
// a wrong expected one and an address nobody answers at are refused in words in the dialog), its
// volumes under its host row, a backup of its in-use volume with live progress and the cleanup
// steps on the job card; then the agent stops: the node is a greyed "offline" host row, no
// dialog, the local volumes stay; finally the node is removed.
#include "agent/support/agentnode.h"
#include "support/guienv.h"

#include "jobs/jobhandle.h"
#include "jobspanel.h"
#include "jobwidget.h"
#include "mainwindow.h"
#include "model/status.h"
#include "settingsdialog.h"
#include "storagenodespage.h"
#include "volumemodel.h"
#include "volumes/remote/storagenodes.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>
#include <QTreeWidget>

#include <memory>

using namespace ndb;
using namespace ndbtest;

namespace {
const QString kNode = QStringLiteral("guinode1");
const QString kNodeVolume = QStringLiteral("nodedata");

// A dialog or message box on screen (the test's own windows aside).
QString visibleMessageBoxes()
{
    QStringList out;
    for (QWidget *w : QApplication::topLevelWidgets())
        if (auto *box = qobject_cast<QMessageBox *>(w); box && box->isVisible())
            out << box->text();
    return out.join(QStringLiteral(" | "));
}
} // namespace

class TestStorageNodes : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void noIdentityUntilThePageIsShown();
    void addNodeThroughSettings();
    void remoteBackupJobCard();
    void offlineNodeIsAGreyRow();
    void removeNode();

private:
    SettingsDialog *openSettings();
    // The host row of `host` in the window's volume tree (source model), invalid when none.
    QModelIndex hostRow(const QString &host) const;
    QString configFile() const { return m_env.dir() + QStringLiteral("/ndbackup.conf"); }

    GuiEnv m_env;
    AgentNode m_agent;
    QString m_nodePool;
    QString m_consoleFingerprint;
    QFile m_holder; // keeps the node's volume in use
    std::unique_ptr<MainWindow> m_window;
};

void TestStorageNodes::initTestCase()
{
    useEnglishUi();
    if (!QFileInfo(agentExecutable()).isExecutable())
        QFAIL(qPrintable(QStringLiteral("ndbackup-agent is not built at %1").arg(agentExecutable())));
    NDB_TRY(m_env.setUp());
    // The node's pool on the same scratch btrfs as the console's own pool (reflink snapshots).
    m_nodePool = QDir(m_env.poolPath()).absoluteFilePath(QStringLiteral("../nodepool"));
    QVERIFY(QDir().mkpath(m_nodePool));
    QFile image(m_nodePool + QLatin1Char('/') + kNodeVolume + QStringLiteral(".img"));
    QVERIFY(image.open(QIODevice::WriteOnly));
    QByteArray block(1 << 20, 'n');
    for (int i = 0; i < 8; ++i)
        QCOMPARE(image.write(block), qint64(block.size()));
    image.close();
    m_holder.setFileName(image.fileName());
    QVERIFY(m_holder.open(QIODevice::ReadWrite)); // a writable descriptor makes it in-use

    QString why;
    QVERIFY2(m_agent.configure(m_env.dir(), QStringLiteral("127.0.0.2"), kNode, {m_nodePool}, 10, 5, &why), qPrintable(why));
    QVERIFY2(m_agent.start(&why), qPrintable(why));
    QVERIFY(m_agent.fingerprint.startsWith(QLatin1String("SHA256:")));
    // The other direction of the enrolment, on the node: it trusts this console.
    NDB_TRY(m_consoleFingerprint = StorageNodes(m_env.engine()->config().consoleStateDir()).identity().fingerprint());
    QString out;
    QCOMPARE(m_agent.command({QStringLiteral("trust-console"), m_consoleFingerprint}, &out), 0);

    m_window = std::make_unique<MainWindow>(m_env.engine(), configFile());
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestStorageNodes::cleanupTestCase()
{
    m_window.reset();
    m_holder.close();
    if (m_agent.process)
        m_agent.stop();
}

// Opening Settings for something else makes no key: the console's identity is made (and the
// nodes asked) when the Storage Nodes page is first shown.
void TestStorageNodes::noIdentityUntilThePageIsShown()
{
    QTemporaryDir tmp;
    EngineConfig config = EngineConfig::defaults();
    config.catalogPath = tmp.filePath(QStringLiteral("catalog.sqlite"));
    SettingsDialog dialog(config, UiSettings(), tmp.filePath(QStringLiteral("ndbackup.conf")));
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QVERIFY2(!QFileInfo::exists(tmp.filePath(QStringLiteral("identity"))), "the General tab made the console's key");
    dialog.tabs()->setCurrentWidget(dialog.storageNodesPage());
    QVERIFY(QFileInfo::exists(tmp.filePath(QStringLiteral("identity"))));
    const QString fingerprint = StorageNodes(tmp.path()).identity().fingerprint();
    QVERIFY(dialog.storageNodesPage()->findChild<QLabel *>(QStringLiteral("consoleFingerprint"))->text().endsWith(fingerprint));
}

SettingsDialog *TestStorageNodes::openSettings()
{
    m_window->openSettings();
    auto *dialog = m_window->findChild<SettingsDialog *>();
    if (dialog)
        dialog->tabs()->setCurrentWidget(dialog->storageNodesPage());
    return dialog;
}

QModelIndex TestStorageNodes::hostRow(const QString &host) const
{
    VolumeModel *model = m_window->volumeModel();
    for (int r = 0; r < model->rowCount(); ++r) {
        const QModelIndex idx = model->index(r, 0);
        if (idx.data().toString().startsWith(QStringLiteral("Host %1").arg(host)))
            return idx;
    }
    return {};
}

void TestStorageNodes::addNodeThroughSettings()
{
    SettingsDialog *dialog = openSettings();
    QVERIFY(dialog);
    QVERIFY(QTest::qWaitForWindowExposed(dialog));
    StorageNodesPage *page = dialog->storageNodesPage();
    QCOMPARE(page->list()->topLevelItemCount(), 0);
    QVERIFY2(page->findChild<QLabel *>(QStringLiteral("consoleFingerprint"))->text().contains(m_consoleFingerprint),
             "the page shows this console's fingerprint for 'ndbackup-agent trust-console'");

    // Not an address: said at once, nothing asked on the network.
    page->addressEdit()->setText(QStringLiteral("node:port"));
    QTest::mouseClick(page->addButton(), Qt::LeftButton);
    QVERIFY(page->messageLabel()->isVisible());
    QVERIFY2(page->messageLabel()->text().contains(QLatin1String("port")), qPrintable(page->messageLabel()->text()));
    QVERIFY(!page->busyIndicator()->isVisible());

    // An address nobody answers at: busy while asked, then in words in the dialog, no box.
    page->addressEdit()->setText(QStringLiteral("127.0.0.2:%1").arg(m_agent.apiPort + 4));
    QTest::mouseClick(page->addButton(), Qt::LeftButton);
    QVERIFY2(page->busyIndicator()->isVisible(), "the probe runs off the GUI thread with a busy indicator");
    QVERIFY(!page->addButton()->isEnabled());
    QVERIFY(waitFor([&] { return !page->busyIndicator()->isVisible(); }, 30000));
    QVERIFY2(page->messageLabel()->text().contains(QLatin1String("was not added")), qPrintable(page->messageLabel()->text()));
    QVERIFY(!page->question());
    QVERIFY(page->addButton()->isEnabled());

    // The agent's address with a fingerprint that is not its own: refused, nothing pinned.
    page->addressEdit()->setText(m_agent.addressText());
    page->expectedFingerprintEdit()->setText(QStringLiteral("SHA256:") + QString(64, QLatin1Char('a')));
    QTest::mouseClick(page->addButton(), Qt::LeftButton);
    QVERIFY(waitFor([&] { return !page->busyIndicator()->isVisible(); }, 30000));
    QVERIFY2(page->messageLabel()->text().contains(m_agent.fingerprint), qPrintable(page->messageLabel()->text()));
    QVERIFY(!page->question());
    const StorageNodes nodes(m_env.engine()->config().consoleStateDir());
    QVERIFY(nodes.pinned().isEmpty());

    // The right one: the confirmation shows the agent's full fingerprint and the console's own.
    page->expectedFingerprintEdit()->clear();
    QTest::mouseClick(page->addButton(), Qt::LeftButton);
    QVERIFY(page->busyIndicator()->isVisible());
    QVERIFY(waitFor([&] { return page->question() != nullptr; }, 30000));
    QMessageBox *question = page->question();
    QVERIFY(question->isVisible());
    QVERIFY2(question->informativeText().contains(m_agent.fingerprint), qPrintable(question->informativeText()));
    QVERIFY2(question->informativeText().contains(QStringLiteral("ndbackup-agent trust-console ") + m_consoleFingerprint),
             qPrintable(question->informativeText()));
    QVERIFY(nodes.pinned().isEmpty()); // not before the administrator confirmed
    saveScreenshot(question, QStringLiteral("settings-trust-node"));
    auto *trust = question->findChild<QPushButton *>(QStringLiteral("trustNode"));
    QVERIFY(trust);
    QTest::mouseClick(trust, Qt::LeftButton);

    QCOMPARE(nodes.pinned().size(), 1);
    QCOMPARE(nodes.pinned().first().fingerprint, m_agent.fingerprint);
    QCOMPARE(m_env.engine()->config().agents, QStringList{m_agent.addressText()});
    QCOMPARE(EngineConfig::load(configFile()).agents, QStringList{m_agent.addressText()});
    QVERIFY(waitFor([&] {
        return page->list()->topLevelItemCount() == 1
               && page->list()->topLevelItem(0)->text(StorageNodesPage::StateColumn) == QLatin1String("online");
    }, 30000));
    QTreeWidgetItem *row = page->list()->topLevelItem(0);
    QCOMPARE(row->text(StorageNodesPage::AddressColumn), m_agent.addressText());
    QCOMPARE(row->text(StorageNodesPage::NodeColumn), kNode);
    QCOMPARE(row->text(StorageNodesPage::FingerprintColumn), m_agent.fingerprint);
    dialog->resize(720, 520);
    saveScreenshot(dialog, QStringLiteral("settings-storage-nodes"));
    dialog->reject();

    // Its volume under its host row, beside the local ones.
    QVERIFY(waitFor([&] { return m_window->volumeModel()->volume(m_env.inUseVolumeId()).id.size() > 0 && hostRow(kNode).isValid()
                                 && m_window->volumeModel()->rowCount(hostRow(kNode)) > 0; }, 30000));
    const QModelIndex host = hostRow(kNode);
    QCOMPARE(host.data().toString(), QStringLiteral("Host %1").arg(kNode));
    QVERIFY(!host.data(VolumeModel::OfflineRole).toBool());
    const QModelIndex driver = m_window->volumeModel()->index(0, 0, host);
    QCOMPARE(driver.data().toString(), QStringLiteral("remote:%1").arg(m_agent.addressText()));
    QCOMPARE(m_window->volumeModel()->rowCount(driver), 1);
    QCOMPARE(m_window->volumeModel()->index(0, 0, driver).data().toString(), kNodeVolume);
    QVERIFY(visibleMessageBoxes().isEmpty());
}

// A backup of the node's in-use volume: the same card as for a local one, with live progress
// and every step of the export path done, cleanup included.
void TestStorageNodes::remoteBackupJobCard()
{
    Volume volume;
    for (const Volume &v : m_window->volumeModel()->volumes())
        if (v.host == kNode && v.name == kNodeVolume)
            volume = v;
    QVERIFY(!volume.id.isEmpty());
    QCOMPARE(volume.status, VolumeStatus::InUse);
    m_window->jobsPanel()->setKeepFinishedFor(60000);
    BackupRequest req;
    req.volumeId = volume.id;
    req.name = QStringLiteral("from-the-node");
    req.force = true;
    JobHandle *job = nullptr;
    NDB_TRY(job = m_env.engine()->submitBackup(req));
    QList<Progress> seen;
    connect(job, &JobHandle::progressChanged, this, [&seen](const Progress &p) { seen << p; });
    QVERIFY(waitFor([&] { return m_window->jobsPanel()->widgetFor(job->id()) != nullptr; }, 5000));
    JobWidget *card = m_window->jobsPanel()->widgetFor(job->id());
    QVERIFY(waitFor([&] { return job->isFinished(); }, 120000));
    QVERIFY2(job->status() == JobStatus::Succeeded || job->status() == JobStatus::SucceededWithWarnings,
             qPrintable(job->status() + QLatin1Char(' ') + job->error()));
    bool bytes = false;
    QStringList phases;
    for (const Progress &p : std::as_const(seen)) {
        bytes = bytes || (p.bytesDone > 0 && p.bytesTotal == 8 << 20);
        if (!phases.contains(p.phase))
            phases << p.phase;
    }
    QVERIFY2(bytes, "the card was told bytes done of the node's volume while it ran");
    QCOMPARE(card->percent(), 100);
    for (const QString &step : {QStringLiteral("snapshot"), QStringLiteral("attach"), QStringLiteral("transfer"),
                                QStringLiteral("detach"), QStringLiteral("cleanup")})
        QVERIFY2(card->stepState(step) == QLatin1String("done"),
                 qPrintable(QStringLiteral("%1: %2 (phases seen: %3)").arg(step, card->stepState(step), phases.join(QLatin1Char(',')))));
    QVERIFY(visibleMessageBoxes().isEmpty());
}

void TestStorageNodes::offlineNodeIsAGreyRow()
{
    m_agent.stop();
    m_window->refresh();
    QVERIFY(waitFor([&] { return hostRow(kNode).isValid() && hostRow(kNode).data(VolumeModel::OfflineRole).toBool(); }, 30000));
    const QModelIndex host = hostRow(kNode);
    QCOMPARE(host.data().toString(), QStringLiteral("Host %1 (offline)").arg(kNode));
    QVERIFY2(host.data(Qt::ToolTipRole).toString().contains(QLatin1String("does not answer")),
             qPrintable(host.data(Qt::ToolTipRole).toString()));
    QVERIFY(host.data(Qt::ForegroundRole).isValid()); // greyed
    // Its row is readable to its end, not elided.
    QTreeView *view = m_window->volumeView();
    const QModelIndex shown = m_window->filterModel()->mapFromSource(host);
    QVERIFY2(view->visualRect(shown).width() >= view->sizeHintForIndex(shown).width(),
             qPrintable(QStringLiteral("%1 px for %2 px").arg(view->visualRect(shown).width()).arg(view->sizeHintForIndex(shown).width())));
    QCOMPARE(m_window->volumeModel()->rowCount(host), 0); // its volumes are left out
    // The rest of the list as usual, and no dialog.
    QVERIFY(m_window->volumeModel()->indexOfVolume(m_env.inUseVolumeId()).isValid());
    QVERIFY(m_window->volumeModel()->indexOfVolume(m_env.availableVolumeId()).isValid());
    QTest::qWait(300);
    QVERIFY2(visibleMessageBoxes().isEmpty(), qPrintable(visibleMessageBoxes()));
    // Said in the status bar as a node offline, not as a storage error.
    QVERIFY2(m_window->statusText().contains(QLatin1String("1 storage node offline")), qPrintable(m_window->statusText()));
    QVERIFY2(!m_window->statusText().contains(QLatin1String("storage error")), qPrintable(m_window->statusText()));
    saveScreenshot(m_window.get(), QStringLiteral("mainwindow-node-offline"));
}

void TestStorageNodes::removeNode()
{
    SettingsDialog *dialog = openSettings();
    QVERIFY(dialog);
    StorageNodesPage *page = dialog->storageNodesPage();
    QVERIFY(waitFor([&] {
        return page->list()->topLevelItemCount() == 1
               && page->list()->topLevelItem(0)->text(StorageNodesPage::StateColumn) == QLatin1String("offline");
    }, 30000));
    QVERIFY(!page->list()->topLevelItem(0)->toolTip(StorageNodesPage::StateColumn).isEmpty());
    QVERIFY(!page->removeButton()->isEnabled());
    page->list()->setCurrentItem(page->list()->topLevelItem(0));
    QVERIFY(page->removeButton()->isEnabled());
    QTest::mouseClick(page->removeButton(), Qt::LeftButton);
    QVERIFY(page->question());
    QVERIFY2(page->question()->text().contains(kNode), qPrintable(page->question()->text()));
    auto *confirm = page->question()->findChild<QPushButton *>(QStringLiteral("confirmRemoveNode"));
    QVERIFY(confirm);
    QTest::mouseClick(confirm, Qt::LeftButton);

    QCOMPARE(page->list()->topLevelItemCount(), 0);
    QVERIFY(StorageNodes(m_env.engine()->config().consoleStateDir()).pinned().isEmpty());
    QVERIFY(m_env.engine()->config().agents.isEmpty());
    QVERIFY(EngineConfig::load(configFile()).agents.isEmpty());
    dialog->reject();
    QVERIFY(waitFor([&] { return !hostRow(kNode).isValid(); }, 30000));
    QVERIFY(waitFor([&] { return !m_window->statusText().contains(QLatin1String("offline")); }, 30000));
    QVERIFY2(!m_window->statusText().contains(QLatin1String("storage error")), qPrintable(m_window->statusText()));
    QVERIFY(m_window->volumeModel()->indexOfVolume(m_env.inUseVolumeId()).isValid());
}

QTEST_MAIN(TestStorageNodes)
#include "tst_storagenodes.moc"
