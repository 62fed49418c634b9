#pragma once

#include "serverstats.h"

#include <QByteArray>

namespace roomkeeper {

// Renders the counters in the Prometheus text exposition format (version 0.0.4), for
// GET /metrics.
QByteArray renderMetrics(const ServerStats &stats);

} // namespace roomkeeper
