#pragma once

#include "namebook.h"
#include "syncedtablemodel.h"

#include "store/records.h"

namespace roomkeeper {

// The moderation audit trail, newest first: when, who, what, where, on whom, details.
// Never message content (the core does not record it).
class AuditModel final : public SyncedTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AuditModel)

public:
    enum Column
    {
        TimeColumn,
        ActorColumn,
        ActionColumn,
        RoomColumn,
        TargetColumn,
        DetailColumn,
        ColumnCount
    };
    enum Role
    {
        EntryIdRole = Qt::UserRole + 1, // qint64
        SortRole,
        RoomIdRole, // QUuid
    };

    explicit AuditModel(QObject *parent = nullptr);
    ~AuditModel() override;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    const QList<AuditEntry> &rows() const { return m_rows; }

public slots:
    // The newest entries in any order (the store gives them oldest first).
    void setEntries(const QList<roomkeeper::AuditEntry> &entries);
    void applySnapshot(const roomkeeper::ServerSnapshot &snapshot);

private:
    QList<AuditEntry> m_rows;
    NameBook m_names;
};

} // namespace roomkeeper
