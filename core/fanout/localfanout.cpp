#include "localfanout.h"

#include "../net/wireframe.h"
#include "../session/sessionregistry.h"

#include <QVarLengthArray>

namespace roomkeeper {

namespace {

// The frames of one event, made lazily: one per protocol, or two (admins, others) for a
// protocol whose frame depends on rank. A protocol no member speaks costs nothing; an
// empty encoding skips the protocol.
class FrameSet
{
public:
    FrameSet(const Protocols &protocols, const Room &room, const DomainEvent &event)
        : m_room(room), m_event(event), m_slots(protocols.size() * 2)
    {}

    // The frame for 'session' (empty: nothing to send it).
    const QByteArray &frameFor(const Session &session)
    {
        const Protocol &protocol = session.protocol();
        Slot &rank = m_slots[protocol.index() * 2];
        if (!rank.varianceKnown) {
            rank.varies = protocol.encoder().variesByRank(m_event);
            rank.varianceKnown = true;
        }
        const bool admin = rank.varies && m_room.isAdmin(session.user());
        Slot &slot = m_slots[protocol.index() * 2 + (admin ? 1 : 0)];
        if (!slot.made) {
            const QByteArray utf8 = protocol.encoder().encode(m_room, m_event, admin);
            if (!utf8.isEmpty())
                slot.frame = wireframe::text(QByteArrayView(utf8));
            slot.made = true;
        }
        return slot.frame;
    }

private:
    struct Slot
    {
        QByteArray frame;
        bool made = false;
        bool varianceKnown = false; // kept in the protocol's first slot
        bool varies = false;
    };
    const Room &m_room;
    const DomainEvent &m_event;
    QVarLengthArray<Slot, 4> m_slots;
};

} // namespace

Delivered LocalFanOut::toRoom(const Room &room, const DomainEvent &event)
{
    Delivered delivered;
    FrameSet frames(m_protocols, room, event);
    // The member table is walked in place: no copy of it per broadcast. Members this host
    // does not hold are someone else's.
    const QHash<MemberId, QUuid> &members = room.members();
    for (auto it = members.cbegin(); it != members.cend(); ++it) {
        Session *session = m_sessions.find(it.key());
        if (!session)
            continue;
        const QByteArray &frame = frames.frameFor(*session);
        if (!frame.isEmpty() && session->connection().sendFrame(frame)) {
            ++delivered.frames;
            delivered.bytes += quint64(frame.size());
        }
    }
    return delivered;
}

Delivered LocalFanOut::toMembers(const Room &room, const QList<MemberId> &members,
                                 const DomainEvent &event)
{
    Delivered delivered;
    FrameSet frames(m_protocols, room, event);
    for (MemberId id : members) {
        Session *session = m_sessions.find(id);
        if (!session)
            continue;
        const QByteArray &frame = frames.frameFor(*session);
        if (!frame.isEmpty() && session->connection().sendFrame(frame)) {
            ++delivered.frames;
            delivered.bytes += quint64(frame.size());
        }
        session->targeted(room, event);
    }
    return delivered;
}

} // namespace roomkeeper
