#include "metrics.h"

namespace roomkeeper {

namespace {

void metric(QByteArray &out, const char *name, const char *type, const char *help, double value,
            const char *labels = nullptr)
{
    if (help) {
        out += QByteArray("# HELP roomkeeper_") + name + ' ' + help + '\n';
        out += QByteArray("# TYPE roomkeeper_") + name + ' ' + type + '\n';
    }
    out += QByteArray("roomkeeper_") + name;
    if (labels)
        out += QByteArray("{") + labels + '}';
    out += ' ' + QByteArray::number(value, 'g', 17) + '\n';
}

} // namespace

QByteArray renderMetrics(const ServerStats &s)
{
    QByteArray out;
    const char *help = "Open WebSocket connections by protocol.";
    for (auto it = s.connectionsByProtocol.cbegin(); it != s.connectionsByProtocol.cend(); ++it) {
        const QByteArray label = "protocol=\"" + it.key().toUtf8() + '"';
        metric(out, "connections", "gauge", help, it.value(), label.constData());
        help = nullptr;
    }
    metric(out, "handshakes_in_progress", "gauge", "Connections still sending their request head.",
           s.handshakes);
    metric(out, "handshakes_refused_total", "counter",
           "Connections refused while too many handshakes were in progress.",
           double(s.handshakesRefused));
    metric(out, "rooms", "gauge", "Rooms that exist.", s.rooms);
    metric(out, "store_failures_total", "counter",
           "Writes the store could not commit (each refused the action it carried).",
           double(s.storeFailures));
    metric(out, "store_writable", "gauge", "1 while the store can write.",
           s.storeProblem.isEmpty() ? 1 : 0);
    metric(out, "accepting_connections", "gauge", "1 while new connections are accepted.",
           s.accepting ? 1 : 0);
    metric(out, "frames_in_total", "counter", "Frames received from clients.", double(s.framesIn));
    metric(out, "bytes_in_total", "counter", "Payload bytes received from clients.",
           double(s.bytesIn));
    metric(out, "messages_total", "counter", "Chat messages accepted.", double(s.messagesPosted));
    metric(out, "deliveries_total", "counter", "Chat messages delivered (one per member).",
           double(s.framesOut));
    metric(out, "bytes_out_total", "counter", "Payload bytes of chat deliveries.",
           double(s.bytesOut));
    metric(out, "kicks_total", "counter", "Participants kicked (bans included).", double(s.kicks));
    metric(out, "bans_total", "counter", "Bans issued (by user or by address).", double(s.bans));
    metric(out, "rate_limited_total", "counter", "Requests refused by the rate limit.",
           double(s.rateLimited));
    metric(out, "slow_client_drops_total", "counter", "Clients dropped for not reading (4008).",
           double(s.slowClientDrops));
    metric(out, "heartbeat_timeouts_total", "counter", "Clients dropped by the heartbeat (4009).",
           double(s.heartbeatTimeouts));
    metric(out, "refused_connections_total", "counter",
           "Connections refused by a connection limit (4013).", double(s.refusedConnections));
    metric(out, "banned_connections_total", "counter",
           "Connections refused by an address ban (4003).", double(s.bannedConnections));
    metric(out, "webhook_deliveries_total", "counter", "Webhook posts by outcome.",
           double(s.webhookDelivered), "outcome=\"delivered\"");
    metric(out, "webhook_deliveries_total", "counter", nullptr, double(s.webhookFailed),
           "outcome=\"failed\"");
    metric(out, "webhook_deliveries_total", "counter", nullptr, double(s.webhookDropped),
           "outcome=\"dropped\"");
    return out;
}

} // namespace roomkeeper
