#include "userdirectory.h"

#include "textrules.h"

#include <QCryptographicHash>
#include <QRandomGenerator>

#include <array>

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
            if (!name.isEmpty())
                user.name = name;
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
    m_users.insert(user.id, user);
    m_byTokenDigest.insert(tokenDigest(QString::fromLatin1(newToken)), user.id);
    return Identity{user, newToken, false};
}

const User *UserDirectory::find(const QUuid &id) const
{
    const auto it = m_users.constFind(id);
    return it == m_users.cend() ? nullptr : &*it;
}

} // namespace roomkeeper
