#include "sampledata.h"

#include <cmath>

namespace roomkeeper::test {

QUuid sampleId(const QString &name)
{
    return QUuid::createUuidV5(QUuid(), name);
}

ParticipantSnapshot samplePerson(const QString &name, const QString &color, int connections)
{
    ParticipantSnapshot p;
    p.user = sampleId(QStringLiteral("user:") + name);
    p.name = name;
    p.color = color;
    p.connections = connections;
    p.protocols = QStringLiteral("ws");
    const int host = 20 + int(qHash(name) % 200);
    p.addresses = QStringLiteral("192.168.1.%1").arg(host);
    return p;
}

RoomSnapshot sampleRoom(const QString &name, const QList<ParticipantSnapshot> &people)
{
    RoomSnapshot room;
    room.id = sampleId(QStringLiteral("room:") + name);
    room.name = name;
    room.participants = people;
    return room;
}

ServerSnapshot sampleSnapshot(qint64 nowMs)
{
    struct Person
    {
        const char *name;
        const char *color;
        int connections;
        const char *protocols;
        int messages;
        int rtt;
        qint64 queued;
    };
    const Person physics[] = {
        {"Ms Okafor", "#2563eb", 1, "ws", 42, 3, 0},
        {"amira", "#db2777", 2, "ws", 118, 12, 0},
        {"ben.k", "#16a34a", 1, "gateway", 57, 9, 0},
        {"chen", "#ea580c", 1, "ws", 33, 15, 0},
        {"dmitri", "#7c3aed", 1, "ws,gateway", 204, 41, 18432},
        {"elif", "#0891b2", 1, "ws", 12, 7, 0},
        {"farah", "#ca8a04", 1, "gateway", 76, 11, 0},
        {"guest-7f3a", "#64748b", 1, "ws", 0, -1, 0},
    };
    ServerSnapshot snapshot;
    snapshot.takenAtMs = nowMs;
    QList<ParticipantSnapshot> people;
    int minute = 52;
    for (const Person &p : physics) {
        ParticipantSnapshot s =
            samplePerson(QString::fromUtf8(p.name), QString::fromLatin1(p.color), p.connections);
        s.protocols = QString::fromLatin1(p.protocols);
        s.messagesSent = quint64(p.messages);
        s.roundTripMs = p.rtt;
        s.queuedBytes = p.queued;
        s.connectedSinceMs = nowMs - qint64(minute) * 60 * 1000;
        minute -= 5;
        people << s;
    }
    people[0].admin = true;
    people[0].creator = true;
    people[2].admin = true;
    RoomSnapshot lecture = sampleRoom(QStringLiteral("Physics 101"), people);
    lecture.maxParticipants = 40;
    lecture.chatLocked = false;
    lecture.pinned = true;
    lecture.hasWebhook = true;
    lecture.webhookState = QStringLiteral("0 queued, 311 delivered");
    lecture.lastMessageId = 542;

    RoomSnapshot lab =
        sampleRoom(QStringLiteral("Lab group B"),
                   {samplePerson(QStringLiteral("hana"), QStringLiteral("#be123c")),
                    samplePerson(QStringLiteral("ivo"), QStringLiteral("#15803d")),
                    samplePerson(QStringLiteral("jules"), QStringLiteral("#1d4ed8"), 2)});
    lab.closed = true;
    lab.participants[0].creator = true;
    lab.participants[0].admin = true;

    RoomSnapshot exam =
        sampleRoom(QStringLiteral("Exam questions"),
                   {samplePerson(QStringLiteral("kofi"), QStringLiteral("#9333ea")),
                    samplePerson(QStringLiteral("lena"), QStringLiteral("#0f766e"))});
    exam.closed = true;
    exam.chatLocked = true;
    exam.maxParticipants = 30;

    RoomSnapshot quiet = sampleRoom(QStringLiteral("staff room"), {});
    quiet.pinned = true;

    snapshot.rooms = {lecture, lab, exam, quiet};
    for (RoomSnapshot &room : snapshot.rooms) {
        for (ParticipantSnapshot &p : room.participants) {
            if (p.connectedSinceMs == 0)
                p.connectedSinceMs = nowMs - 20 * 60 * 1000;
            snapshot.connections += p.connections;
        }
    }
    snapshot.lobbyConnections = 3;
    snapshot.connections += snapshot.lobbyConnections;
    return snapshot;
}

TrafficBatch sampleTraffic(const ServerSnapshot &snapshot, qint64 nowMs, int count)
{
    TrafficBatch batch;
    const RoomSnapshot &room = snapshot.rooms.first();
    const QStringList lines = {QStringLiteral("does the ball speed up on the way down?"),
                               QStringLiteral("yes: g is about 9.81 m/s²"),
                               QStringLiteral("can we use a calculator?"),
                               QStringLiteral("page 42, exercise 3"),
                               QStringLiteral("I get 4.9 m after one second"),
                               QStringLiteral("same here")};
    for (int i = 0; i < count; ++i) {
        const ParticipantSnapshot &p = room.participants.at(i % room.participants.size());
        TrafficEvent in;
        in.timeMs = nowMs - qint64(count - i) * 700;
        in.incoming = true;
        in.gateway = p.protocols.startsWith(QLatin1StringView("gateway"));
        in.room = room.id;
        in.user = p.user;
        if (i % 7 == 6) {
            in.type = in.gateway ? QStringLiteral("op 1") : QStringLiteral("pong");
            in.size = 24;
        } else {
            in.type = QStringLiteral("message");
            in.summary = lines.at(i % lines.size());
            in.size = int(in.summary.size()) + 60;
        }
        batch.events << in;
        if (in.type == QLatin1StringView("message")) {
            TrafficEvent out = in;
            out.incoming = false;
            out.timeMs += 1;
            out.size += 90;
            out.summary =
                QStringLiteral("#%1 to %2 members").arg(500 + i).arg(room.participants.size());
            batch.events << out;
        }
    }
    batch.skipped = 0;
    return batch;
}

QList<Ban> sampleBans(const ServerSnapshot &snapshot, qint64 nowMs)
{
    QList<Ban> bans;
    Ban spam;
    spam.id = 3;
    spam.room = snapshot.rooms.first().id;
    spam.user = sampleId(QStringLiteral("user:spammer"));
    spam.reason = QStringLiteral("posting links again and again");
    spam.bannedBy = QStringLiteral("console");
    spam.sinceMs = nowMs - 40 * 60 * 1000;
    spam.hits = 4;
    bans << spam;
    Ban timeout = spam;
    timeout.id = 5;
    timeout.user = snapshot.rooms.first().participants.at(4).user;
    timeout.reason = QStringLiteral("cool down");
    timeout.bannedBy =
        snapshot.rooms.first().participants.first().user.toString(QUuid::WithoutBraces);
    timeout.sinceMs = nowMs - 5 * 60 * 1000;
    timeout.untilMs = nowMs + 5 * 60 * 1000;
    timeout.hits = 1;
    bans << timeout;
    Ban address;
    address.id = 7;
    address.address = QHostAddress(QStringLiteral("192.168.1.0"));
    address.prefixLength = 28;
    address.reason = QStringLiteral("unknown devices");
    address.bannedBy = QStringLiteral("console");
    address.sinceMs = nowMs - 90 * 60 * 1000;
    address.hits = 12;
    bans << address;
    return bans;
}

QList<AuditEntry> sampleAudit(const ServerSnapshot &snapshot, qint64 nowMs)
{
    const RoomSnapshot &room = snapshot.rooms.first();
    const QString teacher = room.participants.first().user.toString(QUuid::WithoutBraces);
    return {
        {1, nowMs - 90 * 60000, QStringLiteral("console"), QStringLiteral("ban-address"), QUuid(),
         QStringLiteral("192.168.1.0/28"), QStringLiteral("unknown devices")},
        {2, nowMs - 60 * 60000, QStringLiteral("console"), QStringLiteral("create"), room.id,
         QString(), QStringLiteral("Physics 101")},
        {3, nowMs - 58 * 60000, QStringLiteral("console"), QStringLiteral("update"), room.id,
         QString(), QStringLiteral("max=40")},
        {4, nowMs - 40 * 60000, QStringLiteral("console"), QStringLiteral("ban"), room.id,
         sampleId(QStringLiteral("user:spammer")).toString(QUuid::WithoutBraces),
         QStringLiteral("posting links again and again")},
        {5, nowMs - 5 * 60000, teacher, QStringLiteral("ban"), room.id,
         room.participants.at(4).user.toString(QUuid::WithoutBraces),
         QStringLiteral("cool down, 10m")},
        {6, nowMs - 2 * 60000, QStringLiteral("console"), QStringLiteral("update"),
         snapshot.rooms.at(2).id, QString(), QStringLiteral("closed=true chatLocked=true")},
    };
}

QList<ServerStats> sampleStatsSeries(int seconds)
{
    QList<ServerStats> series;
    ServerStats s;
    for (int t = 0; t < seconds; ++t) {
        // A lesson: a burst of questions every couple of minutes, people trickling in.
        const double wave = 0.5 + 0.5 * std::sin(t / 23.0) * std::sin(t / 71.0);
        const auto in = quint64(4 + 14 * wave);
        s.framesIn += in;
        s.framesOut += in * 9;
        s.messagesPosted += in / 2;
        s.connections = qMin(19, 6 + t / 18);
        s.roomConnections = s.connections - 3;
        s.gatewayConnections = 3;
        s.rooms = 4;
        s.bytesIn += in * 120;
        s.bytesOut += in * 9 * 180;
        s.rateLimited = t > 200 ? 3 : 0;
        series << s;
    }
    return series;
}

} // namespace roomkeeper::test
