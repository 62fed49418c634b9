#include "trafficchart.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace roomkeeper {

namespace {

const QColor inColor(0x25, 0x63, 0xeb);
const QColor outColor(0x16, 0xa3, 0x4a);
const QColor connectionsColor(0xea, 0x58, 0x0c);
constexpr qint64 SmoothingMs = 2000;

// 1, 2, 5, 10, 20, 50, ... at or above 'value' (at least 'floor').
double niceCeiling(double value, double floor)
{
    value = std::max(value, floor);
    double step = std::pow(10.0, std::floor(std::log10(value)));
    for (const double m : {1.0, 2.0, 5.0, 10.0}) {
        if (value <= m * step)
            return m * step;
    }
    return 10 * step;
}

QString rateText(double perSecond)
{
    if (perSecond >= 10000)
        return QStringLiteral("%1k").arg(perSecond / 1000, 0, 'f', 0);
    if (perSecond >= 1000)
        return QStringLiteral("%1k").arg(perSecond / 1000, 0, 'f', 1);
    return QString::number(perSecond, 'f',
                           perSecond < 10 && perSecond != std::floor(perSecond) ? 1 : 0);
}

} // namespace

TrafficChart::TrafficChart(QWidget *parent) : QWidget(parent)
{
    setToolTip(QStringLiteral("Frames received (in) and delivered (out) per second, and "
                              "connections, over the last minutes"));
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
}

TrafficChart::~TrafficChart() = default;

void TrafficChart::setWindowSeconds(int seconds)
{
    m_windowSeconds = std::max(10, seconds);
    update();
}

QSize TrafficChart::sizeHint() const
{
    return QSize(380, 132);
}

QSize TrafficChart::minimumSizeHint() const
{
    return QSize(200, 90);
}

void TrafficChart::addStats(const ServerStats &stats, qint64 nowMs)
{
    const bool restarted =
        m_last && (stats.framesIn < m_last->framesIn || stats.framesOut < m_last->framesOut);
    if (m_last && !restarted && nowMs > m_lastMs) {
        const double seconds = double(nowMs - m_lastMs) / 1000.0;
        Point point;
        point.timeMs = nowMs;
        point.inPerSecond = double(stats.framesIn - m_last->framesIn) / seconds;
        point.outPerSecond = double(stats.framesOut - m_last->framesOut) / seconds;
        point.connections = stats.connections;
        m_points.append(point);
        const qint64 oldest = nowMs - qint64(m_windowSeconds) * 1000;
        qsizetype drop = 0;
        while (drop < m_points.size() && m_points.at(drop).timeMs < oldest)
            ++drop;
        m_points.remove(0, drop);
    }
    if (!m_last || restarted || nowMs > m_lastMs) {
        m_last = stats;
        m_lastMs = nowMs;
    }
    update();
}

void TrafficChart::clear()
{
    m_last.reset();
    m_points.clear();
    update();
}

