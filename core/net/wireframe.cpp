#include "wireframe.h"

#include <cstring>

namespace roomkeeper::wireframe {

namespace {

constexpr char FinText = char(0x81);

qsizetype headerSize(qsizetype payloadSize)
{
    if (payloadSize < 126)
        return 2;
    if (payloadSize <= 0xffff)
        return 4;
    return 10;
}

} // namespace

QByteArray text(QByteArrayView utf8)
{
    const qsizetype size = utf8.size();
    const qsizetype header = headerSize(size);
    QByteArray frame(header + size, Qt::Uninitialized);
    char *out = frame.data();
    out[0] = FinText;
    if (header == 2) {
        out[1] = char(size);
    } else if (header == 4) {
        out[1] = char(126);
        out[2] = char((size >> 8) & 0xff);
        out[3] = char(size & 0xff);
    } else {
        out[1] = char(127);
        const quint64 length = quint64(size);
        for (int i = 0; i < 8; ++i)
            out[2 + i] = char((length >> (8 * (7 - i))) & 0xff);
    }
    if (size)
        memcpy(out + header, utf8.data(), size_t(size));
    return frame;
}

QByteArray text(QStringView json)
{
    return text(QByteArrayView(json.toUtf8()));
}

QByteArray close(int code, QStringView reason)
{
    constexpr qsizetype MaxReason = 123; // a control frame's payload is at most 125 bytes
    QByteArray utf8 = reason.toUtf8();
    if (utf8.size() > MaxReason) {
        qsizetype cut = MaxReason;
        while (cut > 0 && (quint8(utf8.at(cut)) & 0xc0) == 0x80)
            --cut; // never split a multi-byte character
        utf8.truncate(cut);
    }
    QByteArray frame;
    frame.reserve(4 + utf8.size());
    frame.append(char(0x88));
    frame.append(char(2 + utf8.size()));
    frame.append(char((code >> 8) & 0xff));
    frame.append(char(code & 0xff));
    frame.append(utf8);
    return frame;
}

QByteArrayView payload(const QByteArray &frame)
{
    if (frame.size() < 2)
        return {};
    const quint8 marker = quint8(frame.at(1)) & 0x7f;
    const qsizetype header = marker < 126 ? 2 : marker == 126 ? 4 : 10;
    return QByteArrayView(frame).sliced(qMin(header, frame.size()));
}

} // namespace roomkeeper::wireframe
