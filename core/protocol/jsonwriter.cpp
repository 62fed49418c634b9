#include "jsonwriter.h"

namespace roomkeeper {

JsonObjectWriter::JsonObjectWriter(qsizetype reserve)
{
    m_out.reserve(reserve);
    m_out.append('{');
}

void JsonObjectWriter::appendKey(QByteArrayView key)
{
    if (m_out.size() > 1)
        m_out.append(',');
    m_out.append('"');
    m_out.append(key);
    m_out.append("\":", 2);
}

JsonObjectWriter &JsonObjectWriter::add(QByteArrayView key, QStringView value)
{
    appendKey(key);
    appendString(m_out, value);
    return *this;
}

JsonObjectWriter &JsonObjectWriter::add(QByteArrayView key, qint64 value)
{
    appendKey(key);
    m_out.append(QByteArray::number(value));
    return *this;
}

JsonObjectWriter &JsonObjectWriter::addBool(QByteArrayView key, bool value)
{
    appendKey(key);
    m_out.append(value ? QByteArrayView("true") : QByteArrayView("false"));
    return *this;
}

JsonObjectWriter &JsonObjectWriter::addId(QByteArrayView key, const QUuid &value)
{
    appendKey(key);
    m_out.append('"');
    m_out.append(value.toByteArray(QUuid::WithoutBraces));
    m_out.append('"');
    return *this;
}

JsonObjectWriter &JsonObjectWriter::addRaw(QByteArrayView key, QByteArrayView json)
{
    appendKey(key);
    m_out.append(json);
    return *this;
}

QByteArray JsonObjectWriter::take()
{
    m_out.append('}');
    QByteArray out = std::move(m_out);
    m_out = QByteArray();
    return out;
}

void JsonObjectWriter::appendString(QByteArray &out, QStringView text)
{
    static constexpr char Hex[] = "0123456789abcdef";
    // Lone surrogates become U+FFFD here, so the frame is always valid UTF-8.
    const QByteArray utf8 = text.toUtf8();
    out.reserve(out.size() + utf8.size() + 2);
    out.append('"');
    const char *p = utf8.constData();
    const char *const end = p + utf8.size();
    const char *run = p; // start of the bytes that need no escape
    for (; p != end; ++p) {
        const auto c = quint8(*p);
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        out.append(run, p - run);
        run = p + 1;
        switch (c) {
        case '"':
            out.append("\\\"", 2);
            break;
        case '\\':
            out.append("\\\\", 2);
            break;
        case '\n':
            out.append("\\n", 2);
            break;
        case '\r':
            out.append("\\r", 2);
            break;
        case '\t':
            out.append("\\t", 2);
            break;
        case '\b':
            out.append("\\b", 2);
            break;
        case '\f':
            out.append("\\f", 2);
            break;
        default: {
            const char escaped[6] = {'\\', 'u', '0', '0', Hex[c >> 4], Hex[c & 0xf]};
            out.append(escaped, 6);
        }
        }
    }
    out.append(run, end - run);
    out.append('"');
}

} // namespace roomkeeper
