#pragma once

#include "../protocol/eventencoder.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <functional>
#include <memory>

class QTcpSocket;
class QWebSocket;

namespace roomkeeper {

class OutboundBatch;
class Session;
struct SessionContext;

// One wire protocol the server speaks: the door it is served at, its encoder for domain
// events, and how a session of it is made. The composition root registers each protocol
// once (ChatServer); nothing else names them, so a third protocol is a codec, an encoder,
// a session class and one registration.
class Protocol
{
public:
    using Factory = std::function<std::shared_ptr<Session>(
        const Protocol &protocol, SessionContext &context, QWebSocket *socket,
        QTcpSocket *transport, OutboundBatch *batch, quint64 id)>;

    Protocol(int index, QByteArray path, QString name, std::unique_ptr<EventEncoder> encoder,
             Factory factory)
        : m_index(index), m_path(std::move(path)), m_name(std::move(name)),
          m_encoder(std::move(encoder)), m_factory(std::move(factory))
    {}

    // 0, 1, ...: a slot in per-protocol tables.
    int index() const { return m_index; }
    // "/ws", "/gateway".
    const QByteArray &path() const { return m_path; }
    // "room", "gateway": metrics labels and logs.
    const QString &name() const { return m_name; }
    // "ws", "gateway": the door without its slash, as the window shows it.
    QString label() const { return QString::fromLatin1(m_path.mid(1)); }
    const EventEncoder &encoder() const { return *m_encoder; }
    std::shared_ptr<Session> createSession(SessionContext &context, QWebSocket *socket,
                                           QTcpSocket *transport, OutboundBatch *batch,
                                           quint64 id) const
    {
        return m_factory(*this, context, socket, transport, batch, id);
    }

private:
    int m_index;
    QByteArray m_path;
    QString m_name;
    std::unique_ptr<EventEncoder> m_encoder;
    Factory m_factory;
};

// The protocols of this server, in registration order.
class Protocols
{
public:
    const Protocol &add(QByteArray path, QString name, std::unique_ptr<EventEncoder> encoder,
                        Protocol::Factory factory)
    {
        m_list.append(std::make_shared<Protocol>(int(m_list.size()), std::move(path),
                                                 std::move(name), std::move(encoder),
                                                 std::move(factory)));
        return *m_list.constLast();
    }
    const Protocol *byPath(QByteArrayView path) const
    {
        for (const auto &p : m_list) {
            if (p->path() == path)
                return p.get();
        }
        return nullptr;
    }
    QList<QByteArray> paths() const
    {
        QList<QByteArray> out;
        for (const auto &p : m_list)
            out.append(p->path());
        return out;
    }
    int size() const { return int(m_list.size()); }
    const Protocol &at(int index) const { return *m_list.at(index); }

private:
    QList<std::shared_ptr<Protocol>> m_list;
};

} // namespace roomkeeper
