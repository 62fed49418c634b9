#pragma once

#include "namebook.h"
#include "syncedtablemodel.h"

#include "domain/ban.h"

namespace roomkeeper {

// Room bans and address bans: who or which addresses, where, why, by whom, since,
// until, and how many times each has refused someone. Fetched from the moderation
// service every few seconds and after each action; oldest first.
class BansModel final : public SyncedTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(BansModel)

public:
    enum Column
    {
        TargetColumn,
        RoomColumn,
        ReasonColumn,
        ByColumn,
        SinceColumn,
        UntilColumn,
        RefusalsColumn,
        ColumnCount
    };
    enum Role
    {
        BanIdRole = Qt::UserRole + 1, // qint64, the store's id
        SortRole,
        RoomIdRole,    // QUuid; null for address bans
        UserIdRole,    // QUuid; null for address bans
        IsAddressRole, // bool
        AddressRole,   // QString "10.0.0.0/24"
    };

    explicit BansModel(QObject *parent = nullptr);
    ~BansModel() override;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    const QList<Ban> &rows() const { return m_rows; }
    // Tab-separated, one line per ban with a header line: for export.
    QString toText() const;

public slots:
    void setBans(const QList<roomkeeper::Ban> &bans);
    void applySnapshot(const roomkeeper::ServerSnapshot &snapshot);

private:
    QList<Ban> m_rows;
    NameBook m_names;
};

} // namespace roomkeeper
