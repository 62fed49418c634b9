#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QLatin1StringView>
#include <QString>

namespace roomkeeper::test {

// A string field of a JSON object ("" if absent or not a string).
inline QString str(const QJsonObject &object, const char *key)
{
    return object.value(QLatin1StringView(key)).toString();
}

// The participant entry for 'userId' in a room picture (empty if absent).
inline QJsonObject participant(const QJsonObject &picture, const QString &userId)
{
    const QJsonArray list = picture.value(QLatin1StringView("participants")).toArray();
    for (const QJsonValue &v : list) {
        if (str(v.toObject(), "user_id") == userId)
            return v.toObject();
    }
    return QJsonObject();
}

// The entry of 'roomId' in a 'rooms' reply (empty if absent).
inline QJsonObject listedRoom(const QJsonObject &rooms, const QString &roomId)
{
    const QJsonArray list = rooms.value(QLatin1StringView("rooms")).toArray();
    for (const QJsonValue &v : list) {
        if (str(v.toObject(), "room_id") == roomId)
            return v.toObject();
    }
    return QJsonObject();
}

} // namespace roomkeeper::test
