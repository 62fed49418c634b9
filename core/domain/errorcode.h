#pragma once

#include <QLatin1StringView>
#include <QString>

#include <optional>

namespace roomkeeper {

// The error codes of PROTOCOL.md §2.5, and "unavailable" (README "Protocol notes").
// Both protocols report these names.
enum class ErrorCode
{
    BadJson,
    BadType,
    MissingField,
    BadField,
    BadKey,
    NoSuchRoom,
    NoSuchUser,
    NotMember,
    Banned,
    RoomFull,
    RoomClosed,
    ChatLocked,
    Forbidden,
    TooLong,
    RateLimited,
    Unavailable, // the change could not be stored now; nothing changed, try again
};

QLatin1StringView errorCodeName(ErrorCode code);

// A refused request: the code and a human-readable message. Nothing changed.
struct Refusal
{
    ErrorCode code;
    QString message;
};

// The outcome of a domain command: empty on success.
using Outcome = std::optional<Refusal>;

inline Refusal refuse(ErrorCode code, const QString &message)
{
    return Refusal{code, message};
}

} // namespace roomkeeper
