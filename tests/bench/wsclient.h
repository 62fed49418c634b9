#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace roomkeeper::bench {

class Poller;

// A minimal RFC 6455 client on a non-blocking socket, driven by a Poller: handshake
// (checks the 101 and Sec-WebSocket-Accept), masked text frames out, unmasked frames in
// (fragments joined, pings answered, close echoed). No TLS, no extensions. Frames are
// handed to the Handler straight from the read buffer, so receiving costs no allocation.
class WsClient
{
public:
    enum class State
    {
        Idle,
        Connecting,
        Handshaking,
        Open,
        Closed
    };

    class Handler
    {
    public:
        virtual ~Handler() = default;
        virtual void opened(WsClient &client) = 0;
        virtual void textReceived(WsClient &client, std::string_view text) = 0;
        // 'code' is the peer's close code, or 0 when the connection failed or just ended.
        virtual void closed(WsClient &client, int code, std::string_view reason) = 0;
    };

    WsClient(Poller &poller, Handler &handler, int index);
    ~WsClient();
    WsClient(const WsClient &) = delete;
    WsClient &operator=(const WsClient &) = delete;

    // Starts a non-blocking connect and the upgrade to 'target' (path and query).
    bool open(const sockaddr_in &server, const std::string &host, const std::string &target);
    void handleEvents(std::uint32_t events);
    // Queues one masked text frame; false when not open.
    bool sendText(std::string_view text);
    // Sends a close frame (1000) and drops the socket without waiting.
    void close();

    State state() const { return m_state; }
    bool isOpen() const { return m_state == State::Open; }
    int index() const { return m_index; }
    // When the bytes being handed to the Handler were read (monotonic ns).
    std::int64_t readNs() const { return m_readNs; }
    const std::string &failure() const { return m_failure; }
    std::size_t pendingOutput() const { return m_out.size(); }
    // Diagnostic: re-arm TCP_QUICKACK after every read, so this end acknowledges at once
    // and a sender using Nagle's algorithm never waits for a delayed ACK.
    void setQuickAck(bool on) { m_quickAck = on; }

private:
    void readable();
    void writable();
    std::size_t consume(const char *data, std::size_t size);
    std::size_t consumeHead(const char *data, std::size_t size);
    void frameReceived(int opcode, bool fin, const char *payload, std::size_t size);
    void sendFrame(int opcode, const char *payload, std::size_t size);
    void writeOut(const char *data, std::size_t size);
    void updateInterest();
    void finish(int code, std::string_view reason, const std::string &failure);

    Poller &m_poller;
    Handler &m_handler;
    int m_index;
    int m_fd = -1;
    State m_state = State::Idle;
    bool m_wantWrite = false;
    bool m_quickAck = false;
    std::int64_t m_readNs = 0;
    std::string m_request;
    std::string m_expectedAccept;
    std::string m_pending;  // bytes of an incomplete head or frame
    std::string m_fragment; // a fragmented message being joined
    std::string m_out;      // bytes the socket did not take yet
    std::string m_failure;
};

} // namespace roomkeeper::bench
