#pragma once

#include <QHostAddress>
#include <QString>
#include <QUuid>

#include <algorithm>

namespace roomkeeper {

// A ban is a value: who or which addresses, where, why, and until when.
// A user ban names a room; an address ban is server-wide (it stops connections).
struct Ban
{
    qint64 id = 0; // the store's id; 0 until stored
    QUuid room;    // user bans: the room; address bans: null
    QUuid user;    // null for an address ban
    QHostAddress address;
    int prefixLength = -1; // -1: the whole address
    QString reason;
    QString bannedBy;   // "console" or a user id
    qint64 sinceMs = 0; // UNIX ms
    qint64 untilMs = 0; // UNIX ms; 0 = never expires
    quint64 hits = 0;   // how many times it refused someone

    bool isAddressBan() const { return user.isNull(); }
    bool isExpired(qint64 nowMs) const { return untilMs != 0 && nowMs >= untilMs; }
    bool matchesAddress(const QHostAddress &peer) const
    {
        if (!isAddressBan())
            return false;
        // ::ffff:a.b.c.d is a.b.c.d, on either side.
        const auto plain = [](const QHostAddress &a) {
            bool v4 = false;
            const quint32 mapped = a.toIPv4Address(&v4);
            return v4 ? QHostAddress(mapped) : a;
        };
        const QHostAddress banned = plain(address);
        const bool wasMapped = banned.protocol() == QHostAddress::IPv4Protocol &&
                               address.protocol() == QHostAddress::IPv6Protocol;
        const int bits = prefixLength >= 0
                             ? (wasMapped ? std::max(0, prefixLength - 96) : prefixLength)
                             : (banned.protocol() == QHostAddress::IPv4Protocol ? 32 : 128);
        return plain(peer).isInSubnet(banned, bits);
    }
    QString addressText() const
    {
        return prefixLength >= 0
                   ? address.toString() + QLatin1Char('/') + QString::number(prefixLength)
                   : address.toString();
    }
};

} // namespace roomkeeper
