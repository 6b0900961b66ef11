#include "volumemodel.h"

#include "model/status.h"
#include "uitext.h"

#include <QFont>
#include <QGuiApplication>
#include <QPalette>

namespace ndb {

struct VolumeModel::Node
{
    NodeKind kind = HostNode;
    QString key; // host name, driver id or volume id
    Volume volume;
    bool offline = false;  // a storage node's host row: the node does not answer
    QString problem;       // why
    Node *parent = nullptr;
    std::vector<std::unique_ptr<Node>> children;

    int row() const
    {
        if (!parent)
            return 0;
        for (size_t i = 0; i < parent->children.size(); ++i)
            if (parent->children[i].get() == this)
                return int(i);
        return 0;
    }
    Node *child(const QString &k) const
    {
        for (const auto &c : children)
            if (c->key == k)
                return c.get();
        return nullptr;
    }
};

VolumeModel::VolumeModel(QObject *parent)
    : QAbstractItemModel(parent)
    , m_root(std::make_unique<Node>())
{
}

VolumeModel::~VolumeModel() = default;

void VolumeModel::setInventory(const QList<Volume> &volumes, const QList<Backup> &backups, const QList<Job> &backupJobs)
{
    m_lastJob.clear();
    for (const Job &j : backupJobs) {
        if (j.kind != QLatin1String("backup"))
            continue;
        auto it = m_lastJob.find(j.volumeId);
        if (it == m_lastJob.end() || j.id > it->id)
            m_lastJob.insert(j.volumeId, j);
    }
    m_lastBackup.clear();
    m_lastRecord.clear();
    for (const Backup &b : backups) {
        auto it = m_lastRecord.find(b.volumeId);
        if (it == m_lastRecord.end() || b.createdAt > it->createdAt)
            m_lastRecord.insert(b.volumeId, b);
        // Usable: it can be restored (also while a restore of it runs).
        if (b.status != BackupStatus::Available && b.status != BackupStatus::Restoring)
            continue;
        auto u = m_lastBackup.find(b.volumeId);
        if (u == m_lastBackup.end() || b.createdAt > u->createdAt)
            m_lastBackup.insert(b.volumeId, b);
    }
    rebuild(volumes);
}

void VolumeModel::rebuild(const QList<Volume> &volumes)
{
    // A full reset is simple and correct; inventories are small (hundreds of volumes).
    beginResetModel();
    m_root = std::make_unique<Node>();
    QList<Volume> sorted = volumes;
    std::sort(sorted.begin(), sorted.end(), [](const Volume &a, const Volume &b) {
        return std::tie(a.host, a.driverId, a.name) < std::tie(b.host, b.driverId, b.name);
    });
    const auto hostNode = [this](const QString &host) {
        Node *h = m_root->child(host);
        if (!h) {
            auto n = std::make_unique<Node>();
            n->kind = HostNode;
            n->key = host;
            n->parent = m_root.get();
            h = n.get();
            m_root->children.push_back(std::move(n));
        }
        return h;
    };
    for (const Volume &v : sorted) {
        Node *h = hostNode(v.host.isEmpty() ? tr("local") : v.host);
        Node *d = h->child(v.driverId);
        if (!d) {
            auto n = std::make_unique<Node>();
            n->kind = DriverNode;
            n->key = v.driverId;
            n->parent = h;
            d = n.get();
            h->children.push_back(std::move(n));
        }
        auto n = std::make_unique<Node>();
        n->kind = VolumeNode;
        n->key = v.id;
        n->volume = v;
        n->parent = d;
        d->children.push_back(std::move(n));
    }
    // Every storage node has its row, also one without volumes or one that does not answer
    // (its volumes were left out of the inventory; those with an operation on them stay).
    for (const StorageNode &node : std::as_const(m_nodes)) {
        Node *h = hostNode(node.host);
        h->offline = !node.online;
        h->problem = node.problem;
    }
    endResetModel();
}

void VolumeModel::setStorageNodes(const QList<StorageNode> &nodes)
{
    m_nodes = nodes;
    rebuild(volumes());
}

void VolumeModel::setVolumeStatus(const QString &volumeId, const QString &status)
{
    const QModelIndex idx = indexOfVolume(volumeId, StatusColumn);
    if (!idx.isValid())
        return;
    nodeFor(idx)->volume.status = status;
    Q_EMIT dataChanged(idx.siblingAtColumn(0), idx.siblingAtColumn(ColumnCount - 1));
}

QList<Volume> VolumeModel::volumes() const
{
    QList<Volume> out;
    for (const auto &h : m_root->children)
        for (const auto &d : h->children)
            for (const auto &v : d->children)
                out << v->volume;
    return out;
}

Volume VolumeModel::volume(const QString &volumeId) const
{
    const QModelIndex idx = indexOfVolume(volumeId);
    return idx.isValid() ? nodeFor(idx)->volume : Volume();
}

QModelIndex VolumeModel::indexOfVolume(const QString &volumeId, int column) const
{
    for (const auto &h : m_root->children)
        for (const auto &d : h->children)
            for (const auto &v : d->children)
                if (v->key == volumeId)
                    return indexFor(v.get(), column);
    return {};
}

VolumeModel::Node *VolumeModel::nodeFor(const QModelIndex &index) const
{
    return index.isValid() ? static_cast<Node *>(index.internalPointer()) : m_root.get();
}

QModelIndex VolumeModel::indexFor(Node *node, int column) const
{
    if (!node || node == m_root.get())
        return {};
    return createIndex(node->row(), column, node);
}

QModelIndex VolumeModel::index(int row, int column, const QModelIndex &parent) const
{
    Node *p = nodeFor(parent);
    if (row < 0 || row >= int(p->children.size()) || column < 0 || column >= ColumnCount)
        return {};
    return createIndex(row, column, p->children[size_t(row)].get());
}

QModelIndex VolumeModel::parent(const QModelIndex &child) const
{
    if (!child.isValid())
        return {};
    Node *n = nodeFor(child);
    return indexFor(n->parent, 0);
}

int VolumeModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid() && parent.column() != 0)
        return 0;
    return int(nodeFor(parent)->children.size());
}

int VolumeModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

QVariant VolumeModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid())
        return {};
    const Node *n = nodeFor(index);
    if (role == NodeKindRole)
        return int(n->kind);
    if (role == OfflineRole)
        return n->offline;

    if (n->kind != VolumeNode) {
        if (index.column() != NameColumn)
            return {};
        switch (role) {
        case Qt::DisplayRole:
        case SortRole:
            if (n->kind == HostNode)
                return n->offline ? tr("Host %1 (offline)").arg(n->key) : tr("Host %1").arg(n->key);
            return n->key;
        case Qt::ForegroundRole:
            if (n->offline)
                return QGuiApplication::palette().color(QPalette::Disabled, QPalette::Text);
            return {};
        case Qt::DecorationRole:
            return UiText::icon(n->kind == HostNode ? QStringLiteral("host") : QStringLiteral("driver"));
        case Qt::FontRole: {
            QFont f;
            f.setBold(n->kind == HostNode);
            return f;
        }
        case Qt::ToolTipRole:
            if (n->offline)
                return tr("Storage node %1 does not answer: %2").arg(n->key, n->problem);
            return n->kind == HostNode ? tr("Storage node %1").arg(n->key) : tr("Storage driver %1").arg(n->key);
        default:
            return {};
        }
    }

    const Volume &v = n->volume;
    const auto usableIt = m_lastBackup.constFind(v.id);
    const Backup *usable = usableIt != m_lastBackup.constEnd() ? &*usableIt : nullptr;
    const auto lastJob = m_lastJob.constFind(v.id);
    const auto lastRecord = m_lastRecord.constFind(v.id);
    const bool hasJob = lastJob != m_lastJob.constEnd();
    const bool hasAttempt = hasJob || lastRecord != m_lastRecord.constEnd();
    const QDateTime attemptTime = hasJob ? (lastJob->startedAt.isValid() ? lastJob->startedAt : lastJob->createdAt)
                                  : hasAttempt ? lastRecord->createdAt : QDateTime();
    // Job words (succeeded, failed, cancelled, running) where there is a job, else the record's status.
    const QString lastStatus = hasJob ? lastJob->status
                               : !hasAttempt ? QString()
                               : lastRecord->cancelled                          ? JobStatus::Cancelled
                               : lastRecord->status == BackupStatus::Available ? JobStatus::Succeeded
                               : lastRecord->status == BackupStatus::Error     ? JobStatus::Failed
                                                                                : JobStatus::Running;
    const QString lastReason = hasJob ? lastJob->error : hasAttempt ? lastRecord->failReason : QString();
    // The newest attempt is the usable backup itself, or a newer one that gave nothing usable.
    const QString attemptBackupId = hasJob ? lastJob->backupId : hasAttempt ? lastRecord->id : QString();
    const bool attemptIsUsable = usable && attemptBackupId == usable->id;
    const QString lastTimeText = usable ? UiText::dateTime(usable->createdAt) : tr("never");
    const QString resultText = !hasAttempt ? QString()
                               : attemptIsUsable || !usable ? UiText::jobStatus(lastStatus)
                                                            : tr("%1 (%2)").arg(UiText::jobStatus(lastStatus), UiText::dateTime(attemptTime));
    switch (role) {
    case VolumeIdRole:
        return v.id;
    case StatusRole:
        return v.status;
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn:
            return v.name;
        case SizeColumn:
            return UiText::size(v.size);
        case StatusColumn:
            return UiText::volumeStatus(v.status);
        case DriverColumn:
            return v.driverId;
        case LastBackupColumn:
            return lastTimeText;
        case ResultColumn:
            return resultText;
        case ConsistencyColumn:
            return usable ? UiText::consistency(usable->consistency) : QString();
        }
        return {};
    case SortRole:
        switch (index.column()) {
        case SizeColumn:
            return v.size;
        case LastBackupColumn:
            return usable ? usable->createdAt : QDateTime();
        default:
            return data(index, Qt::DisplayRole);
        }
    case Qt::DecorationRole:
        if (index.column() == NameColumn)
            return UiText::icon(QStringLiteral("volume"));
        if (index.column() == StatusColumn)
            return UiText::volumeStatusIcon(v.status);
        if (index.column() == ResultColumn && hasAttempt)
            return UiText::jobStatusIcon(lastStatus);
        return {};
    case Qt::ForegroundRole:
        if (index.column() == StatusColumn)
            return UiText::volumeStatusColor(v.status);
        if (index.column() == ResultColumn && hasAttempt && lastStatus != JobStatus::Running && lastStatus != JobStatus::Queued)
            return UiText::jobStatusColor(lastStatus);
        if (index.column() == ConsistencyColumn && usable && UiText::consistencyColor(usable->consistency).isValid())
            return UiText::consistencyColor(usable->consistency);
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == SizeColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::ToolTipRole:
        if (index.column() == StatusColumn && !v.attachedTo.isEmpty())
            return tr("Attached to %1").arg(v.attachedTo);
        if (index.column() == ResultColumn && !lastReason.isEmpty())
            return lastReason;
        if (index.column() == DriverColumn)
            return v.driverId; // whole, when the column elides it
        if ((index.column() == LastBackupColumn || index.column() == ConsistencyColumn) && usable)
            return UiText::consistencyDescription(usable->consistency);
        return v.path;
    default:
        return {};
    }
}

