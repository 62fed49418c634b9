#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QStringView>
#include <QUuid>

namespace roomkeeper {

// Writes one flat JSON object straight into UTF-8, for the frames that go out most
// (messages and read receipts, once per broadcast). QJsonObject builds a CBOR container
// and then walks it to write; this appends to one buffer. Keys are the caller's literals
// and are written as they are; string values are escaped as RFC 8259 requires.
class JsonObjectWriter
{
public:
    explicit JsonObjectWriter(qsizetype reserve = 256);

    JsonObjectWriter &add(QByteArrayView key, QStringView value);
    JsonObjectWriter &add(QByteArrayView key, qint64 value);
    JsonObjectWriter &addBool(QByteArrayView key, bool value);
    // A UUID as its 36-character text without braces.
    JsonObjectWriter &addId(QByteArrayView key, const QUuid &value);
    // A value that is already JSON (a nested object the caller wrote).
    JsonObjectWriter &addRaw(QByteArrayView key, QByteArrayView json);

    // The object, closed. The writer is empty afterwards.
    QByteArray take();

    // Appends 'text' to 'out' as a quoted JSON string.
    static void appendString(QByteArray &out, QStringView text);

private:
    void appendKey(QByteArrayView key);

    QByteArray m_out;
};

} // namespace roomkeeper
