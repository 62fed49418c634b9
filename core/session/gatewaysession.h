#pragma once

#include "session.h"

namespace roomkeeper {

// A connection on /gateway?room=ID speaking the gateway protocol (PROTOCOL.md §3): one
// room per connection, entered at the handshake (a refusal is the close code); hello with
// the heartbeat interval, the client's op 1 due within 1.5 intervals, and now and then an
// op 2 from us that asks for one at once.
class GatewaySession final : public Session
{
public:
    GatewaySession(const Protocol &protocol, SessionContext &context, QWebSocket *socket,
                   QTcpSocket *transport, OutboundBatch *batch, MemberId id);

    static std::shared_ptr<Session> create(const Protocol &protocol, SessionContext &context,
                                           QWebSocket *socket, QTcpSocket *transport,
                                           OutboundBatch *batch, quint64 id);

    void open(const QUrlQuery &query, const UserDirectory::Identity &identity) override;
    bool heartbeat(HeartbeatTurn &turn) override;
    void joined(const Room &room) override;
    void left(const Room &room) override;
    void targeted(const Room &room, const DomainEvent &event) override;
    void refuse(const Refusal &refusal, const QString &ref = QString(),
                const std::optional<QUuid> &roomId = std::nullopt) override;

    // The refusal of entering a room at the handshake, as a close code (PROTOCOL.md §4).
    static int closeCodeFor(ErrorCode refusal);

protected:
    void handleText(const QByteArray &utf8) override;

private:
    QUuid m_room;
    QByteArray m_pendingToken; // sent once, in op 8 ready
    qint64 m_lastClientHeartbeatMs = 0;
    qint64 m_lastAskedMs = 0;
    qint64 m_askedMs = 0; // 0 = no op 2 waiting for its op 1
};

} // namespace roomkeeper
