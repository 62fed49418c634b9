#include "wsclient.h"

#include "monotonic.h"
#include "poller.h"

#include <QByteArray>
#include <QCryptographicHash>

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

namespace roomkeeper::bench {

namespace {

constexpr std::size_t ScratchSize = 256 * 1024;
constexpr std::size_t MaxHeadBytes = 16 * 1024;
constexpr int ReadsPerEvent = 4;

enum Opcode
{
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA
};

char *scratch()
{
    static std::vector<char> buffer(ScratchSize);
    return buffer.data();
}

std::uint64_t nextRandom()
{
    // xorshift64*: masks and handshake nonces only need to vary, not to be secret.
    static std::uint64_t state = std::uint64_t(monotonicNs()) | 1;
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1DULL;
}

bool startsWithNoCase(std::string_view text, std::string_view prefix)
{
    if (text.size() < prefix.size())
        return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        const auto a = char(std::tolower(static_cast<unsigned char>(text[i])));
        const auto b = char(std::tolower(static_cast<unsigned char>(prefix[i])));
        if (a != b)
            return false;
    }
    return true;
}

// The value of header 'name' in an HTTP head, or an empty view.
std::string_view headerValue(std::string_view head, std::string_view name)
{
    std::size_t pos = head.find("\r\n");
    while (pos != std::string_view::npos && pos + 2 < head.size()) {
        const std::size_t start = pos + 2;
        const std::size_t end = head.find("\r\n", start);
        const std::string_view line =
            head.substr(start, end == std::string_view::npos ? head.size() - start : end - start);
        if (startsWithNoCase(line, name) && line.size() > name.size() && line[name.size()] == ':') {
            std::string_view value = line.substr(name.size() + 1);
            while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
                value.remove_prefix(1);
            while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
                value.remove_suffix(1);
            return value;
        }
        pos = end;
    }
    return {};
}

} // namespace

WsClient::WsClient(Poller &poller, Handler &handler, int index)
    : m_poller(poller), m_handler(handler), m_index(index)
{}

WsClient::~WsClient()
{
    if (m_fd >= 0) {
        m_poller.remove(m_fd);
        ::close(m_fd);
    }
}

bool WsClient::open(const sockaddr_in &server, const std::string &host, const std::string &target)
{
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m_fd < 0) {
        finish(0, {}, std::string("socket: ") + std::strerror(errno));
        return false;
    }
    const int one = 1;
    setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    char nonce[16];
    for (int i = 0; i < 16; i += 8) {
        const std::uint64_t r = nextRandom();
        std::memcpy(nonce + i, &r, 8);
    }
    const QByteArray key = QByteArray(nonce, sizeof nonce).toBase64();
    QByteArray accept = key;
    accept.append("258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    m_expectedAccept =
        QCryptographicHash::hash(accept, QCryptographicHash::Sha1).toBase64().toStdString();
    m_request =
        "GET " + target + " HTTP/1.1\r\nHost: " + host +
        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key.toStdString() +
        "\r\nSec-WebSocket-Version: 13\r\n\r\n";

    m_state = State::Connecting;
    m_wantWrite = true;
    if (!m_poller.add(m_fd, this, EPOLLIN | EPOLLOUT | EPOLLRDHUP)) {
        finish(0, {}, std::string("epoll: ") + std::strerror(errno));
        return false;
    }
    if (::connect(m_fd, reinterpret_cast<const sockaddr *>(&server), sizeof server) < 0 &&
        errno != EINPROGRESS) {
        finish(0, {}, std::string("connect: ") + std::strerror(errno));
        return false;
    }
    return true;
}

void WsClient::handleEvents(std::uint32_t events)
{
    if (m_state == State::Closed)
        return;
    if (m_state == State::Connecting) {
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return;
        int error = 0;
        socklen_t length = sizeof error;
        getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error != 0) {
            finish(0, {}, std::string("connect: ") + std::strerror(error));
            return;
        }
        m_state = State::Handshaking;
        const std::string request = std::move(m_request);
        m_request = std::string();
        writeOut(request.data(), request.size());
        updateInterest();
        return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP))
        readable();
    if (m_state != State::Closed && (events & EPOLLOUT))
        writable();
}

