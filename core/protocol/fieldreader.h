#pragma once

#include "../domain/errorcode.h"

#include <QByteArrayView>
#include <QJsonObject>
#include <QJsonValue>
#include <QLatin1StringView>
#include <QString>
#include <QUuid>

#include <limits>
#include <optional>

namespace roomkeeper {

// Reads typed fields from a JSON object for the codecs. The first problem is kept
// (missing_field for an absent required field, bad_field for a wrong type or range) and
// every later read becomes a no-op, so a codec reads all fields and checks once.
class FieldReader
{
public:
    // The largest integer that every JSON reader holds exactly (JavaScript's
    // Number.MAX_SAFE_INTEGER). 2^53 itself is not: 2^53 + 1 reads as 2^53.
    static constexpr qint64 MaxExactInteger = (qint64(1) << 53) - 1;

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
    // A finite number no further from 0 than 'maxMagnitude'.
    double number(QLatin1StringView key, double maxMagnitude = std::numeric_limits<double>::max());

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

// The name/value pairs of every object in a JSON text, nested ones included: its ':'
// outside strings. One pass, no allocation; any bytes are safe to give it.
qsizetype countObjectMembers(QByteArrayView json);

// The members of 'object' and of every object nested in it.
qsizetype countObjectMembers(const QJsonObject &object);

// QJsonDocument keeps only the last of two equal keys in one object, so a frame could say
// one thing to us and another to a reader that keeps the first. 'object' is what 'json'
// parsed to; when the text wrote more members than the object holds, some object named a
// key twice: bad_json.
std::optional<Refusal> duplicateKeyRefusal(QByteArrayView json, const QJsonObject &object);

} // namespace roomkeeper
