#pragma once
// The volume inventory as a tree: host -> driver -> volume, with the last backup of each volume.
#include "model/backup.h"
#include "model/job.h"
#include "model/volume.h"

#include <QAbstractItemModel>
#include <QSortFilterProxyModel>
#include <memory>
#include <vector>

namespace ndb {

class VolumeModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    // LastBackupColumn: the newest usable backup; ResultColumn ("Last attempt"): the newest
    // attempt's result, with its time when it is newer than that backup and not usable;
    // ConsistencyColumn: how the newest usable backup's copy was taken.
    enum Column { NameColumn, SizeColumn, StatusColumn, LastBackupColumn, ResultColumn, DriverColumn, ConsistencyColumn, ColumnCount };
    enum Role { VolumeIdRole = Qt::UserRole + 1, StatusRole, NodeKindRole, SortRole, OfflineRole };
    enum NodeKind { HostNode, DriverNode, VolumeNode };

    // A storage node (agent) this console manages: its host row is shown even without volumes,
    // greyed and saying so when it does not answer.
    struct StorageNode
    {
        QString host; // the node's name, as its volumes' host; the address when it is not known
        bool online = false;
        QString problem; // why it is offline
    };

    explicit VolumeModel(QObject *parent = nullptr);
    ~VolumeModel() override;

    // Replaces the contents. The last backup of a volume is its newest usable (available) backup;
    // the last attempt its newest backup job (so a backup that failed before any record was made
    // still shows), else its newest backup record.
    void setInventory(const QList<Volume> &volumes, const QList<Backup> &backups, const QList<Job> &backupJobs = {});
    // Shows a status immediately (e.g. backing-up when a job starts), before the next refresh.
    void setVolumeStatus(const QString &volumeId, const QString &status);
    // The storage nodes and whether they answer; keeps the volumes.
    void setStorageNodes(const QList<StorageNode> &nodes);

    QList<Volume> volumes() const;
    Volume volume(const QString &volumeId) const;
    QModelIndex indexOfVolume(const QString &volumeId, int column = 0) const;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Node;
    Node *nodeFor(const QModelIndex &index) const;
    QModelIndex indexFor(Node *node, int column) const;
    void rebuild(const QList<Volume> &volumes);

    std::unique_ptr<Node> m_root;
    QHash<QString, Backup> m_lastBackup; // newest usable backup, by volume id
    QHash<QString, Backup> m_lastRecord; // newest backup record of any status, by volume id
    QHash<QString, Job> m_lastJob;       // by volume id
    QList<StorageNode> m_nodes;
};

// Case-insensitive filter on name, host, driver and status; keeps the parents of matches.
class VolumeFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit VolumeFilterModel(QObject *parent = nullptr);
    void setFilterText(const QString &text);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_text;
};

} // namespace ndb
