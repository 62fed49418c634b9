#pragma once

#include <QSortFilterProxyModel>

namespace roomkeeper {

// Filters the traffic view: a text that any of time, room, user, type or summary must
// contain (case-insensitive), and a direction. Rows keep the ring's order.
class TrafficFilterModel final : public QSortFilterProxyModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrafficFilterModel)

public:
    enum class Direction
    {
        Both,
        In,
        Out
    };

    explicit TrafficFilterModel(QObject *parent = nullptr);
    ~TrafficFilterModel() override;

    QString text() const { return m_text; }
    Direction direction() const { return m_direction; }

public slots:
    void setText(const QString &text);
    void setDirection(roomkeeper::TrafficFilterModel::Direction direction);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_text;
    Direction m_direction = Direction::Both;
};

} // namespace roomkeeper
