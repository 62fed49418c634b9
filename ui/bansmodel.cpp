#include "bansmodel.h"

#include "displayformat.h"

#include <algorithm>
#include <limits>

namespace roomkeeper {

namespace {

QString keyOf(const Ban &ban)
{
    return ban.isAddressBan()
               ? QStringLiteral("a%1 %2").arg(ban.id).arg(ban.addressText())
               : QStringLiteral("u%1 %2").arg(ban.room.toString(), ban.user.toString());
}

bool same(const Ban &a, const Ban &b)
{
    return a.id == b.id && a.room == b.room && a.user == b.user && a.address == b.address &&
           a.prefixLength == b.prefixLength && a.reason == b.reason && a.bannedBy == b.bannedBy &&
           a.sinceMs == b.sinceMs && a.untilMs == b.untilMs && a.hits == b.hits;
}

} // namespace

BansModel::BansModel(QObject *parent) : SyncedTableModel(parent) {}

BansModel::~BansModel() = default;

int BansModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int BansModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant BansModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return QVariant();
    const Ban &b = m_rows.at(index.row());
    switch (role) {
    case BanIdRole:
        return b.id;
    case RoomIdRole:
        return b.room;
    case UserIdRole:
        return b.user;
    case IsAddressRole:
        return b.isAddressBan();
    case AddressRole:
        return b.isAddressBan() ? b.addressText() : QString();
    default:
        break;
    }
    const int column = index.column();
    if (role == Qt::DisplayRole) {
        switch (column) {
        case TargetColumn:
            return b.isAddressBan() ? b.addressText() : m_names.user(b.user);
        case RoomColumn:
            return b.isAddressBan() ? QStringLiteral("every room") : m_names.room(b.room);
        case ReasonColumn:
            return b.reason;
        case ByColumn:
            return m_names.actor(b.bannedBy);
        case SinceColumn:
            return display::dateTime(b.sinceMs);
        case UntilColumn:
            return b.untilMs == 0 ? QStringLiteral("for good") : display::dateTime(b.untilMs);
        case RefusalsColumn:
            return QString::number(b.hits);
        }
    }
    if (role == SortRole) {
        switch (column) {
        case SinceColumn:
            return b.sinceMs;
        case UntilColumn:
            return b.untilMs == 0 ? std::numeric_limits<qint64>::max() : b.untilMs;
        case RefusalsColumn:
            return b.hits;
        default:
            return data(index, Qt::DisplayRole).toString().toLower();
        }
    }
    if (role == Qt::ToolTipRole) {
        if (column == TargetColumn)
            return b.isAddressBan() ? QStringLiteral("Address ban #%1").arg(b.id)
                                    : b.user.toString(QUuid::WithoutBraces);
        if (column == RoomColumn && !b.isAddressBan())
            return b.room.toString(QUuid::WithoutBraces);
        if (column == ReasonColumn)
            return b.reason;
    }
    if (role == Qt::TextAlignmentRole && column == RefusalsColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    return QVariant();
}

QVariant BansModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QVariant();
    switch (section) {
    case TargetColumn:
        return QStringLiteral("Who");
    case RoomColumn:
        return QStringLiteral("Room");
    case ReasonColumn:
        return QStringLiteral("Reason");
    case ByColumn:
        return QStringLiteral("By");
    case SinceColumn:
        return QStringLiteral("Since");
    case UntilColumn:
        return QStringLiteral("Until");
    case RefusalsColumn:
        return QStringLiteral("Refusals");
    }
    return QVariant();
}

QString BansModel::toText() const
{
    QStringList lines;
    QStringList header;
    for (int c = 0; c < ColumnCount; ++c)
        header << headerData(c, Qt::Horizontal).toString();
    header << QStringLiteral("Id");
    lines << header.join(QLatin1Char('\t'));
    for (int r = 0; r < rowCount(); ++r) {
        QStringList cells;
        for (int c = 0; c < ColumnCount; ++c)
            cells << index(r, c).data().toString().replace(QLatin1Char('\t'), QLatin1Char(' '));
        const Ban &b = m_rows.at(r);
        cells << (b.isAddressBan() ? QString::number(b.id) : b.user.toString(QUuid::WithoutBraces));
        lines << cells.join(QLatin1Char('\t'));
    }
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

void BansModel::setBans(const QList<Ban> &bans)
{
    // The service lists room bans from hashes: give them a stable order.
    QList<Ban> next = bans;
    std::stable_sort(next.begin(), next.end(), [](const Ban &a, const Ban &b) {
        if (a.sinceMs != b.sinceMs)
            return a.sinceMs < b.sinceMs;
        return keyOf(a) < keyOf(b);
    });
    syncRows(m_rows, next, keyOf, same);
}

void BansModel::applySnapshot(const ServerSnapshot &snapshot)
{
    if (m_names.learn(snapshot) && !m_rows.isEmpty()) {
        emit dataChanged(index(0, TargetColumn), index(rowCount() - 1, ByColumn));
    }
}

} // namespace roomkeeper
