#include "trafficfiltermodel.h"

#include "trafficmodel.h"

namespace roomkeeper {

TrafficFilterModel::TrafficFilterModel(QObject *parent) : QSortFilterProxyModel(parent)
{
    setDynamicSortFilter(true);
}

TrafficFilterModel::~TrafficFilterModel() = default;

void TrafficFilterModel::setText(const QString &text)
{
    const QString trimmed = text.trimmed();
    if (trimmed == m_text)
        return;
    m_text = trimmed;
    invalidateFilter();
}

void TrafficFilterModel::setDirection(Direction direction)
{
    if (direction == m_direction)
        return;
    m_direction = direction;
    invalidateFilter();
}

bool TrafficFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QAbstractItemModel *source = sourceModel();
    if (m_direction != Direction::Both) {
        const bool incoming =
            source->index(sourceRow, 0, sourceParent).data(TrafficModel::IncomingRole).toBool();
        if (incoming != (m_direction == Direction::In))
            return false;
    }
    if (m_text.isEmpty())
        return true;
    for (int column = 0; column < source->columnCount(sourceParent); ++column) {
        const QString cell = source->index(sourceRow, column, sourceParent).data().toString();
        if (cell.contains(m_text, Qt::CaseInsensitive))
            return true;
    }
    return false;
}

} // namespace roomkeeper
