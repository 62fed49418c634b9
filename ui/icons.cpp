#include "icons.h"

#include <QHash>
#include <QPainter>
#include <QPainterPath>
#include <QPixmap>

#include <cmath>
#include <numbers>

namespace roomkeeper::icons {

namespace {

constexpr int Size = 64;

const QColor ink(0x37, 0x41, 0x51);
const QColor alert(0xc0, 0x39, 0x2b);
const QColor accent(0x25, 0x63, 0xeb);

QPen pen(const QColor &color, qreal width = 6)
{
    return QPen(color, width, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
}

void paintGlyph(QPainter &p, Glyph glyph, const QRectF &box)
{
    p.save();
    p.translate(box.topLeft());
    p.scale(box.width() / Size, box.height() / Size);
    p.setBrush(Qt::NoBrush);
    switch (glyph) {
    case Glyph::RoomLock:
        p.setPen(pen(ink));
        p.drawArc(QRectF(18, 8, 28, 32), 0, 180 * 16);
        p.drawLine(QPointF(18, 24), QPointF(18, 30));
        p.drawLine(QPointF(46, 24), QPointF(46, 30));
        p.setBrush(QColor(0xd9, 0x77, 0x06));
        p.setPen(pen(ink, 4));
        p.drawRoundedRect(QRectF(10, 28, 44, 30), 5, 5);
        p.setBrush(ink);
        p.drawEllipse(QPointF(32, 42), 3, 3);
        break;
    case Glyph::ChatLock: {
        QPainterPath bubble;
        bubble.addRoundedRect(QRectF(6, 8, 52, 36), 10, 10);
        bubble.moveTo(18, 44);
        bubble.lineTo(14, 58);
        bubble.lineTo(30, 44);
        p.setBrush(QColor(0xdb, 0xea, 0xfe));
        p.setPen(pen(ink, 4));
        p.drawPath(bubble.simplified());
        p.setPen(pen(alert, 6));
        p.drawLine(QPointF(8, 56), QPointF(56, 8));
        break;
    }
    case Glyph::Pin:
        p.setPen(pen(ink, 5));
        p.setBrush(alert);
        p.drawEllipse(QPointF(36, 22), 14, 14);
        p.drawLine(QPointF(26, 32), QPointF(8, 56));
        break;
    case Glyph::Webhook:
        p.setPen(pen(QColor(0x7c, 0x3a, 0xed), 6));
        p.drawEllipse(QPointF(32, 14), 7, 7);
        p.drawLine(QPointF(32, 21), QPointF(32, 40));
        p.drawArc(QRectF(16, 28, 32, 28), 180 * 16, 180 * 16);
        p.drawLine(QPointF(16, 42), QPointF(12, 36));
        break;
    case Glyph::Kick:
        p.setPen(pen(ink, 5));
        p.drawPolyline(
            QPolygonF({QPointF(30, 10), QPointF(10, 10), QPointF(10, 54), QPointF(30, 54)}));
        p.setPen(pen(alert, 6));
        p.drawLine(QPointF(24, 32), QPointF(56, 32));
        p.drawPolyline(QPolygonF({QPointF(44, 20), QPointF(56, 32), QPointF(44, 44)}));
        break;
    case Glyph::Ban:
        p.setPen(pen(alert, 7));
        p.drawEllipse(QPointF(32, 32), 23, 23);
        p.drawLine(QPointF(16, 16), QPointF(48, 48));
        break;
    case Glyph::Create:
        p.setPen(pen(QColor(0x16, 0xa3, 0x4a), 8));
        p.drawLine(QPointF(32, 10), QPointF(32, 54));
        p.drawLine(QPointF(10, 32), QPointF(54, 32));
        break;
    case Glyph::Announce: {
        QPainterPath horn;
        horn.moveTo(8, 24);
        horn.lineTo(22, 24);
        horn.lineTo(52, 8);
        horn.lineTo(52, 56);
        horn.lineTo(22, 40);
        horn.lineTo(8, 40);
        horn.closeSubpath();
        p.setPen(pen(ink, 4));
        p.setBrush(QColor(0xfd, 0xe6, 0x8a));
        p.drawPath(horn);
        p.drawLine(QPointF(18, 40), QPointF(22, 56));
        break;
    }
    case Glyph::Pause:
        p.setPen(Qt::NoPen);
        p.setBrush(ink);
        p.drawRoundedRect(QRectF(14, 10, 12, 44), 3, 3);
        p.drawRoundedRect(QRectF(38, 10, 12, 44), 3, 3);
        break;
    case Glyph::Limit:
        p.setPen(pen(ink, 5));
        p.drawEllipse(QPointF(24, 18), 9, 9);
        p.drawArc(QRectF(8, 32, 32, 36), 0, 180 * 16);
        p.setPen(pen(accent, 6));
        p.drawLine(QPointF(50, 10), QPointF(50, 54));
        break;
    case Glyph::Admin: {
        QPolygonF star;
        for (int i = 0; i < 10; ++i) {
            const qreal r = i % 2 == 0 ? 26 : 11;
            const qreal a = -std::numbers::pi / 2 + i * std::numbers::pi / 5;
            star << QPointF(32 + r * std::cos(a), 34 + r * std::sin(a));
        }
        p.setPen(pen(QColor(0xb4, 0x53, 0x09), 3));
        p.setBrush(QColor(0xfb, 0xbf, 0x24));
        p.drawPolygon(star);
        break;
    }
    case Glyph::Color:
        p.setPen(pen(ink, 3));
        p.setBrush(QColor(0xef, 0x44, 0x44));
        p.drawEllipse(QPointF(22, 24), 12, 12);
        p.setBrush(QColor(0x22, 0xc5, 0x5e));
        p.drawEllipse(QPointF(42, 24), 12, 12);
        p.setBrush(QColor(0x3b, 0x82, 0xf6));
        p.drawEllipse(QPointF(32, 42), 12, 12);
        break;
    case Glyph::Close:
        p.setPen(pen(alert, 8));
        p.drawLine(QPointF(14, 14), QPointF(50, 50));
        p.drawLine(QPointF(50, 14), QPointF(14, 50));
        break;
    case Glyph::Copy:
        p.setPen(pen(ink, 4));
        p.setBrush(Qt::white);
        p.drawRoundedRect(QRectF(8, 8, 32, 38), 4, 4);
        p.drawRoundedRect(QRectF(24, 20, 32, 38), 4, 4);
        break;
    case Glyph::Command:
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(0x1f, 0x29, 0x37));
        p.drawRoundedRect(QRectF(4, 8, 56, 48), 6, 6);
        p.setPen(pen(QColor(0x4a, 0xde, 0x80), 5));
        p.drawPolyline(QPolygonF({QPointF(14, 22), QPointF(24, 32), QPointF(14, 42)}));
        p.drawLine(QPointF(30, 44), QPointF(48, 44));
        break;
    }
    p.restore();
}

QPixmap canvas(int width, int height)
{
    QPixmap pixmap(width, height);
    pixmap.fill(Qt::transparent);
    return pixmap;
}

} // namespace

QIcon glyph(Glyph glyph)
{
    static QHash<int, QIcon> cache;
    const auto it = cache.constFind(int(glyph));
    if (it != cache.cend())
        return *it;
    QPixmap pixmap = canvas(Size, Size);
    {
        QPainter p(&pixmap);
        p.setRenderHint(QPainter::Antialiasing);
        paintGlyph(p, glyph, QRectF(0, 0, Size, Size));
    }
    const QIcon icon(pixmap);
    cache.insert(int(glyph), icon);
    return icon;
}

QIcon lockState(bool roomLocked, bool chatLocked)
{
    static QHash<int, QIcon> cache;
    const int key = (roomLocked ? 1 : 0) | (chatLocked ? 2 : 0);
    const auto it = cache.constFind(key);
    if (it != cache.cend())
        return *it;
    // Two slots, so the glyphs line up from row to row.
    QPixmap pixmap = canvas(2 * Size, Size);
    {
        QPainter p(&pixmap);
        p.setRenderHint(QPainter::Antialiasing);
        if (roomLocked)
            paintGlyph(p, Glyph::RoomLock, QRectF(0, 0, Size, Size));
        if (chatLocked)
            paintGlyph(p, Glyph::ChatLock, QRectF(Size, 0, Size, Size));
    }
    const QIcon icon(pixmap);
    cache.insert(key, icon);
    return icon;
}

QIcon application(int count)
{
    QPixmap pixmap = canvas(Size, Size);
    QPainter p(&pixmap);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(0x1d, 0x4e, 0xd8));
    p.drawRoundedRect(QRectF(2, 2, 60, 60), 14, 14);
    // A door with a key hole: a room and its keeper.
    p.setBrush(QColor(0xf8, 0xfa, 0xfc));
    p.drawRoundedRect(QRectF(18, 12, 28, 44), 4, 4);
    p.setBrush(QColor(0x1d, 0x4e, 0xd8));
    p.drawEllipse(QPointF(38, 36), 3.5, 3.5);
    if (count >= 0) {
        const QString text = count > 999 ? QStringLiteral("1k+") : QString::number(count);
        QFont font = p.font();
        font.setBold(true);
        font.setPixelSize(text.size() > 2 ? 18 : 24);
        p.setFont(font);
        const QRectF badge(Size - 40, Size - 30, 38, 28);
        p.setBrush(QColor(0x16, 0xa3, 0x4a));
        p.drawRoundedRect(badge, 12, 12);
        p.setPen(Qt::white);
        p.drawText(badge, Qt::AlignCenter, text);
    }
    p.end();
    return QIcon(pixmap);
}

} // namespace roomkeeper::icons
