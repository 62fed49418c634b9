#pragma once

#include "server/serverstats.h"

#include <QList>
#include <QWidget>

#include <optional>

namespace roomkeeper {

// A small live chart of the last minutes: frames in and out per second (from the
// deltas of the counters the core publishes ~4 times a second) and the connection
// count on its own scale. Painted by hand: Qt Charts is not packaged for Qt 6 here.
class TrafficChart final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrafficChart)

public:
    struct Point
    {
        qint64 timeMs = 0; // monotonic or wall clock, as given to addStats
        double inPerSecond = 0;
        double outPerSecond = 0;
        int connections = 0;
    };

    explicit TrafficChart(QWidget *parent = nullptr);
    ~TrafficChart() override;

    // How far back the chart looks.
    int windowSeconds() const { return m_windowSeconds; }
    void setWindowSeconds(int seconds);
    const QList<Point> &points() const { return m_points; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

public slots:
    // Counters at 'nowMs'; the first call only sets the baseline for the rates.
    void addStats(const roomkeeper::ServerStats &stats, qint64 nowMs);
    void clear();

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    std::optional<ServerStats> m_last;
    qint64 m_lastMs = 0;
    QList<Point> m_points;
    int m_windowSeconds = 300;
};

} // namespace roomkeeper