QVariant VolumeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn:
        return tr("Name");
    case SizeColumn:
        return tr("Size");
    case StatusColumn:
        return tr("Status");
    case DriverColumn:
        return tr("Driver");
    case LastBackupColumn:
        return tr("Last backup");
    case ResultColumn:
        return tr("Last attempt");
    case ConsistencyColumn:
        return tr("Consistency");
    }
    return {};
}

VolumeFilterModel::VolumeFilterModel(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    setRecursiveFilteringEnabled(true);
    setFilterCaseSensitivity(Qt::CaseInsensitive);
    setSortRole(VolumeModel::SortRole);
}

void VolumeFilterModel::setFilterText(const QString &text)
{
    m_text = text.trimmed();
    invalidateFilter();
}

bool VolumeFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QString &needle = m_text;
    if (needle.isEmpty())
        return true;
    const QModelIndex idx = sourceModel()->index(sourceRow, 0, sourceParent);
    if (idx.data(VolumeModel::NodeKindRole).toInt() != VolumeModel::VolumeNode)
        return false; // shown only as the parent of a match (recursive filtering)
    for (int c = 0; c < VolumeModel::ColumnCount; ++c) {
        const QString text = sourceModel()->index(sourceRow, c, sourceParent).data().toString();
        if (text.contains(needle, Qt::CaseInsensitive))
            return true;
    }
    // The host, by its name (the grandparent row), matches all its volumes.
    if (sourceParent.parent().data().toString().contains(needle, Qt::CaseInsensitive))
        return true;
    return idx.data(VolumeModel::StatusRole).toString().contains(needle, Qt::CaseInsensitive);
}

} // namespace ndb
