#include "roomsmodel.h"

#include "displayformat.h"
#include "icons.h"

namespace roomkeeper {

RoomsModel::RoomsModel(QObject *parent) : SyncedTableModel(parent) {}

RoomsModel::~RoomsModel() = default;

int RoomsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int RoomsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RoomsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return QVariant();
    const Row &r = m_rows.at(index.row());
    switch (role) {
    case IdRole:
        return r.id;
    case ClosedRole:
        return r.closed;
    case ChatLockedRole:
        return r.chatLocked;
    case PinnedRole:
        return r.pinned;
    case ParticipantCountRole:
        return r.participants;
    case ConnectionCountRole:
        return r.connections;
    case MaxParticipantsRole:
        return r.maxParticipants;
    case HasWebhookRole:
        return r.hasWebhook;
    default:
        break;
    }
    const int column = index.column();
    if (role == Qt::DisplayRole) {
        switch (column) {
        case NameColumn:
            return r.name;
        case MembersColumn:
            return r.maxParticipants > 0
                       ? QStringLiteral("%1 / %2").arg(r.participants).arg(r.maxParticipants)
                       : QString::number(r.participants);
        case LocksColumn: {
            QStringList locks;
            if (r.closed)
                locks << QStringLiteral("room");
            if (r.chatLocked)
                locks << QStringLiteral("chat");
            return locks.join(QStringLiteral(" · "));
        }
        case WebhookColumn:
            if (!r.hasWebhook)
                return QString();
            return r.webhookState.isEmpty() ? QStringLiteral("on") : r.webhookState;
        }
    }
    if (role == SortRole) {
        switch (column) {
        case MembersColumn:
            return r.participants;
        case LocksColumn:
            return (r.closed ? 4 : 0) + (r.chatLocked ? 2 : 0) + (r.pinned ? 1 : 0);
        default:
            return data(index, Qt::DisplayRole).toString().toLower();
        }
    }
    if (role == Qt::DecorationRole) {
        if (column == LocksColumn && (r.closed || r.chatLocked))
            return icons::lockState(r.closed, r.chatLocked);
        if (column == WebhookColumn && r.hasWebhook)
            return icons::glyph(icons::Glyph::Webhook);
        if (column == NameColumn && r.pinned)
            return icons::glyph(icons::Glyph::Pin);
    }
    if (role == Qt::ToolTipRole) {
        switch (column) {
        case NameColumn:
            return QStringLiteral("%1%2\nid %3")
                .arg(r.name, r.pinned ? QStringLiteral(" (pinned: kept when idle)") : QString(),
                     r.id.toString(QUuid::WithoutBraces));
        case MembersColumn:
            return QStringLiteral("%1 (%2)%3")
                .arg(display::people(r.participants), display::connections(r.connections),
                     r.maxParticipants > 0 ? QStringLiteral(", at most %1").arg(r.maxParticipants)
                                           : QStringLiteral(", no limit"));
        case LocksColumn: {
            QStringList lines;
            lines << (r.closed
                          ? QStringLiteral("Room locked: only admins and invited people get in")
                          : QStringLiteral("Room open"));
            lines << (r.chatLocked ? QStringLiteral("Chat locked: only admins may send")
                                   : QStringLiteral("Chat open"));
            return lines.join(QLatin1Char('\n'));
        }
        case WebhookColumn:
            return r.hasWebhook ? QStringLiteral("Webhook: %1").arg(data(index).toString())
                                : QStringLiteral("No webhook");
        }
    }
    if (role == Qt::TextAlignmentRole && column == MembersColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    return QVariant();
}

QVariant RoomsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QVariant();
    switch (section) {
    case NameColumn:
        return QStringLiteral("Room");
    case MembersColumn:
        return QStringLiteral("People");
    case LocksColumn:
        return QStringLiteral("Locks");
    case WebhookColumn:
        return QStringLiteral("Webhook");
    }
    return QVariant();
}

int RoomsModel::rowOf(const QUuid &room) const
{
    for (qsizetype i = 0; i < m_rows.size(); ++i) {
        if (m_rows.at(i).id == room)
            return int(i);
    }
    return -1;
}

const RoomsModel::Row *RoomsModel::room(const QUuid &room) const
{
    const int row = rowOf(room);
    return row < 0 ? nullptr : &m_rows.at(row);
}

void RoomsModel::applySnapshot(const ServerSnapshot &snapshot)
{
    QList<Row> next;
    next.reserve(snapshot.rooms.size());
    for (const RoomSnapshot &room : snapshot.rooms) {
        Row row{room.id,
                room.name,
                room.closed,
                room.chatLocked,
                room.pinned,
                room.maxParticipants,
                room.hasWebhook,
                room.webhookState,
                int(room.participants.size()),
                0};
        for (const ParticipantSnapshot &p : room.participants)
            row.connections += p.connections;
        next.append(row);
    }
    syncRows(
        m_rows, next, [](const Row &r) { return r.id; },
        [](const Row &a, const Row &b) { return a == b; });
}

} // namespace roomkeeper
