#pragma once

#include <QImage>
#include <QWidget>

namespace roomkeeper {

// A QR code of a join address (libqrencode), painted crisp at any size, so people in
// the room can point a phone at the screen.
class QrCodeWidget final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(QrCodeWidget)

public:
    explicit QrCodeWidget(QWidget *parent = nullptr);
    ~QrCodeWidget() override;

    // One pixel per module, black on white, with the 4-module quiet zone; a null image
    // when the text cannot be encoded.
    static QImage encode(const QString &text);

    QString text() const { return m_text; }
    const QImage &image() const { return m_image; }
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

public slots:
    void setText(const QString &text);

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QString m_text;
    QImage m_image;
};

} // namespace roomkeeper
