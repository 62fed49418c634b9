#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QStringView>

namespace roomkeeper::wireframe {

// One server-to-client text frame (RFC 6455 §5.2: FIN, opcode 1, unmasked) carrying
// 'utf8' whole. Server frames are never masked, so one frame built per broadcast can be
// written to every member's socket as it is.
QByteArray text(QByteArrayView utf8);
QByteArray text(QStringView json);

// A close frame (RFC 6455 §5.5.1, opcode 8) with 'code' and as much of 'reason' as fits
// in a control frame (123 bytes of UTF-8), cut at a character boundary.
QByteArray close(int code, QStringView reason);

// The payload of a frame made by text().
QByteArrayView payload(const QByteArray &frame);

} // namespace roomkeeper::wireframe
