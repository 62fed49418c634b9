#include "roomencoder.h"

#include "roomcodec.h"

#include "../domain/overloaded.h"

namespace roomkeeper {

QByteArray RoomEncoder::encode(const Room &room, const DomainEvent &event, bool forAdmin) const
{
    const QUuid &id = room.id();
    return std::visit(
        Overloaded{
            [&](const event::Entered &e) { return roomcodec::enter(id, e.user, e.admin); },
            [&](const event::Exited &e) { return roomcodec::exit(id, e.user, e.why); },
            [&](const event::MessagePosted &e) { return roomcodec::message(room, e.message); },
            [&](const event::ReadReceipt &e) { return roomcodec::read(id, e.reader, e.messageId); },
            [&](const event::Invited &e) { return roomcodec::invite(id, e.inviter); },
            [&](const event::Kicked &e) { return roomcodec::kick(id, e.message, e.banned); },
            [&](const event::RoomPicture &) { return roomcodec::room(room, m_users, forAdmin); },
            [&](const event::Closed &e) { return roomcodec::roomClosed(id, e.message); },
            // Rank, colour and settings reach room-protocol members as a new room picture.
            [](const event::BanChanged &) { return QByteArray(); },
            [](const event::AdminChanged &) { return QByteArray(); },
            [](const event::ColorChanged &) { return QByteArray(); },
            [](const event::SettingsChanged &) { return QByteArray(); },
        },
        event);
}

bool RoomEncoder::variesByRank(const DomainEvent &event) const
{
    // The picture carries the webhook, a secret for admins only.
    return std::holds_alternative<event::RoomPicture>(event);
}

} // namespace roomkeeper
