#include "gatewayencoder.h"

#include "gatewaycodec.h"

#include "../domain/overloaded.h"

namespace roomkeeper {

QByteArray GatewayEncoder::encode(const Room &room, const DomainEvent &event, bool forAdmin) const
{
    return std::visit(
        Overloaded{
            [](const event::Entered &e) { return gatewaycodec::participantEnter(e.user, e.admin); },
            [](const event::Exited &e) {
                return e.kicked ? gatewaycodec::participantKick(e.user)
                                : gatewaycodec::participantExit(e.user, e.why);
            },
            [](const event::MessagePosted &e) { return gatewaycodec::messageCreate(e.message); },
            [](const event::ReadReceipt &e) { return gatewaycodec::read(e.reader, e.messageId); },
            [](const event::Kicked &e) { return gatewaycodec::participantKick(e.user); },
            [](const event::BanChanged &e) {
                return gatewaycodec::participantChange(e.user, e.banned, std::nullopt,
                                                       std::nullopt);
            },
            [](const event::AdminChanged &e) {
                return gatewaycodec::participantChange(e.user, std::nullopt, std::nullopt, e.admin);
            },
            [](const event::ColorChanged &e) {
                return gatewaycodec::participantChange(e.user, std::nullopt, e.color, std::nullopt);
            },
            [&](const event::SettingsChanged &e) {
                return gatewaycodec::roomUpdate(room, e.changes, forAdmin);
            },
            [](const event::Closed &) { return gatewaycodec::roomClose(); },
            // The gateway protocol has no invitations and no whole-room picture.
            [](const event::Invited &) { return QByteArray(); },
            [](const event::RoomPicture &) { return QByteArray(); },
        },
        event);
}

bool GatewayEncoder::variesByRank(const DomainEvent &event) const
{
    // op 4 carries the webhook to admins only.
    return std::holds_alternative<event::SettingsChanged>(event);
}

} // namespace roomkeeper
