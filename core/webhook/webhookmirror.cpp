#include "webhookmirror.h"

#include "webhookforwarder.h"

#include <QUrl>

namespace roomkeeper {

void WebhookMirror::messagePosted(const Room &room, const ChatMessage &message)
{
    if (room.settings().webhook.isEmpty())
        return;
    m_forwarder.enqueue(room.id(), QUrl(room.settings().webhook),
                        message.authorName.isEmpty() ? QStringLiteral("Roomkeeper")
                                                     : message.authorName,
                        message.content);
}

void WebhookMirror::roomChanged(const Room &room, RoomChanges changes)
{
    if (changes & WebhookChanged)
        m_forwarder.forget(room.id());
}

void WebhookMirror::roomClosed(const Room &room, const QList<MemberId> &, const QString &)
{
    m_forwarder.forget(room.id());
}

} // namespace roomkeeper
