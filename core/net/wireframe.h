#pragma once

#include <QByteArray>
#include <QByteArrayView>

namespace roomkeeper::wireframe {

// One server-to-client text frame (RFC 6455 §5.2: FIN, opcode 1, unmasked) carrying
// 'utf8' whole. Server frames are never masked, so one frame built per broadcast can be
// written to every member's socket as it is.
QByteArray text(QByteArrayView utf8);

// The payload of a frame made by text().
QByteArrayView payload(const QByteArray &frame);

} // namespace roomkeeper::wireframe
