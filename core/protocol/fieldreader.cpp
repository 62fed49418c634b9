#include "fieldreader.h"

#include <QJsonArray>
#include <QJsonValue>

#include <cmath>
#include <cstring>

namespace roomkeeper {

namespace {

// Members of the objects inside one value (a QJsonValue or a reference into a container).
template <typename Value> qsizetype membersInside(const Value &value)
{
    switch (value.type()) {
    case QJsonValue::Object:
        return countObjectMembers(value.toObject());
    case QJsonValue::Array: {
        qsizetype members = 0;
        const QJsonArray array = value.toArray();
        for (auto it = array.constBegin(); it != array.constEnd(); ++it)
            members += membersInside(*it);
        return members;
    }
    default:
        return 0;
    }
}

} // namespace

qsizetype countObjectMembers(QByteArrayView json)
{
    const char *p = json.data();
    const char *const end = p + json.size();
    qsizetype members = 0;
    while (p < end) {
        const char c = *p++;
        if (c == ':') {
            ++members;
        } else if (c == '"') {
            // A string ends at the first quote after an even run of backslashes (\\ is one
            // backslash, \" a quote). Each run is looked at once: linear in the text.
            const char *const start = p;
            for (;;) {
                const auto *quote = static_cast<const char *>(std::memchr(p, '"', size_t(end - p)));
                if (!quote)
                    return members; // unterminated: what follows is inside the string
                const char *run = quote;
                while (run > start && run[-1] == '\\')
                    --run;
                p = quote + 1;
                if ((quote - run) % 2 == 0)
                    break;
            }
        }
    }
    return members;
}

qsizetype countObjectMembers(const QJsonObject &object)
{
    qsizetype members = object.size();
    for (auto it = object.constBegin(); it != object.constEnd(); ++it)
        members += membersInside(it.value());
    return members;
}

std::optional<Refusal> duplicateKeyRefusal(QByteArrayView json, const QJsonObject &object)
{
    const qsizetype written = countObjectMembers(json);
    // A flat object with distinct keys, the usual frame, is settled without a walk.
    if (written <= object.size() || countObjectMembers(object) >= written)
        return std::nullopt;
    return refuse(ErrorCode::BadJson, QStringLiteral("a key appears twice in one JSON object"));
}

std::optional<QUuid> parseUuid(const QString &text)
{
    if (text.size() != 36)
        return std::nullopt;
    const QUuid id = QUuid::fromString(text);
    if (id.isNull())
        return std::nullopt;
    return id;
}

void FieldReader::fail(ErrorCode code, const QString &message)
{
    if (!m_refusal)
        m_refusal = Refusal{code, message};
}

bool FieldReader::present(QLatin1StringView key, bool required)
{
    if (m_refusal)
        return false;
    if (m_object.contains(key))
        return true;
    if (required)
        fail(ErrorCode::MissingField, QStringLiteral("missing field '%1'").arg(key));
    return false;
}

QString FieldReader::string(QLatin1StringView key)
{
    if (!present(key, true))
        return QString();
    const QJsonValue value = m_object.value(key);
    if (!value.isString()) {
        fail(ErrorCode::BadField, QStringLiteral("'%1' must be a string").arg(key));
        return QString();
    }
    return value.toString();
}

std::optional<QString> FieldReader::optionalString(QLatin1StringView key)
{
    if (!present(key, false))
        return std::nullopt;
    const QString value = string(key);
    return failed() ? std::nullopt : std::optional<QString>(value);
}

QUuid FieldReader::uuid(QLatin1StringView key)
{
    const QString text = string(key);
    if (failed())
        return QUuid();
    const std::optional<QUuid> id = parseUuid(text);
    if (!id) {
        fail(ErrorCode::BadField, QStringLiteral("'%1' must be a UUID").arg(key));
        return QUuid();
    }
    return *id;
}

std::optional<QUuid> FieldReader::optionalUuid(QLatin1StringView key)
{
    if (!present(key, false))
        return std::nullopt;
    const QUuid id = uuid(key);
    return failed() ? std::nullopt : std::optional<QUuid>(id);
}

std::optional<bool> FieldReader::optionalBoolean(QLatin1StringView key)
{
    if (!present(key, false))
        return std::nullopt;
    const QJsonValue value = m_object.value(key);
    if (!value.isBool()) {
        fail(ErrorCode::BadField, QStringLiteral("'%1' must be true or false").arg(key));
        return std::nullopt;
    }
    return value.toBool();
}

bool FieldReader::boolean(QLatin1StringView key, bool fallback)
{
    return optionalBoolean(key).value_or(fallback);
}

std::optional<qint64> FieldReader::optionalInteger(QLatin1StringView key, qint64 min, qint64 max)
{
    if (!present(key, false))
        return std::nullopt;
    return integer(key, min, max);
}

qint64 FieldReader::integer(QLatin1StringView key, qint64 min, qint64 max)
{
    if (!present(key, true))
        return 0;
    const QJsonValue value = m_object.value(key);
    const double d = value.toDouble(std::nan(""));
    if (!value.isDouble() || !std::isfinite(d) || std::trunc(d) != d ||
        std::fabs(d) > double(MaxExactInteger)) {
        fail(ErrorCode::BadField, QStringLiteral("'%1' must be an integer").arg(key));
        return 0;
    }
    const auto n = qint64(d);
    if (n < min || n > max) {
        fail(ErrorCode::BadField,
             QStringLiteral("'%1' must be between %2 and %3").arg(key).arg(min).arg(max));
        return 0;
    }
    return n;
}

double FieldReader::number(QLatin1StringView key, double maxMagnitude)
{
    if (!present(key, true))
        return 0;
    const QJsonValue value = m_object.value(key);
    if (!value.isDouble() || !std::isfinite(value.toDouble())) {
        fail(ErrorCode::BadField, QStringLiteral("'%1' must be a number").arg(key));
        return 0;
    }
    if (std::fabs(value.toDouble()) > maxMagnitude) {
        fail(ErrorCode::BadField, QStringLiteral("'%1' must be between -%2 and %2")
                                      .arg(key)
                                      .arg(maxMagnitude, 0, 'f', 0));
        return 0;
    }
    return value.toDouble();
}

} // namespace roomkeeper
