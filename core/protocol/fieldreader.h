#pragma once

#include "../domain/errorcode.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QLatin1StringView>
#include <QString>
#include <QUuid>

#include <optional>

namespace roomkeeper {

// Reads typed fields from a JSON object for the codecs. The first problem is kept
// (missing_field for an absent required field, bad_field for a wrong type or range) and
// every later read becomes a no-op, so a codec reads all fields and checks once.
class FieldReader
{
public:
    // Integers in JSON are doubles; beyond 2^53 they are no longer exact.
    static constexpr qint64 MaxExactInteger = (qint64(1) << 53);

    explicit FieldReader(const QJsonObject &object) : m_object(object) {}

    bool has(QLatin1StringView key) const { return m_object.contains(key); }
    QJsonValue value(QLatin1StringView key) const { return m_object.value(key); }
    QString string(QLatin1StringView key);
    std::optional<QString> optionalString(QLatin1StringView key);
    QUuid uuid(QLatin1StringView key);
    std::optional<QUuid> optionalUuid(QLatin1StringView key);
    bool boolean(QLatin1StringView key, bool fallback);
    std::optional<bool> optionalBoolean(QLatin1StringView key);
    qint64 integer(QLatin1StringView key, qint64 min, qint64 max);
    std::optional<qint64> optionalInteger(QLatin1StringView key, qint64 min, qint64 max);
    double number(QLatin1StringView key);

    bool failed() const { return m_refusal.has_value(); }
    const std::optional<Refusal> &refusal() const { return m_refusal; }

private:
    bool present(QLatin1StringView key, bool required);
    void fail(ErrorCode code, const QString &message);

    const QJsonObject &m_object;
    std::optional<Refusal> m_refusal;
};

// Parses a UUID as the protocols write it: 36 characters, no braces.
std::optional<QUuid> parseUuid(const QString &text);

} // namespace roomkeeper
