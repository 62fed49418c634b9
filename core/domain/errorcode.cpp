#include "errorcode.h"

namespace roomkeeper {

QLatin1StringView errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::BadJson:
        return QLatin1StringView("bad_json");
    case ErrorCode::BadType:
        return QLatin1StringView("bad_type");
    case ErrorCode::MissingField:
        return QLatin1StringView("missing_field");
    case ErrorCode::BadField:
        return QLatin1StringView("bad_field");
    case ErrorCode::BadKey:
        return QLatin1StringView("bad_key");
    case ErrorCode::NoSuchRoom:
        return QLatin1StringView("no_such_room");
    case ErrorCode::NoSuchUser:
        return QLatin1StringView("no_such_user");
    case ErrorCode::NotMember:
        return QLatin1StringView("not_member");
    case ErrorCode::Banned:
        return QLatin1StringView("banned");
    case ErrorCode::RoomFull:
        return QLatin1StringView("room_full");
    case ErrorCode::RoomClosed:
        return QLatin1StringView("room_closed");
    case ErrorCode::ChatLocked:
        return QLatin1StringView("chat_locked");
    case ErrorCode::Forbidden:
        return QLatin1StringView("forbidden");
    case ErrorCode::TooLong:
        return QLatin1StringView("too_long");
    case ErrorCode::RateLimited:
        return QLatin1StringView("rate_limited");
    case ErrorCode::Unavailable:
        return QLatin1StringView("unavailable");
    }
    return QLatin1StringView("bad_type");
}

} // namespace roomkeeper
