#include "httpresponder.h"

#include <QFile>
#include <QRegularExpression>

namespace roomkeeper {

namespace {

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 426:
        return "Upgrade Required";
    case 431:
        return "Request Header Fields Too Large";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

QByteArray contentTypeFor(const QString &fileName)
{
    if (fileName.endsWith(QLatin1StringView(".html")))
        return "text/html; charset=utf-8";
    if (fileName.endsWith(QLatin1StringView(".js")))
        return "text/javascript; charset=utf-8";
    if (fileName.endsWith(QLatin1StringView(".css")))
        return "text/css; charset=utf-8";
    if (fileName.endsWith(QLatin1StringView(".svg")))
        return "image/svg+xml";
    if (fileName.endsWith(QLatin1StringView(".png")))
        return "image/png";
    return "application/octet-stream";
}

// Whether a comma-separated header (all its occurrences) holds 'token', ignoring case.
bool headerHasToken(const HttpRequestHead &head, const QByteArray &name, QByteArrayView token)
{
    for (const auto &[headerName, value] : head.headers) {
        if (headerName != name)
            continue;
        const QList<QByteArray> items = value.split(',');
        for (const QByteArray &item : items) {
            if (item.trimmed().compare(token, Qt::CaseInsensitive) == 0)
                return true;
        }
    }
    return false;
}

bool isValidKey(const QByteArray &key)
{
    if (key.size() != 24)
        return false;
    const QByteArray::FromBase64Result decoded =
        QByteArray::fromBase64Encoding(key, QByteArray::AbortOnBase64DecodingErrors);
    return decoded.decodingStatus == QByteArray::Base64DecodingStatus::Ok &&
           decoded.decoded.size() == 16;
}

QByteArray badUpgrade(const QByteArray &why)
{
    return HttpResponder::response(400, "text/plain; charset=utf-8",
                                   "websocket upgrade refused: " + why + '\n');
}

} // namespace

QByteArray HttpResponder::response(int status, const QByteArray &contentType,
                                   const QByteArray &body, bool headOnly,
                                   const QByteArray &extraHeaders)
{
    // A 426 names the protocol to upgrade to, and then Connection must carry "upgrade".
    const QByteArray connection = extraHeaders.contains("Upgrade:") ? "upgrade, close" : "close";
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) +
                     "\r\nContent-Type: " + contentType +
                     "\r\nContent-Length: " + QByteArray::number(body.size()) +
                     "\r\nCache-Control: no-store"
                     "\r\nX-Content-Type-Options: nosniff\r\n" +
                     extraHeaders + "Connection: " + connection + "\r\n\r\n";
    if (!headOnly)
        out += body;
    return out;
}

QByteArray HttpResponder::respond(const HttpRequestHead &request)
{
    const bool head = request.method == "HEAD";
    if (request.method != "GET" && !head)
        return response(405, "text/plain; charset=utf-8", "method not allowed\n");
    if (request.path == "/healthz")
        return response(200, "text/plain; charset=utf-8", "ok\n", head);

    static const QRegularExpression fileName(QStringLiteral("^/([a-z0-9_-]+\\.[a-z]+)$"));
    const QString path = QString::fromLatin1(request.path == "/" ? "/index.html" : request.path);
    const QRegularExpressionMatch match = fileName.match(path);
    if (match.hasMatch()) {
        QFile file(QStringLiteral(":/web/") + match.captured(1));
        if (file.open(QIODevice::ReadOnly))
            return response(200, contentTypeFor(file.fileName()), file.readAll(), head);
    }
    return response(404, "text/plain; charset=utf-8", "not found\n", head);
}

QByteArray HttpResponder::upgradeRefusal(const HttpRequestHead &request)
{
    if (request.method != "GET")
        return badUpgrade("the method must be GET");
    if (!headerHasToken(request, "upgrade", "websocket"))
        return badUpgrade("no \"Upgrade: websocket\" header");
    if (!headerHasToken(request, "connection", "upgrade"))
        return badUpgrade("no \"upgrade\" in the Connection header");
    if (request.header("sec-websocket-version") != "13")
        return response(426, "text/plain; charset=utf-8",
                        "websocket upgrade refused: only Sec-WebSocket-Version 13 is supported\n",
                        false, "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n");
    if (!isValidKey(request.header("sec-websocket-key")))
        return badUpgrade("Sec-WebSocket-Key must be base64 of 16 bytes");
    return {};
}

} // namespace roomkeeper