void WsClient::readable()
{
    for (int round = 0; round < ReadsPerEvent; ++round) {
        char *buffer = scratch();
        const ssize_t n = ::read(m_fd, buffer, ScratchSize);
        if (n == 0) {
            finish(0, {}, m_state == State::Handshaking ? "closed during the handshake" : "");
            return;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                finish(0, {}, std::string("read: ") + std::strerror(errno));
            return;
        }
        m_readNs = monotonicNs();
        if (m_quickAck) {
            const int one = 1;
            setsockopt(m_fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        }
        const auto size = std::size_t(n);
        if (m_pending.empty()) {
            const std::size_t used = consume(buffer, size);
            if (m_state == State::Closed)
                break;
            if (used < size)
                m_pending.assign(buffer + used, size - used);
        } else {
            m_pending.append(buffer, size);
            const std::size_t used = consume(m_pending.data(), m_pending.size());
            if (m_state == State::Closed)
                break;
            m_pending.erase(0, used);
        }
        if (size < ScratchSize)
            return;
    }
    if (m_state == State::Closed) // a handler may close us while we read our own buffer
        m_pending = std::string();
}

std::size_t WsClient::consume(const char *data, std::size_t size)
{
    std::size_t pos = 0;
    if (m_state == State::Handshaking) {
        pos = consumeHead(data, size);
        if (m_state != State::Open)
            return pos;
    }
    while (m_state == State::Open && size - pos >= 2) {
        const auto *p = reinterpret_cast<const unsigned char *>(data + pos);
        const bool fin = p[0] & 0x80;
        const int opcode = p[0] & 0x0F;
        if (p[1] & 0x80) {
            finish(0, {}, "the server sent a masked frame");
            return pos;
        }
        std::uint64_t length = p[1] & 0x7F;
        std::size_t header = 2;
        if (length == 126) {
            if (size - pos < 4)
                break;
            length = (std::uint64_t(p[2]) << 8) | p[3];
            header = 4;
        } else if (length == 127) {
            if (size - pos < 10)
                break;
            length = 0;
            for (int i = 0; i < 8; ++i)
                length = (length << 8) | p[2 + i];
            header = 10;
        }
        if (length > (std::uint64_t(1) << 30)) {
            finish(0, {}, "frame too large");
            return pos;
        }
        if (size - pos < header + length)
            break;
        frameReceived(opcode, fin, data + pos + header, std::size_t(length));
        pos += header + std::size_t(length);
    }
    return pos;
}

std::size_t WsClient::consumeHead(const char *data, std::size_t size)
{
    const std::string_view view(data, size);
    const std::size_t end = view.find("\r\n\r\n");
    if (end == std::string_view::npos) {
        if (size > MaxHeadBytes)
            finish(0, {}, "handshake answer too long");
        return 0;
    }
    const std::string_view head = view.substr(0, end + 2);
    const std::size_t lineEnd = head.find("\r\n");
    const std::string_view status = head.substr(0, lineEnd);
    if (status.size() < 12 || status.substr(9, 3) != "101") {
        finish(0, {}, "upgrade refused: " + std::string(status));
        return 0;
    }
    if (headerValue(head, "Sec-WebSocket-Accept") != m_expectedAccept) {
        finish(0, {}, "wrong Sec-WebSocket-Accept");
        return 0;
    }
    m_state = State::Open;
    m_expectedAccept = std::string();
    m_handler.opened(*this);
    return end + 4;
}

void WsClient::frameReceived(int opcode, bool fin, const char *payload, std::size_t size)
{
    switch (opcode) {
    case Text:
    case Binary:
        if (!m_fragment.empty()) {
            finish(0, {}, "a new message inside a fragmented one");
            return;
        }
        if (fin) {
            if (opcode == Text)
                m_handler.textReceived(*this, std::string_view(payload, size));
            return;
        }
        // The first byte remembers the kind of message being joined.
        m_fragment.assign(1, char(opcode));
        m_fragment.append(payload, size);
        return;
    case Continuation:
        if (m_fragment.empty())
            return;
        m_fragment.append(payload, size);
        if (fin) {
            const bool text = m_fragment[0] == char(Text);
            std::string whole;
            whole.swap(m_fragment);
            if (text)
                m_handler.textReceived(*this, std::string_view(whole.data() + 1, whole.size() - 1));
        }
        return;
    case Ping:
        sendFrame(Pong, payload, size);
        return;
    case Pong:
        return;
    case Close: {
        int code = 1005;
        std::string_view reason;
        if (size >= 2) {
            const auto *p = reinterpret_cast<const unsigned char *>(payload);
            code = (p[0] << 8) | p[1];
            reason = std::string_view(payload + 2, size - 2);
        }
        const std::string kept(reason);
        sendFrame(Close, payload, std::min<std::size_t>(size, 2));
        finish(code, kept, {});
        return;
    }
    default:
        finish(0, {}, "unknown opcode");
        return;
    }
}

bool WsClient::sendText(std::string_view text)
{
    if (m_state != State::Open)
        return false;
    sendFrame(Text, text.data(), text.size());
    return m_state == State::Open;
}

void WsClient::close()
{
    if (m_state == State::Open) {
        const char code[2] = {char(0x03), char(0xE8)}; // 1000
        sendFrame(Close, code, sizeof code);
    }
    if (m_fd >= 0) {
        m_poller.remove(m_fd);
        ::close(m_fd);
        m_fd = -1;
    }
    m_state = State::Closed;
    m_out = std::string();
}

void WsClient::sendFrame(int opcode, const char *payload, std::size_t size)
{
    static std::string frame;
    frame.resize(14 + size);
    auto *p = reinterpret_cast<unsigned char *>(frame.data());
    std::size_t header = 2;
    p[0] = static_cast<unsigned char>(0x80 | opcode);
    if (size < 126) {
        p[1] = static_cast<unsigned char>(0x80 | size);
    } else if (size <= 0xFFFF) {
        p[1] = 0x80 | 126;
        p[2] = static_cast<unsigned char>(size >> 8);
        p[3] = static_cast<unsigned char>(size);
        header = 4;
    } else {
        p[1] = 0x80 | 127;
        for (int i = 0; i < 8; ++i)
            p[2 + i] = static_cast<unsigned char>(std::uint64_t(size) >> (56 - 8 * i));
        header = 10;
    }
    const auto mask = std::uint32_t(nextRandom());
    unsigned char key[4];
    std::memcpy(key, &mask, 4);
    std::memcpy(p + header, key, 4);
    header += 4;
    const auto *in = reinterpret_cast<const unsigned char *>(payload);
    for (std::size_t i = 0; i < size; ++i)
        p[header + i] = in[i] ^ key[i & 3];
    writeOut(frame.data(), header + size);
}

void WsClient::writeOut(const char *data, std::size_t size)
{
    if (m_fd < 0)
        return;
    if (!m_out.empty()) {
        m_out.append(data, size);
        return;
    }
    ssize_t written = ::send(m_fd, data, size, MSG_NOSIGNAL);
    if (written < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            finish(0, {}, std::string("send: ") + std::strerror(errno));
            return;
        }
        written = 0;
    }
    if (std::size_t(written) < size) {
        m_out.append(data + written, size - std::size_t(written));
        updateInterest();
    }
}

void WsClient::writable()
{
    while (!m_out.empty()) {
        const ssize_t written = ::send(m_fd, m_out.data(), m_out.size(), MSG_NOSIGNAL);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                finish(0, {}, std::string("send: ") + std::strerror(errno));
            break;
        }
        m_out.erase(0, std::size_t(written));
    }
    updateInterest();
}

void WsClient::updateInterest()
{
    if (m_fd < 0)
        return;
    const bool want = !m_out.empty();
    if (want == m_wantWrite)
        return;
    m_wantWrite = want;
    m_poller.modify(m_fd, this, EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0u));
}

void WsClient::finish(int code, std::string_view reason, const std::string &failure)
{
    if (m_state == State::Closed)
        return;
    m_failure = failure;
    if (m_fd >= 0) {
        m_poller.remove(m_fd);
        ::close(m_fd);
        m_fd = -1;
    }
    m_state = State::Closed;
    m_out = std::string();
    m_handler.closed(*this, code, reason);
}

} // namespace roomkeeper::bench
