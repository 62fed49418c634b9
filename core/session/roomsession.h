#pragma once

#include "session.h"

namespace roomkeeper {

// A connection on /ws speaking the room protocol (PROTOCOL.md §2): a session key guards
// every request but heartbeats and read receipts; rooms are named in each request; the
// server pings and a peer that has not answered within two intervals is overdue.
class RoomSession final : public Session
{
public:
    RoomSession(const Protocol &protocol, SessionContext &context, QWebSocket *socket,
                QTcpSocket *transport, OutboundBatch *batch, MemberId id);

    static std::shared_ptr<Session> create(const Protocol &protocol, SessionContext &context,
                                           QWebSocket *socket, QTcpSocket *transport,
                                           OutboundBatch *batch, quint64 id);

    void open(const QUrlQuery &query, const UserDirectory::Identity &identity) override;
    void identityStored() override;
    bool heartbeat(HeartbeatTurn &turn) override;
    void joined(const Room &room) override;
    void left(const Room &room) override;
    void refuse(const Refusal &refusal, const QString &ref = QString(),
                const std::optional<QUuid> &roomId = std::nullopt) override;

protected:
    void handleText(const QByteArray &utf8) override;

private:
    void sendSession(const QByteArray &token);

    QByteArray m_key;      // this connection's session key (PROTOCOL.md §2.1)
    QByteArray m_newToken; // a new identity's token, sent once it is stored
    qint64 m_lastPingSentMs = 0;
    qint64 m_lastPingTime = 0;      // the 'time' of our last ping
    qint64 m_unansweredSinceMs = 0; // 0 = nothing outstanding
};

} // namespace roomkeeper
