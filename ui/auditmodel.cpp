#include "auditmodel.h"

#include "displayformat.h"

#include <algorithm>

namespace roomkeeper {

AuditModel::AuditModel(QObject *parent) : SyncedTableModel(parent) {}

AuditModel::~AuditModel() = default;

int AuditModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int AuditModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AuditModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return QVariant();
    const AuditEntry &e = m_rows.at(index.row());
    if (role == EntryIdRole)
        return e.id;
    if (role == RoomIdRole)
        return e.room;
    const int column = index.column();
    if (role == Qt::DisplayRole) {
        switch (column) {
        case TimeColumn:
            return QStringLiteral("%1 %2").arg(display::dateTime(e.atMs).left(10),
                                               display::clockTime(e.atMs));
        case ActorColumn:
            return m_names.actor(e.actor);
        case ActionColumn:
            return e.action;
        case RoomColumn:
            return e.room.isNull() ? QString() : m_names.room(e.room);
        case TargetColumn:
            return m_names.actor(e.target);
        case DetailColumn:
            return e.detail;
        }
    }
    if (role == SortRole) {
        if (column == TimeColumn)
            return e.atMs;
        return data(index, Qt::DisplayRole).toString().toLower();
    }
    if (role == Qt::ToolTipRole) {
        if (column == RoomColumn && !e.room.isNull())
            return e.room.toString(QUuid::WithoutBraces);
        if (column == ActorColumn || column == TargetColumn)
            return column == ActorColumn ? e.actor : e.target;
        if (column == DetailColumn)
            return e.detail;
    }
    return QVariant();
}

QVariant AuditModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QVariant();
    switch (section) {
    case TimeColumn:
        return QStringLiteral("Time");
    case ActorColumn:
        return QStringLiteral("By");
    case ActionColumn:
        return QStringLiteral("Action");
    case RoomColumn:
        return QStringLiteral("Room");
    case TargetColumn:
        return QStringLiteral("Target");
    case DetailColumn:
        return QStringLiteral("Detail");
    }
    return QVariant();
}

void AuditModel::setEntries(const QList<AuditEntry> &entries)
{
    QList<AuditEntry> next = entries;
    std::stable_sort(next.begin(), next.end(), [](const AuditEntry &a, const AuditEntry &b) {
        return a.id != b.id ? a.id > b.id : a.atMs > b.atMs;
    });
    syncRows(
        m_rows, next, [](const AuditEntry &e) { return e.id; },
        [](const AuditEntry &a, const AuditEntry &b) {
            return a.id == b.id && a.atMs == b.atMs && a.actor == b.actor && a.action == b.action &&
                   a.room == b.room && a.target == b.target && a.detail == b.detail;
        });
}

void AuditModel::applySnapshot(const ServerSnapshot &snapshot)
{
    if (m_names.learn(snapshot) && !m_rows.isEmpty())
        emit dataChanged(index(0, ActorColumn), index(rowCount() - 1, TargetColumn));
}

} // namespace roomkeeper
