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

} // namespace

QByteArray HttpResponder::response(int status, const QByteArray &contentType,
                                   const QByteArray &body, bool headOnly)
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) +
                     "\r\nContent-Type: " + contentType +
                     "\r\nContent-Length: " + QByteArray::number(body.size()) +
                     "\r\nCache-Control: no-store"
                     "\r\nX-Content-Type-Options: nosniff"
                     "\r\nConnection: close\r\n\r\n";
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

} // namespace roomkeeper
