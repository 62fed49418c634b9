#include "qrcodewidget.h"

#include <QPainter>

#include <qrencode.h>

namespace roomkeeper {

namespace {

constexpr int QuietZone = 4;

} // namespace

QrCodeWidget::QrCodeWidget(QWidget *parent) : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Fixed);
}

QrCodeWidget::~QrCodeWidget() = default;

QImage QrCodeWidget::encode(const QString &text)
{
    if (text.isEmpty())
        return QImage();
    const QByteArray utf8 = text.toUtf8();
    QRcode *code = QRcode_encodeString(utf8.constData(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!code)
        return QImage();
    const int side = code->width + 2 * QuietZone;
    QImage image(side, side, QImage::Format_Mono);
    image.setColor(0, qRgb(255, 255, 255));
    image.setColor(1, qRgb(0, 0, 0));
    image.fill(0);
    for (int y = 0; y < code->width; ++y) {
        for (int x = 0; x < code->width; ++x) {
            if (code->data[y * code->width + x] & 1)
                image.setPixel(x + QuietZone, y + QuietZone, 1);
        }
    }
    QRcode_free(code);
    return image;
}

void QrCodeWidget::setText(const QString &text)
{
    if (text == m_text)
        return;
    m_text = text;
    m_image = encode(text);
    setToolTip(text.isEmpty() ? QString() : QStringLiteral("Scan to open %1").arg(text));
    update();
}

QSize QrCodeWidget::sizeHint() const
{
    return QSize(132, 132);
}

QSize QrCodeWidget::minimumSizeHint() const
{
    return QSize(66, 66);
}

void QrCodeWidget::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), Qt::white);
    if (m_image.isNull()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap, QStringLiteral("no address yet"));
        return;
    }
    // Whole pixels per module: a blurred code scans badly.
    const int module = qMax(1, qMin(width(), height()) / m_image.width());
    const int side = module * m_image.width();
    const QRect target((width() - side) / 2, (height() - side) / 2, side, side);
    p.setRenderHint(QPainter::SmoothPixmapTransform, false);
    p.drawImage(target, m_image);
}

} // namespace roomkeeper
