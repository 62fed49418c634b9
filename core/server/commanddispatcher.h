#pragma once

#include "../domain/commands.h"
#include "../domain/errorcode.h"
#include "../domain/room.h"

#include <QUuid>

#include <functional>

namespace roomkeeper {

class ModerationService;
class RoomRegistry;

// Carries out the domain commands of every protocol's sessions: chat against the rooms,
// moderation through the one moderation service. Answers with the refusal, or nothing
// when done. Core thread only.
class CommandDispatcher
{
public:
    // 'wallClock' gives UNIX milliseconds for message times.
    CommandDispatcher(RoomRegistry &rooms, ModerationService &moderation,
                      std::function<qint64()> wallClock);

    // 'member' is the connection that asked, 'user' the person behind it.
    Outcome execute(const Command &command, MemberId member, const QUuid &user);

private:
    Outcome markRead(const command::MarkRead &read, MemberId member);
    Outcome changeParticipant(const command::ChangeParticipant &change, const QUuid &user);

    RoomRegistry &m_rooms;
    ModerationService &m_moderation;
    std::function<qint64()> m_wallClock;
};

} // namespace roomkeeper
