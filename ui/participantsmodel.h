#pragma once

#include "syncedtablemodel.h"

#include "server/snapshot.h"

namespace roomkeeper {

// The people of one room (the one selected in the rooms view), in the order they
// entered, from the last snapshot. Updated in place from each snapshot; choosing
// another room resets it.
class ParticipantsModel final : public SyncedTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ParticipantsModel)

public:
    enum Column
    {
        NameColumn,
        UserIdColumn,
        AddressColumn,
        ProtocolColumn,
        RoleColumn,
        ColorColumn,
        SinceColumn,
        MessagesColumn,
        RoundTripColumn,
        QueueColumn,
        ColumnCount
    };
    enum Role
    {
        IdRole = Qt::UserRole + 1, // QUuid
        SortRole,
        AdminRole,       // bool (the creator is an admin too)
        CreatorRole,     // bool
        ConnectionsRole, // int
        AddressesRole,   // QStringList
        NameRole,        // QString
    };

    explicit ParticipantsModel(QObject *parent = nullptr);
    ~ParticipantsModel() override;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    QUuid room() const { return m_room; }
    int rowOf(const QUuid &user) const;
    const QList<ParticipantSnapshot> &rows() const { return m_rows; }

public slots:
    // Shows this room's people (from the last snapshot); a null id shows nobody.
    void setRoom(const QUuid &room);
    void applySnapshot(const roomkeeper::ServerSnapshot &snapshot);

private:
    QList<ParticipantSnapshot> peopleOf(const QUuid &room) const;

    QUuid m_room;
    ServerSnapshot m_snapshot;
    QList<ParticipantSnapshot> m_rows;
};

} // namespace roomkeeper
