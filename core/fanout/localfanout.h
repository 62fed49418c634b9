#pragma once

#include "fanout.h"

namespace roomkeeper {

class Protocols;
class Session;
class SessionRegistry;

// Delivery to the sessions of this host (one host: everyone).
class LocalFanOut final : public FanOut
{
public:
    LocalFanOut(const SessionRegistry &sessions, const Protocols &protocols)
        : m_sessions(sessions), m_protocols(protocols)
    {}

    Delivered toRoom(const Room &room, const DomainEvent &event) override;
    Delivered toMembers(const Room &room, const QList<MemberId> &members,
                        const DomainEvent &event) override;

private:
    const SessionRegistry &m_sessions;
    const Protocols &m_protocols;
};

} // namespace roomkeeper
