#pragma once

#include "server/serverconfig.h"

#include <QHostAddress>

namespace roomkeeper::test {

// A server for an in-process test: 127.0.0.1 only, on a free port.
inline ServerConfig localServerConfig()
{
    ServerConfig c;
    c.listenAddress = QHostAddress(QHostAddress::LocalHost);
    c.port = 0;
    return c;
}

} // namespace roomkeeper::test
