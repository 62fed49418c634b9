#pragma once

#include "httprequesthead.h"

#include <QByteArray>
#include <QString>

namespace roomkeeper {

// Answers the plain HTTP requests on the WebSocket port: the browser client's files
// (from Qt resources under :/web), /healthz, and 404 for anything else.
class HttpResponder
{
public:
    static QByteArray respond(const HttpRequestHead &request);
    // A complete response with 'Connection: close'.
    static QByteArray response(int status, const QByteArray &contentType, const QByteArray &body,
                               bool headOnly = false, const QByteArray &extraHeaders = {});
    // The 400 or 426 answer to a WebSocket upgrade that Qt would refuse without a word or
    // with a bare status (RFC 6455 §4.2.1: GET, Upgrade, Connection, version 13, a key of
    // 16 bytes in base64); empty when the request may go to QWebSocketServer.
    static QByteArray upgradeRefusal(const HttpRequestHead &request);
};

} // namespace roomkeeper
