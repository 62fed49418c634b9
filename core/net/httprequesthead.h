#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>

#include <optional>

namespace roomkeeper {

// The head of an HTTP/1.1 request, as far as the listener needs it to route the request:
// HTTP answers, or a WebSocket upgrade handed on to Qt.
struct HttpRequestHead
{
    QByteArray method;
    QByteArray target; // path and query, as sent
    QByteArray path;   // without the query
    QList<QPair<QByteArray, QByteArray>> headers;

    QByteArray header(const QByteArray &lowerCaseName) const;
    bool isWebSocketUpgrade() const;

    // Parses a complete head (up to and including the blank line). Empty on garbage.
    static std::optional<HttpRequestHead> parse(const QByteArray &head);
};

} // namespace roomkeeper
