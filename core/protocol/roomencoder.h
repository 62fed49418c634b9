#pragma once

#include "eventencoder.h"

namespace roomkeeper {

class UserDirectory;

// The room protocol's frames for domain events (PROTOCOL.md §2.3), through roomcodec.
class RoomEncoder final : public EventEncoder
{
public:
    explicit RoomEncoder(const UserDirectory &users) : m_users(users) {}

    QByteArray encode(const Room &room, const DomainEvent &event, bool forAdmin) const override;
    bool variesByRank(const DomainEvent &event) const override;

private:
    const UserDirectory &m_users;
};

} // namespace roomkeeper
