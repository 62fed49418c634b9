#pragma once

#include "eventencoder.h"

namespace roomkeeper {

// The gateway protocol's frames for domain events (PROTOCOL.md §3), through gatewaycodec.
class GatewayEncoder final : public EventEncoder
{
public:
    QByteArray encode(const Room &room, const DomainEvent &event, bool forAdmin) const override;
    bool variesByRank(const DomainEvent &event) const override;
};

} // namespace roomkeeper
