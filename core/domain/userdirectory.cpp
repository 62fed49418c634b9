#include "userdirectory.h"

#include "textrules.h"

#include <QCryptographicHash>
#include <QRandomGenerator>

#include <array>
#include <cctype>

namespace roomkeeper {

QByteArray randomSecret(int bits)
{
    QByteArray raw(bits / 8, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(raw.data()),
                                          raw.size() / int(sizeof(quint32)));
    return raw.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

bool equalSecrets(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

QByteArray UserDirectory::tokenDigest(const QString &token)
{
    return QCryptographicHash::hash(token.toUtf8(), QCryptographicHash::Sha256);
}

QString UserDirectory::acceptableName(const QString &requested)
{
    const QString trimmed = requested.trimmed();
    if (textrules::checkName(trimmed, textrules::MaxDisplayName) != textrules::Problem::None)
        return QString();
    return trimmed;
}

QString UserDirectory::colorFor(const QUuid &id)
{
    // A fixed palette that reads well on light and dark backgrounds.
    static constexpr std::array<const char *, 12> palette = {
        "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4",
        "#f032e6", "#469990", "#9a6324", "#800000", "#808000", "#000075"};
    return QString::fromLatin1(palette[qHash(id) % palette.size()]);
}

UserDirectory::Identity UserDirectory::identify(const QString &token, const QString &requestedName)
{
    const QString name = acceptableName(requestedName);
    if (!token.isEmpty() && token.size() <= 128) {
        const auto found = m_byTokenDigest.constFind(tokenDigest(token));
        if (found != m_byTokenDigest.cend()) {
            User &user = m_users[*found];
            if (!name.isEmpty() && name != user.name) {
                user.name = name;
                markChanged(user.id);
            }
            return Identity{user, token.toUtf8(), true};
        }
    }
    User user;
    user.id = QUuid::createUuid();
    user.name = name.isEmpty() ? QStringLiteral("guest-%1")
                                     .arg(QRandomGenerator::global()->bounded(0x10000), 4, 16,
                                          QLatin1Char('0'))
                               : name;
    user.color = colorFor(user.id);
    const QByteArray newToken = randomSecret(256);
    const QByteArray digest = tokenDigest(QString::fromLatin1(newToken));
    m_users.insert(user.id, user);
    m_byTokenDigest.insert(digest, user.id);
    m_digestOf.insert(user.id, digest);
    markChanged(user.id);
    return Identity{user, newToken, false};
}

const User *UserDirectory::find(const QUuid &id) const
{
    const auto it = m_users.constFind(id);
    return it == m_users.cend() ? nullptr : &*it;
}

} // namespace roomkeeper

namespace roomkeeper {

bool UserDirectory::isColor(const QString &color)
{
    if (color.size() != 7 || color.at(0) != QLatin1Char('#'))
        return false;
    for (qsizetype i = 1; i < color.size(); ++i) {
        if (!isxdigit(color.at(i).toLatin1()))
            return false;
    }
    return true;
}

bool UserDirectory::setColor(const QUuid &id, const QString &color)
{
    const auto it = m_users.find(id);
    if (it == m_users.end() || !isColor(color))
        return false;
    if (it->color != color.toLower()) {
        it->color = color.toLower();
        markChanged(id);
    }
    return true;
}

void UserDirectory::restore(const User &user, const QByteArray &tokenDigest)
{
    m_users.insert(user.id, user);
    m_byTokenDigest.insert(tokenDigest, user.id);
    m_digestOf.insert(user.id, tokenDigest);
}

void UserDirectory::markChanged(const QList<Changed> &changed)
{
    for (const Changed &c : changed)
        m_changed.insert(c.user.id);
}

QList<UserDirectory::Changed> UserDirectory::takeChanged()
{
    QList<Changed> result;
    result.reserve(m_changed.size());
    for (const QUuid &id : std::as_const(m_changed)) {
        const auto it = m_users.constFind(id);
        if (it != m_users.cend())
            result.append({*it, m_digestOf.value(id)});
    }
    m_changed.clear();
    return result;
}

} // namespace roomkeeper
