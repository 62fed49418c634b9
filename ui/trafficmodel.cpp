#include "trafficmodel.h"

#include "displayformat.h"

#include <QBrush>
#include <QColor>

namespace roomkeeper {

TrafficModel::TrafficModel(QObject *parent) : QAbstractTableModel(parent) {}

TrafficModel::~TrafficModel() = default;

int TrafficModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_count;
}

int TrafficModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

const TrafficEvent &TrafficModel::event(int row) const
{
    return m_ring.at(slot(row));
}

QVariant TrafficModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return QVariant();
    const TrafficEvent &e = event(index.row());
    switch (role) {
    case IncomingRole:
        return e.incoming;
    case GatewayRole:
        return e.gateway;
    case RoomIdRole:
        return e.room;
    case UserIdRole:
        return e.user;
    case TimeRole:
        return e.timeMs;
    case SizeRole:
        return e.size;
    default:
        break;
    }
    const int column = index.column();
    if (role == Qt::DisplayRole) {
        switch (column) {
        case TimeColumn:
            return display::clockTime(e.timeMs, true);
        case DirectionColumn:
            return e.incoming ? QStringLiteral("in") : QStringLiteral("out");
        case ProtocolColumn:
            return e.gateway ? QStringLiteral("gateway") : QStringLiteral("ws");
        case RoomColumn:
            return e.room.isNull() ? QString() : m_names.room(e.room);
        case UserColumn:
            return e.user.isNull() ? QString() : m_names.user(e.user);
        case TypeColumn:
            return e.type;
        case SizeColumn:
            return QString::number(e.size);
        case SummaryColumn:
            return e.summary;
        }
    }
    if (role == Qt::ForegroundRole && column == DirectionColumn)
        return QBrush(e.incoming ? QColor(0x1d, 0x4e, 0xd8) : QColor(0x15, 0x80, 0x3d));
    if (role == Qt::TextAlignmentRole && column == SizeColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        if (column == RoomColumn && !e.room.isNull())
            return e.room.toString(QUuid::WithoutBraces);
        if (column == UserColumn && !e.user.isNull())
            return e.user.toString(QUuid::WithoutBraces);
        if (column == SummaryColumn)
            return e.summary;
    }
    return QVariant();
}

QVariant TrafficModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QVariant();
    switch (section) {
    case TimeColumn:
        return QStringLiteral("Time");
    case DirectionColumn:
        return QStringLiteral("Dir");
    case ProtocolColumn:
        return QStringLiteral("Protocol");
    case RoomColumn:
        return QStringLiteral("Room");
    case UserColumn:
        return QStringLiteral("User");
    case TypeColumn:
        return QStringLiteral("Type");
    case SizeColumn:
        return QStringLiteral("Bytes");
    case SummaryColumn:
        return QStringLiteral("Summary");
    }
    return QVariant();
}

void TrafficModel::setCapacity(int rows)
{
    beginResetModel();
    m_capacity = qMax(1, rows);
    m_ring.clear();
    m_first = 0;
    m_count = 0;
    endResetModel();
    emit countersChanged();
}

void TrafficModel::appendTraffic(const TrafficBatch &batch)
{
    const auto incoming = qsizetype(batch.events.size());
    m_received += quint64(incoming) + batch.skipped;
    m_skipped += batch.skipped;
    if (m_paused) {
        m_skipped += quint64(incoming);
        emit countersChanged();
        return;
    }
    if (incoming == 0) {
        if (batch.skipped > 0)
            emit countersChanged();
        return;
    }
    // Only the newest 'capacity' events of a batch can stay.
    const qsizetype keep = qMin<qsizetype>(incoming, m_capacity);
    const qsizetype from = incoming - keep;
    m_evicted += quint64(from);

    const qsizetype overflow = qMax<qsizetype>(0, m_count + keep - m_capacity);
    if (overflow > 0) {
        beginRemoveRows(QModelIndex(), 0, int(overflow - 1));
        m_first = (m_first + overflow) % m_capacity;
        m_count -= int(overflow);
        m_evicted += quint64(overflow);
        endRemoveRows();
    }
    beginInsertRows(QModelIndex(), m_count, int(m_count + keep - 1));
    for (qsizetype i = from; i < incoming; ++i) {
        const int at = slot(m_count);
        if (at < m_ring.size())
            m_ring[at] = batch.events.at(i);
        else
            m_ring.append(batch.events.at(i));
        ++m_count;
    }
    endInsertRows();
    emit countersChanged();
}

void TrafficModel::applySnapshot(const ServerSnapshot &snapshot)
{
    if (m_names.learn(snapshot) && m_count > 0) {
        emit dataChanged(index(0, RoomColumn), index(m_count - 1, UserColumn));
    }
}

void TrafficModel::setPaused(bool paused)
{
    if (m_paused == paused)
        return;
    m_paused = paused;
    emit countersChanged();
}

void TrafficModel::clear()
{
    beginResetModel();
    m_ring.clear();
    m_first = 0;
    m_count = 0;
    m_skipped = 0;
    m_evicted = 0;
    m_received = 0;
    endResetModel();
    emit countersChanged();
}

} // namespace roomkeeper
