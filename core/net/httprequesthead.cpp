#include "httprequesthead.h"

namespace roomkeeper {

QByteArray HttpRequestHead::header(const QByteArray &lowerCaseName) const
{
    for (const auto &[name, value] : headers) {
        if (name == lowerCaseName)
            return value;
    }
    return QByteArray();
}

bool HttpRequestHead::isWebSocketUpgrade() const
{
    return header("upgrade").toLower().contains("websocket");
}

std::optional<HttpRequestHead> HttpRequestHead::parse(const QByteArray &head)
{
    const QList<QByteArray> lines = head.split('\n');
    if (lines.isEmpty())
        return std::nullopt;
    const QList<QByteArray> requestLine = lines.first().trimmed().split(' ');
    if (requestLine.size() != 3 || !requestLine.at(2).startsWith("HTTP/1."))
        return std::nullopt;
    HttpRequestHead result;
    result.method = requestLine.at(0);
    result.target = requestLine.at(1);
    if (!result.target.startsWith('/'))
        return std::nullopt;
    const qsizetype query = result.target.indexOf('?');
    result.path = query < 0 ? result.target : result.target.left(query);
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        if (line.isEmpty())
            break;
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            return std::nullopt;
        result.headers.append(
            {line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed()});
    }
    return result;
}

} // namespace roomkeeper
