#include "participantsmodel.h"

#include "displayformat.h"

#include <QColor>

namespace roomkeeper {

namespace {

bool same(const ParticipantSnapshot &a, const ParticipantSnapshot &b)
{
    return a.user == b.user && a.name == b.name && a.color == b.color && a.admin == b.admin &&
           a.creator == b.creator && a.addresses == b.addresses && a.protocols == b.protocols &&
           a.connections == b.connections && a.connectedSinceMs == b.connectedSinceMs &&
           a.messagesSent == b.messagesSent && a.roundTripMs == b.roundTripMs &&
           a.queuedBytes == b.queuedBytes;
}

QString protocolText(const QString &protocols)
{
    return protocols.split(QLatin1Char(','), Qt::SkipEmptyParts).join(QStringLiteral(" + "));
}

} // namespace

ParticipantsModel::ParticipantsModel(QObject *parent) : SyncedTableModel(parent) {}

ParticipantsModel::~ParticipantsModel() = default;

int ParticipantsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ParticipantsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ParticipantsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return QVariant();
    const ParticipantSnapshot &p = m_rows.at(index.row());
    switch (role) {
    case IdRole:
        return p.user;
    case AdminRole:
        return p.admin || p.creator;
    case CreatorRole:
        return p.creator;
    case ConnectionsRole:
        return p.connections;
    case AddressesRole:
        return p.addresses.split(QLatin1Char(','), Qt::SkipEmptyParts);
    case NameRole:
        return p.name;
    default:
        break;
    }
    const int column = index.column();
    if (role == Qt::DisplayRole) {
        switch (column) {
        case NameColumn:
            return p.name;
        case UserIdColumn:
            return display::shortId(p.user);
        case AddressColumn:
            return QString(p.addresses).replace(QLatin1Char(','), QStringLiteral(", "));
        case ProtocolColumn:
            return protocolText(p.protocols);
        case RoleColumn:
            return p.creator ? QStringLiteral("creator")
                   : p.admin ? QStringLiteral("admin")
                             : QString();
        case ColorColumn:
            return p.color;
        case SinceColumn:
            return display::clockTime(p.connectedSinceMs);
        case MessagesColumn:
            return QString::number(p.messagesSent);
        case RoundTripColumn:
            return p.roundTripMs < 0 ? QStringLiteral("–")
                                     : QStringLiteral("%1 ms").arg(p.roundTripMs);
        case QueueColumn:
            return display::bytes(p.queuedBytes);
        }
    }
    if (role == SortRole) {
        switch (column) {
        case RoleColumn:
            return p.creator ? 2 : p.admin ? 1 : 0;
        case SinceColumn:
            return p.connectedSinceMs;
        case MessagesColumn:
            return p.messagesSent;
        case RoundTripColumn:
            return p.roundTripMs;
        case QueueColumn:
            return p.queuedBytes;
        default:
            return data(index, Qt::DisplayRole).toString().toLower();
        }
    }
    if (role == Qt::DecorationRole && (column == ColorColumn || column == NameColumn)) {
        const QColor color = QColor::fromString(p.color);
        if (color.isValid())
            return color;
    }
    if (role == Qt::ToolTipRole) {
        switch (column) {
        case UserIdColumn:
            return p.user.toString(QUuid::WithoutBraces);
        case ProtocolColumn:
            return QStringLiteral("ws: the room protocol (/ws); gateway: the gateway protocol");
        case AddressColumn:
            return display::connections(p.connections);
        case SinceColumn:
            return display::dateTime(p.connectedSinceMs);
        case QueueColumn:
            return QStringLiteral("%1 bytes waiting to be sent").arg(p.queuedBytes);
        default:
            return QVariant();
        }
    }
    if (role == Qt::TextAlignmentRole &&
        (column == MessagesColumn || column == RoundTripColumn || column == QueueColumn))
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    return QVariant();
}

QVariant ParticipantsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QVariant();
    switch (section) {
    case NameColumn:
        return QStringLiteral("Name");
    case UserIdColumn:
        return QStringLiteral("User id");
    case AddressColumn:
        return QStringLiteral("Address");
    case ProtocolColumn:
        return QStringLiteral("Protocol");
    case RoleColumn:
        return QStringLiteral("Admin");
    case ColorColumn:
        return QStringLiteral("Colour");
    case SinceColumn:
        return QStringLiteral("Since");
    case MessagesColumn:
        return QStringLiteral("Messages");
    case RoundTripColumn:
        return QStringLiteral("Round trip");
    case QueueColumn:
        return QStringLiteral("Queued");
    }
    return QVariant();
}

int ParticipantsModel::rowOf(const QUuid &user) const
{
    for (qsizetype i = 0; i < m_rows.size(); ++i) {
        if (m_rows.at(i).user == user)
            return int(i);
    }
    return -1;
}

QList<ParticipantSnapshot> ParticipantsModel::peopleOf(const QUuid &room) const
{
    if (room.isNull())
        return {};
    for (const RoomSnapshot &r : m_snapshot.rooms) {
        if (r.id == room)
            return r.participants;
    }
    return {};
}

void ParticipantsModel::setRoom(const QUuid &room)
{
    if (room == m_room)
        return;
    beginResetModel();
    m_room = room;
    m_rows = peopleOf(room);
    endResetModel();
}

void ParticipantsModel::applySnapshot(const ServerSnapshot &snapshot)
{
    m_snapshot = snapshot;
    syncRows(
        m_rows, peopleOf(m_room), [](const ParticipantSnapshot &p) { return p.user; }, same);
}

} // namespace roomkeeper
