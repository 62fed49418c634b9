#pragma once

#include "namebook.h"

#include "server/snapshot.h"

#include <QAbstractTableModel>
#include <QList>

namespace roomkeeper {

// The live traffic: a bounded ring of the last frames in and out (10,000 by default),
// oldest first, in memory only. New batches append at the bottom; when the ring is full
// the oldest rows go from the top. The core samples under load and says how many events
// it left out; those, and whatever arrives while paused, count as skipped.
class TrafficModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrafficModel)

public:
    static constexpr int DefaultCapacity = 10000;

    enum Column
    {
        TimeColumn,
        DirectionColumn,
        ProtocolColumn,
        RoomColumn,
        UserColumn,
        TypeColumn,
        SizeColumn,
        SummaryColumn,
        ColumnCount
    };
    enum Role
    {
        IncomingRole = Qt::UserRole + 1, // bool
        GatewayRole,                     // bool
        RoomIdRole,                      // QUuid
        UserIdRole,                      // QUuid
        TimeRole,                        // qint64 UNIX ms
        SizeRole,                        // int
    };

    explicit TrafficModel(QObject *parent = nullptr);
    ~TrafficModel() override;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    int capacity() const { return m_capacity; }
    // Empties the ring and sets its size.
    void setCapacity(int rows);
    bool isPaused() const { return m_paused; }
    // Events the core left out plus those that came while paused.
    quint64 skipped() const { return m_skipped; }
    // Rows that fell off the top of the full ring.
    quint64 evicted() const { return m_evicted; }
    // Every event received, shown or not.
    quint64 received() const { return m_received; }
    const TrafficEvent &event(int row) const;

public slots:
    void appendTraffic(const roomkeeper::TrafficBatch &batch);
    // Learns room and user names for the Room and User columns.
    void applySnapshot(const roomkeeper::ServerSnapshot &snapshot);
    void setPaused(bool paused);
    // Empties the view; the counters start again too.
    void clear();

signals:
    // Shown rows or counters changed.
    void countersChanged();

private:
    int slot(int row) const { return int((m_first + row) % m_capacity); }

    QList<TrafficEvent> m_ring; // grows to m_capacity, then wraps
    qsizetype m_first = 0;      // slot of row 0
    int m_count = 0;
    int m_capacity = DefaultCapacity;
    bool m_paused = false;
    quint64 m_skipped = 0;
    quint64 m_evicted = 0;
    quint64 m_received = 0;
    NameBook m_names;
};

} // namespace roomkeeper
