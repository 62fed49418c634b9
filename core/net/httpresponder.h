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
                               bool headOnly = false);
};

} // namespace roomkeeper
