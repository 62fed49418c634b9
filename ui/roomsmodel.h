#pragma once

#include "syncedtablemodel.h"

#include "server/snapshot.h"

namespace roomkeeper {

// The rooms of the last snapshot, in the core's order (creation order): name, people
// against the limit, locks, webhook. Updated in place from each snapshot.
class RoomsModel final : public SyncedTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RoomsModel)

public:
    enum Column
    {
        NameColumn,
        MembersColumn,
        LocksColumn,
        WebhookColumn,
        ColumnCount
    };
    enum Role
    {
        IdRole = Qt::UserRole + 1, // QUuid
        SortRole,                  // numbers as numbers
        ClosedRole,                // room lock: bool
        ChatLockedRole,            // chat lock: bool
        PinnedRole,                // bool
        ParticipantCountRole,      // int
        ConnectionCountRole,       // int, all connections of its people
        MaxParticipantsRole,       // int, 0 = no limit
        HasWebhookRole,            // bool
    };

    // What a row shows of a room: its snapshot less the participant list.
    struct Row
    {
        QUuid id;
        QString name;
        bool closed = false;
        bool chatLocked = false;
        bool pinned = false;
        int maxParticipants = 0;
        bool hasWebhook = false;
        QString webhookState;
        int participants = 0;
        int connections = 0;
        bool operator==(const Row &) const = default;
    };

    explicit RoomsModel(QObject *parent = nullptr);
    ~RoomsModel() override;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // The row of a room, or -1.
    int rowOf(const QUuid &room) const;
    const Row *room(const QUuid &room) const;
    const QList<Row> &rows() const { return m_rows; }

public slots:
    void applySnapshot(const roomkeeper::ServerSnapshot &snapshot);

private:
    QList<Row> m_rows;
};

} // namespace roomkeeper
