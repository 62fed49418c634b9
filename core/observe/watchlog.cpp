#include "watchlog.h"

#include "../domain/textrules.h"
#include "../domain/userdirectory.h"

#include <QDateTime>
#include <QStringList>

namespace roomkeeper {

void WatchLog::note(const QString &what, const QUuid &room, const QUuid &user,
                    const QString &detail)
{
    if (!m_watching)
        return;
    const User *who = m_users.find(user);
    QStringList fields{QDateTime::currentDateTime().toString(Qt::ISODate), what,
                       room.isNull() ? QStringLiteral("-") : room.toString(QUuid::WithoutBraces),
                       user.isNull() ? QStringLiteral("-") : user.toString(QUuid::WithoutBraces),
                       who ? textrules::printable(who->name, 32) : QStringLiteral("-")};
    if (!detail.isEmpty())
        fields.append(textrules::printable(detail, 80));
    m_emit(QStringLiteral("watch\t") + fields.join(QLatin1Char('\t')));
}

void WatchLog::participantEntered(const Room &room, const User &user)
{
    note(QStringLiteral("enter"), room.id(), user.id);
}

void WatchLog::participantExited(const Room &room, const QUuid &user, ExitReason)
{
    note(QStringLiteral("exit"), room.id(), user);
}

void WatchLog::participantKicked(const Room &room, const QUuid &user, const QList<MemberId> &,
                                 const QString &message, bool banned)
{
    note(banned ? QStringLiteral("ban") : QStringLiteral("kick"), room.id(), user, message);
}

} // namespace roomkeeper
