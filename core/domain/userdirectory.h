#pragma once

#include "user.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QSet>
#include <QString>
#include <QUuid>

namespace roomkeeper {

// Identities of the people connected during this run: token -> user.
// Tokens are never kept in clear: the directory holds their SHA-256, so a lookup never
// compares a secret byte by byte and a dump of the directory reveals no token.
class UserDirectory
{
public:
    struct Identity
    {
        User user;
        QByteArray token; // the secret to give back to the client
        bool resumed = false;
    };

    // A known token resumes its user (taking the new name if one is given); anything
    // else issues a new user and token. An invalid or empty name yields "guest-XXXX".
    Identity identify(const QString &token, const QString &requestedName);

    const User *find(const QUuid &id) const;
    // Changes a user's display colour ("#rrggbb"); false for an unknown user or bad colour.
    bool setColor(const QUuid &id, const QString &color);
    static bool isColor(const QString &color);

    // Lasting state: identities restored at start, and those changed since the last
    // takeChanged() (new users, new names, new colours) to be written out.
    void restore(const User &user, const QByteArray &tokenDigest);
    struct Changed
    {
        User user;
        QByteArray tokenDigest;
    };
    QList<Changed> takeChanged();
    // Taken changes that could not be written: they are taken again next time.
    void markChanged(const QList<Changed> &changed);
    bool contains(const QUuid &id) const { return m_users.contains(id); }
    const QHash<QUuid, User> &all() const { return m_users; }
    QByteArray tokenDigestOf(const QUuid &id) const { return m_digestOf.value(id); }
    qsizetype size() const { return m_users.size(); }

    // A valid display name (trimmed) or an empty string.
    static QString acceptableName(const QString &requested);
    static QString colorFor(const QUuid &id);

private:
    static QByteArray tokenDigest(const QString &token);
    void markChanged(const QUuid &id) { m_changed.insert(id); }

    QHash<QUuid, User> m_users;
    QHash<QByteArray, QUuid> m_byTokenDigest;
    QHash<QUuid, QByteArray> m_digestOf;
    QSet<QUuid> m_changed;
};

// Random secrets for keys and tokens: 'bits' random bits, URL-safe base64 without padding.
QByteArray randomSecret(int bits);

// Compares two secrets in time that depends only on their lengths.
bool equalSecrets(const QByteArray &a, const QByteArray &b);

} // namespace roomkeeper