void TrafficChart::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette pal = palette();
    p.fillRect(rect(), pal.color(QPalette::Base));
    p.setPen(pal.color(QPalette::Mid));
    p.drawRect(rect().adjusted(0, 0, -1, -1));

    QFont small = font();
    small.setPointSizeF(std::max(6.5, small.pointSizeF() * 0.82));
    p.setFont(small);
    const QFontMetrics fm(small);
    const int line = fm.height();
    const QRectF plot(fm.horizontalAdvance(QStringLiteral("0000")) + 8, line + 8,
                      width() - 2 * (fm.horizontalAdvance(QStringLiteral("0000")) + 8),
                      height() - 2 * line - 12);
    if (plot.width() < 20 || plot.height() < 20)
        return;

    // Counters come ~4 times a second and frames in bursts: draw rates averaged over the
    // last SmoothingMs so the lines read as a trend.
    QList<Point> points = m_points;
    {
        qsizetype from = 0;
        double sumIn = 0;
        double sumOut = 0;
        for (qsizetype i = 0; i < m_points.size(); ++i) {
            sumIn += m_points.at(i).inPerSecond;
            sumOut += m_points.at(i).outPerSecond;
            while (m_points.at(from).timeMs <= m_points.at(i).timeMs - SmoothingMs) {
                sumIn -= m_points.at(from).inPerSecond;
                sumOut -= m_points.at(from).outPerSecond;
                ++from;
            }
            const auto n = double(i - from + 1);
            points[i].inPerSecond = std::max(0.0, sumIn / n);
            points[i].outPerSecond = std::max(0.0, sumOut / n);
        }
    }

    double maxRate = 0;
    int maxConnections = 0;
    for (const Point &pt : std::as_const(points)) {
        maxRate = std::max({maxRate, pt.inPerSecond, pt.outPerSecond});
        maxConnections = std::max(maxConnections, pt.connections);
    }
    const double rateTop = niceCeiling(maxRate, 5);
    const double connectionsTop = niceCeiling(maxConnections, 5);

    // Grid and scales: rates on the left, connections on the right.
    const QColor text = pal.color(QPalette::Text);
    const QColor grid = pal.color(QPalette::Midlight);
    for (int i = 0; i <= 2; ++i) {
        const double y = plot.bottom() - plot.height() * i / 2.0;
        p.setPen(QPen(grid, 1, i == 0 ? Qt::SolidLine : Qt::DotLine));
        p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y));
        p.setPen(text);
        p.drawText(QRectF(0, y - line / 2.0, plot.left() - 4, line),
                   Qt::AlignRight | Qt::AlignVCenter, rateText(rateTop * i / 2.0));
        p.setPen(connectionsColor);
        p.drawText(QRectF(plot.right() + 4, y - line / 2.0, width() - plot.right() - 4, line),
                   Qt::AlignLeft | Qt::AlignVCenter, rateText(connectionsTop * i / 2.0));
    }
    p.setPen(text);
    const QString minutes = m_windowSeconds % 60 == 0
                                ? QStringLiteral("−%1 min").arg(m_windowSeconds / 60)
                                : QStringLiteral("−%1 s").arg(m_windowSeconds);
    p.drawText(QRectF(plot.left(), plot.bottom() + 2, plot.width(), line),
               Qt::AlignLeft | Qt::AlignTop, minutes);
    p.drawText(QRectF(plot.left(), plot.bottom() + 2, plot.width(), line),
               Qt::AlignRight | Qt::AlignTop, QStringLiteral("now"));

    // The series, right-aligned at the newest sample.
    if (!points.isEmpty()) {
        const qint64 newest = points.last().timeMs;
        const double span = double(m_windowSeconds) * 1000.0;
        const auto xOf = [&](qint64 t) {
            return plot.right() - plot.width() * double(newest - t) / span;
        };
        const auto series = [&](auto value, double top, const QPen &pen) {
            QPainterPath path;
            for (qsizetype i = 0; i < points.size(); ++i) {
                const Point &pt = points.at(i);
                const QPointF at(xOf(pt.timeMs),
                                 plot.bottom() - plot.height() * std::min(1.0, value(pt) / top));
                if (i == 0)
                    path.moveTo(at);
                else
                    path.lineTo(at);
            }
            p.setPen(pen);
            p.setBrush(Qt::NoBrush);
            p.drawPath(path);
        };
        p.save();
        p.setClipRect(plot.adjusted(-1, -2, 1, 1));
        series([](const Point &pt) { return double(pt.connections); }, connectionsTop,
               QPen(connectionsColor, 1.5, Qt::DashLine));
        series([](const Point &pt) { return pt.outPerSecond; }, rateTop, QPen(outColor, 1.8));
        series([](const Point &pt) { return pt.inPerSecond; }, rateTop, QPen(inColor, 1.8));
        p.restore();
    }

    // Legend with the latest values.
    const Point latest = points.isEmpty() ? Point() : points.last();
    const struct
    {
        QColor color;
        QString label;
    } legend[] = {
        {inColor, QStringLiteral("in %1/s").arg(rateText(latest.inPerSecond))},
        {outColor, QStringLiteral("out %1/s").arg(rateText(latest.outPerSecond))},
        {connectionsColor, QStringLiteral("%1 connected").arg(latest.connections)},
    };
    qreal x = plot.left();
    for (const auto &item : legend) {
        p.setPen(Qt::NoPen);
        p.setBrush(item.color);
        p.drawRoundedRect(QRectF(x, 4 + line / 2.0 - 3, 10, 6), 2, 2);
        x += 14;
        p.setPen(text);
        p.drawText(QPointF(x, 4 + fm.ascent()), item.label);
        x += fm.horizontalAdvance(item.label) + 14;
    }
}

} // namespace roomkeeper
