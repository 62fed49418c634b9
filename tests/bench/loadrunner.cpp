#include "loadrunner.h"

#include "monotonic.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace roomkeeper::bench {

namespace {

constexpr std::int64_t Ms = 1'000'000;
constexpr std::int64_t Second = 1'000'000'000;
constexpr std::int64_t HeartbeatSweepNs = 20 * Ms;
constexpr std::int64_t QuietNs = 300 * Ms;
constexpr int ErrorsShown = 5;

std::string fixed(double value, int decimals)
{
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

std::string millis(std::uint64_t micros)
{
    return fixed(double(micros) / 1000.0, 3);
}

const char *modeName(LoadOptions::Mode mode)
{
    switch (mode) {
    case LoadOptions::Mode::Fanout:
        return "fanout";
    case LoadOptions::Mode::Rate:
        return "rate";
    case LoadOptions::Mode::Idle:
        return "idle";
    case LoadOptions::Mode::Sink:
        return "sink";
    }
    return "?";
}

} // namespace

LoadRunner::LoadRunner(const LoadOptions &options)
    : m_options(options), m_serverProcess(options.serverPid), m_room(options.room)
{
    m_server.sin_family = AF_INET;
    m_server.sin_port = htons(std::uint16_t(options.port));
    m_hostHeader = options.host + ":" + std::to_string(options.port);
}

LoadRunner::~LoadRunner() = default;

LoadRunner::Member &LoadRunner::memberOf(const WsClient &client)
{
    return client.index() < 0 ? *m_control : *m_members[std::size_t(client.index())];
}

// ---- connections ------------------------------------------------------------------------

bool LoadRunner::startClient(Member &m, int index)
{
    m.ws = std::make_unique<WsClient>(m_poller, static_cast<WsClient::Handler &>(*this), index);
    m.ws->setQuickAck(m_options.quickAck);
    const std::string name = index < 0 ? std::string("control") : "m" + std::to_string(index);
    std::string target;
    if (m_options.mode == LoadOptions::Mode::Sink)
        target = m_options.path;
    else if (m.gateway)
        target = "/gateway?room=" + m_room + "&name=" + name;
    else
        target = "/ws?name=" + name;
    if (index >= 0) {
        ++m_started;
        ++m_inProgress;
    }
    return m.ws->open(m_server, m_hostHeader, target);
}

void LoadRunner::opened(WsClient &client)
{
    if (m_options.mode == LoadOptions::Mode::Sink)
        becameReady(memberOf(client), 0);
}

void LoadRunner::becameReady(Member &m, std::int64_t lastMessageId)
{
    if (m.ready)
        return;
    m.ready = true;
    m.check.start(lastMessageId + 1);
    if (m.role == Role::Control)
        return;
    --m_inProgress;
    ++m_ready;
    m_lastReadyNs = monotonicNs();
}

void LoadRunner::closed(WsClient &client, int code, std::string_view reason)
{
    Member &m = memberOf(client);
    if (!m.ready) {
        std::string why = client.failure();
        if (why.empty())
            why = "closed " + std::to_string(code) + " " + std::string(reason);
        ++m_failures[why];
        if (m.role != Role::Control) {
            m.failed = true;
            --m_inProgress;
            ++m_failed;
        }
        return;
    }
    if (m.role == Role::Control)
        return;
    m.dropped = true;
    m.inflight = 0;
    ++m_dropped;
    ++m_closeCodes[code];
    if (m_dropped <= ErrorsShown)
        std::fprintf(stderr, "roomkeeper-load: connection %d closed by the server: %d %.*s %s\n",
                     client.index(), code, int(reason.size()), reason.data(),
                     client.failure().c_str());
}

// ---- frames -----------------------------------------------------------------------------

void LoadRunner::textReceived(WsClient &client, std::string_view text)
{
    ++m_frames;
    m_lastFrameNs = client.readNs();
    Member &m = memberOf(client);
    if (m_options.mode == LoadOptions::Mode::Sink) {
        if (framepeek::roomMessage(text))
            ++m_deliveries;
        return;
    }
    if (m.gateway)
        gatewayFrame(m, text);
    else
        roomFrame(m, text);
}

void LoadRunner::roomFrame(Member &m, std::string_view text)
{
    if (const auto d = framepeek::roomMessage(text)) {
        delivered(m, *d);
        return;
    }
    const auto type = framepeek::stringField(text, "type", true);
    if (!type)
        return;
    if (*type == "ping") {
        const auto time = framepeek::numberField(text, "time");
        m.ws->sendText(R"({"type":"pong","time":)" + std::string(time.value_or("0")) + "}");
        ++m_pingsAnswered;
    } else if (*type == "session") {
        m.userId = framepeek::stringField(text, "user_id").value_or("");
        m.key = framepeek::stringField(text, "key").value_or("");
        if (m.role == Role::Control)
            m.ws->sendText(R"({"type":"create","key":")" + m.key + R"(","name":"bench room"})");
        else if (m.role == Role::Member)
            m.ws->sendText(R"({"type":"enter","key":")" + m.key + R"(","room_id":")" + m_room +
                           R"("})");
        else
            becameReady(m, 0);
    } else if (*type == "room") {
        const std::string room(framepeek::stringField(text, "room_id").value_or(""));
        if (m.role == Role::Control && !m.ready) {
            m_room = room;
            becameReady(m, 0);
        } else if (m.role == Role::Member && room == m_room) {
            becameReady(m, framepeek::integerField(text, "last_message_id").value_or(0));
        }
    } else if (*type == "error") {
        if (framepeek::stringField(text, "ref") == "message" && m.inflight > 0)
            messageRefused(m);
        noteError(text);
        if (!m.ready && m.role != Role::Idle) {
            m.ws->close();
            closed(*m.ws, 0, "refused");
        }
    }
}

void LoadRunner::gatewayFrame(Member &m, std::string_view text)
{
    if (const auto d = framepeek::gatewayMessage(text)) {
        delivered(m, *d);
        return;
    }
    const auto op = framepeek::integerField(text, "op", true);
    if (!op)
        return;
    switch (*op) {
    case 0: // hello
        m.heartbeatMs = framepeek::integerField(text, "heartbeatInterval").value_or(0);
        m.nextHeartbeatNs = m.ws->readNs() + m.heartbeatMs * Ms;
        break;
    case 2: // the server asks for an op 1 at once
        m.ws->sendText(R"({"op":1,"d":{}})");
        ++m_pingsAnswered;
        break;
    case 8: // ready
        m.userId = framepeek::stringField(text, "userId", true).value_or("");
        becameReady(m, framepeek::integerField(text, "lastMessageId").value_or(0));
        break;
    case 12:
        if (m.inflight > 0)
            messageRefused(m);
        noteError(text);
        break;
    default:
        break;
    }
}

void LoadRunner::noteError(std::string_view text)
{
    ++m_errors;
    if (m_errorsShown++ < ErrorsShown)
        std::fprintf(stderr, "roomkeeper-load: server error: %.*s\n", int(text.size()),
                     text.data());
}

// ---- messages ---------------------------------------------------------------------------

void LoadRunner::sendMessage(Member &m)
{
    const std::string content = framepeek::stampedContent(m.ws->index(), ++m.seq, monotonicNs(),
                                                          std::size_t(m_options.bytes));
    std::string frame;
    frame.reserve(content.size() + 160);
    if (m.gateway) {
        frame += R"({"op":3,"d":{"content":")";
        frame += content;
        frame += R"("}})";
    } else {
        frame += R"({"type":"message","key":")";
        frame += m.key;
        frame += R"(","room_id":")";
        frame += m_room;
        frame += R"(","content":")";
        frame += content;
        frame += R"("})";
    }
    if (m.ws->sendText(frame)) {
        ++m.sent;
        ++m.inflight;
    }
}

void LoadRunner::delivered(Member &m, const framepeek::Delivery &d)
{
    const std::int64_t now = m.ws->readNs();
    ++m_deliveries;
    if (m_startNs && now >= m_startNs && now <= m_stopNs)
        ++m_windowDeliveries;
    m_maxMessageId = std::max(m_maxMessageId, d.messageId);
    m.check.record(d.messageId);
    if (!d.stamped) {
        ++m_foreign;
        return;
    }
    if (now >= d.sentNs)
        m_latency.add(std::uint64_t(now - d.sentNs) / 1000);
    if (!m.sender || d.sender != m.ws->index())
        return;
    ++m.acked;
    if (m.inflight > 0)
        --m.inflight;
    if (m_options.mode == LoadOptions::Mode::Fanout && m_sending && now < m_stopNs) {
        while (m.inflight < m_options.window && m.ws->isOpen())
            sendMessage(m);
    }
}

void LoadRunner::messageRefused(Member &m)
{
    ++m.refused;
    --m.inflight;
    if (m_options.mode == LoadOptions::Mode::Fanout && m_sending && m.ws->isOpen())
        sendMessage(m);
}

// ---- the loop ---------------------------------------------------------------------------

void LoadRunner::tick(std::int64_t now)
{
    while (m_started < m_toConnect && m_inProgress < m_options.connectConcurrency) {
        const int index = m_started;
        startClient(*m_members[std::size_t(index)], index);
    }
    if (m_sending && now >= m_stopNs)
        m_sending = false;
    if (m_sending && m_options.mode == LoadOptions::Mode::Rate && !m_senders.empty()) {
        const auto due = std::uint64_t(double(now - m_startNs) * m_options.rate / double(Second));
        while (m_paced < due) {
            Member &s = *m_members[std::size_t(m_senders[m_paced % m_senders.size()])];
            if (s.ws->isOpen())
                sendMessage(s);
            ++m_paced;
        }
    }
    if (now >= m_nextHeartbeatSweepNs) {
        m_nextHeartbeatSweepNs = now + HeartbeatSweepNs;
        for (const auto &member : m_members) {
            Member &m = *member;
            if (!m.gateway || m.heartbeatMs <= 0 || now < m.nextHeartbeatNs || !m.ws ||
                !m.ws->isOpen())
                continue;
            m.ws->sendText(R"({"op":1,"d":{}})");
            m.nextHeartbeatNs += m.heartbeatMs * Ms;
            if (m.nextHeartbeatNs < now)
                m.nextHeartbeatNs = now + m.heartbeatMs * Ms;
            ++m_heartbeatsSent;
        }
    }
}

bool LoadRunner::runUntil(const std::function<bool()> &done, std::int64_t deadlineNs)
{
    for (;;) {
        const std::int64_t now = monotonicNs();
        tick(now);
        if (done())
            return true;
        if (now >= deadlineNs)
            return false;
        std::int64_t wait = std::min(deadlineNs - now, HeartbeatSweepNs);
        if (m_sending && m_options.mode == LoadOptions::Mode::Rate) {
            const auto next =
                m_startNs + std::int64_t(double(m_paced + 1) * double(Second) / m_options.rate);
            wait = std::min(wait, std::max<std::int64_t>(0, next - now));
        }
        if (m_sending)
            wait = std::min(wait, m_stopNs - now);
        const int timeoutMs = int(std::max<std::int64_t>(0, (wait + Ms - 1) / Ms));
        m_poller.wait(timeoutMs, [](void *owner, std::uint32_t events) {
            static_cast<WsClient *>(owner)->handleEvents(events);
        });
    }
}

bool LoadRunner::createRoom()
{
    m_control = std::make_unique<Member>();
    m_control->role = Role::Control;
    startClient(*m_control, -1);
    runUntil(
        [this] { return m_control->ready || m_control->ws->state() == WsClient::State::Closed; },
        monotonicNs() + 10 * Second);
    if (!m_control->ready) {
        std::fprintf(stderr, "roomkeeper-load: could not create a room over /ws\n");
        for (const auto &[why, count] : m_failures)
            std::fprintf(stderr, "  %s (%d)\n", why.c_str(), count);
        return false;
    }
    m_control->ws->close();
    return true;
}

bool LoadRunner::connectAll(int count, Role role)
{
    m_members.reserve(std::size_t(count));
    for (int i = 0; i < count; ++i) {
        auto m = std::make_unique<Member>();
        m->gateway = m_options.mix && (i % 2 == 1);
        m->role = m->gateway ? Role::Member : role;
        m_members.push_back(std::move(m));
    }
    m_toConnect = count;
    m_firstConnectNs = monotonicNs();
    runUntil([this, count] { return m_ready + m_failed >= count; },
             m_firstConnectNs + std::int64_t(m_options.joinTimeoutS * double(Second)));
    if (m_failed > 0 || m_ready < count) {
        std::fprintf(stderr, "roomkeeper-load: %d of %d connections ready, %d failed\n", m_ready,
                     count, m_failed);
        for (const auto &[why, n] : m_failures)
            std::fprintf(stderr, "  %s (%d)\n", why.c_str(), n);
    }
    return m_ready == count;
}

void LoadRunner::settle(std::int64_t quietNs, std::int64_t maxNs)
{
    m_lastFrameNs = monotonicNs();
    runUntil([this, quietNs] { return monotonicNs() - m_lastFrameNs >= quietNs; },
             monotonicNs() + maxNs);
}

// ---- modes ------------------------------------------------------------------------------

int LoadRunner::run()
{
    if (inet_pton(AF_INET, m_options.host.c_str(), &m_server.sin_addr) != 1) {
        std::fprintf(stderr, "roomkeeper-load: '%s' is not an IPv4 address\n",
                     m_options.host.c_str());
        return 1;
    }
    switch (m_options.mode) {
    case LoadOptions::Mode::Fanout:
    case LoadOptions::Mode::Rate:
        return runTraffic();
    case LoadOptions::Mode::Idle:
        return runIdle();
    case LoadOptions::Mode::Sink:
        return runSink();
    }
    return 1;
}

std::string LoadRunner::describe() const
{
    const LoadOptions &o = m_options;
    if (!o.label.empty())
        return o.label;
    return std::string(modeName(o.mode)) + (o.mix ? " (half /ws, half /gateway)" : "");
}

// "4009:3,0:1": how the server ended the connections it dropped (0: no close frame).
std::string LoadRunner::closeCodes() const
{
    std::string text;
    for (const auto &[code, count] : m_closeCodes)
        text += (text.empty() ? "" : ",") + std::to_string(code) + ":" + std::to_string(count);
    return text.empty() ? std::string("none") : text;
}

void LoadRunner::phase(const char *what) const
{
    if (m_options.verbose)
        std::fprintf(stderr, "roomkeeper-load: %.3f %s\n", double(monotonicNs()) / double(Second),
                     what);
}

void LoadRunner::print(const std::vector<std::pair<std::string, std::string>> &figures,
                       const std::string &human) const
{
    std::string line;
    for (const auto &[key, value] : figures) {
        if (!line.empty())
            line += ' ';
        line += key + "=" + value;
    }
    std::printf("%s\n%s\n", line.c_str(), human.c_str());
    std::fflush(stdout);
}

int LoadRunner::runTraffic()
{
    const LoadOptions &o = m_options;
    const bool fanout = o.mode == LoadOptions::Mode::Fanout;
    phase("connecting");
    if (m_room.empty() && !createRoom())
        return 1;
    const auto rssBefore = m_serverProcess.rssKib();
    const std::int64_t joinStart = monotonicNs();
    if (!connectAll(o.members, Role::Member))
        return 1;
    const double joinS = double(m_lastReadyNs - joinStart) / double(Second);
    settle(QuietNs, 60 * Second);
    phase("sending");

    const int senders = std::clamp(o.senders, 1, o.members);
    for (int i = 0; i < senders; ++i) {
        m_members[std::size_t(i)]->sender = true;
        m_senders.push_back(i);
    }
    const auto cpu0 = m_serverProcess.cpuSeconds();
    const auto wait0 = m_serverProcess.runQueueWaitSeconds();
    const double self0 = ProcessProbe::selfCpuSeconds();
    m_startNs = monotonicNs();
    m_stopNs = m_startNs + std::int64_t(o.durationS * double(Second));
    m_sending = true;
    if (fanout) {
        for (int index : m_senders) {
            Member &s = *m_members[std::size_t(index)];
            while (s.inflight < o.window && s.ws->isOpen())
                sendMessage(s);
        }
    }
    runUntil([] { return false; }, m_stopNs);
    m_sending = false;
    const std::int64_t stoppedNs = monotonicNs();
    const auto cpu1 = m_serverProcess.cpuSeconds();
    const auto wait1 = m_serverProcess.runQueueWaitSeconds();
    const double self1 = ProcessProbe::selfCpuSeconds();
    const auto rss = m_serverProcess.rssKib();
    const double elapsedS = double(stoppedNs - m_startNs) / double(Second);

    phase("draining");
    // Drain: every message sent comes back to its sender, then the room falls quiet.
    runUntil(
        [this] {
            for (int index : m_senders) {
                const Member &s = *m_members[std::size_t(index)];
                if (s.inflight > 0 && !s.dropped)
                    return false;
            }
            return monotonicNs() - m_lastFrameNs >= QuietNs;
        },
        monotonicNs() + std::int64_t(o.drainTimeoutS * double(Second)));

    std::uint64_t sent = 0;
    std::uint64_t refused = 0;
    std::uint64_t unacked = 0;
    for (int index : m_senders) {
        const Member &s = *m_members[std::size_t(index)];
        sent += s.sent;
        refused += s.refused;
        unacked += std::uint64_t(std::max(0, s.inflight));
    }
    const std::uint64_t accepted = sent - refused;
    phase("done");
    std::int64_t firstExpected = std::numeric_limits<std::int64_t>::max();
    std::uint64_t checked = 0;
    std::uint64_t lost = 0;
    std::uint64_t duplicated = 0;
    std::uint64_t outOfOrder = 0;
    std::uint64_t early = 0;
    for (const auto &member : m_members) {
        const Member &m = *member;
        if (!m.ready || m.dropped)
            continue;
        ++checked;
        firstExpected = std::min(firstExpected, m.check.first());
        lost += m.check.missingThrough(m_maxMessageId);
        duplicated += m.check.duplicates();
        outOfOrder += m.check.outOfOrder();
        early += m.check.early();
    }
    const std::uint64_t span = checked && m_maxMessageId >= firstExpected
                                   ? std::uint64_t(m_maxMessageId - firstExpected + 1)
                                   : 0;
    // Accepted messages after the highest id anyone saw reached nobody.
    if (accepted > span)
        lost += (accepted - span) * checked;
    const bool orderOk = lost == 0 && duplicated == 0 && outOfOrder == 0 && early == 0;
    const bool ok = orderOk && m_dropped == 0;

    const double windowS = std::max(elapsedS, 1e-9);
    const double perSecond = double(m_windowDeliveries) / windowS;
    const double expected = double(accepted) * double(checked);
    const double fraction = expected > 0 ? double(m_deliveries) / expected : 0;
    const double serverCpu = cpu0 && cpu1 ? 100.0 * (*cpu1 - *cpu0) / windowS : -1;
    const double clientCpu = 100.0 * (self1 - self0) / windowS;
    const double serverWait = wait0 && wait1 ? 100.0 * (*wait1 - *wait0) / windowS : -1;
    const double perCpuSecond =
        cpu0 && cpu1 && *cpu1 > *cpu0 ? double(m_windowDeliveries) / (*cpu1 - *cpu0) : -1;

    std::vector<std::pair<std::string, std::string>> f;
    f.emplace_back("mode", modeName(o.mode));
    f.emplace_back("protocol", o.mix ? "mix" : "ws");
    f.emplace_back("members", std::to_string(o.members));
    f.emplace_back("senders", std::to_string(senders));
    if (fanout)
        f.emplace_back("window", std::to_string(o.window));
    else
        f.emplace_back("rate", fixed(o.rate, 0));
    f.emplace_back("bytes", std::to_string(o.bytes));
    f.emplace_back("duration_s", fixed(elapsedS, 2));
    f.emplace_back("join_s", fixed(joinS, 2));
    f.emplace_back("messages", std::to_string(accepted));
    f.emplace_back("refused", std::to_string(refused));
    f.emplace_back("deliveries", std::to_string(m_deliveries));
    f.emplace_back("deliveries_per_s", fixed(perSecond, 0));
    f.emplace_back("messages_per_s",
                   fixed(perSecond / double(std::max<std::uint64_t>(1, checked)), 0));
    f.emplace_back("delivered_fraction", fixed(fraction, 6));
    f.emplace_back("p50_ms", millis(m_latency.quantileMicros(0.50)));
    f.emplace_back("p99_ms", millis(m_latency.quantileMicros(0.99)));
    f.emplace_back("max_ms", millis(m_latency.maxMicros()));
    f.emplace_back("order", orderOk ? "ok" : "failed");
    f.emplace_back("lost", std::to_string(lost));
    f.emplace_back("duplicated", std::to_string(duplicated));
    f.emplace_back("out_of_order", std::to_string(outOfOrder));
    f.emplace_back("unacked", std::to_string(unacked));
    f.emplace_back("foreign", std::to_string(m_foreign + (span > accepted ? span - accepted : 0)));
    f.emplace_back("dropped", std::to_string(m_dropped));
    f.emplace_back("close_codes", closeCodes());
    f.emplace_back("errors", std::to_string(m_errors));
    f.emplace_back("server_cpu_pct", fixed(serverCpu, 1));
    f.emplace_back("server_wait_pct", fixed(serverWait, 1));
    f.emplace_back("deliveries_per_server_cpu_s", fixed(perCpuSecond, 0));
    f.emplace_back("client_cpu_pct", fixed(clientCpu, 1));
    f.emplace_back("rss_before_kib", std::to_string(rssBefore.value_or(-1)));
    f.emplace_back("rss_after_kib", std::to_string(rss.value_or(-1)));
    f.emplace_back("rss_per_conn_kib",
                   fixed(rss && rssBefore ? double(*rss - *rssBefore) / double(o.members) : -1, 2));

    std::string human = describe() + ": " + std::to_string(o.members) + " members, " +
                        std::to_string(senders) + " senders, ";
    human += fanout ? "window " + std::to_string(o.window) : fixed(o.rate, 0) + " msgs/s";
    human += ", " + std::to_string(o.bytes) + " B, " + fixed(elapsedS, 1) +
             " s: " + fixed(perSecond, 0) + " deliveries/s (" + fixed(100 * fraction, 2) +
             " % delivered), latency p50 " + millis(m_latency.quantileMicros(0.50)) + " ms p99 " +
             millis(m_latency.quantileMicros(0.99)) + " ms max " + millis(m_latency.maxMicros()) +
             " ms; order: " + (orderOk ? "ok" : "FAILED") + ", " + std::to_string(lost) +
             " lost, " + std::to_string(duplicated) + " duplicated";
    if (outOfOrder || early)
        human += ", " + std::to_string(outOfOrder) + " out of order, " + std::to_string(early) +
                 " from before joining";
    if (m_dropped)
        human += "; " + std::to_string(m_dropped) + " connections dropped by the server";
    if (serverCpu >= 0)
        human += "; server CPU " + fixed(serverCpu, 0) + " % (waited for a CPU " +
                 fixed(serverWait, 0) + " %)";
    human += ", load generator CPU " + fixed(clientCpu, 0) + " %";
    print(f, human);
    return ok ? 0 : 2;
}

int LoadRunner::runIdle()
{
    const LoadOptions &o = m_options;
    if (o.mix && m_room.empty() && !createRoom())
        return 1;
    const auto rss0 = m_serverProcess.rssKib();
    phase("connecting");
    const bool allReady = connectAll(o.connections, Role::Idle);
    phase("holding");
    const double connectS = double(m_lastReadyNs - m_firstConnectNs) / double(Second);
    const auto rss1 = m_serverProcess.rssKib();
    const auto cpu0 = m_serverProcess.cpuSeconds();
    const auto wait0 = m_serverProcess.runQueueWaitSeconds();
    const std::int64_t holdStart = monotonicNs();
    runUntil([] { return false; }, holdStart + std::int64_t(o.durationS * double(Second)));
    const double holdS = double(monotonicNs() - holdStart) / double(Second);
    const auto cpu1 = m_serverProcess.cpuSeconds();
    const auto wait1 = m_serverProcess.runQueueWaitSeconds();
    const auto rss2 = m_serverProcess.rssKib();

    int kept = 0;
    for (const auto &m : m_members)
        kept += m->ready && !m->dropped && m->ws->isOpen();
    const double perConn = rss0 && rss2 && kept > 0 ? double(*rss2 - *rss0) / double(kept) : -1;
    const double rate = connectS > 0 ? double(m_ready) / connectS : 0;
    const double serverCpu = cpu0 && cpu1 ? 100.0 * (*cpu1 - *cpu0) / holdS : -1;
    const double serverWait = wait0 && wait1 ? 100.0 * (*wait1 - *wait0) / holdS : -1;
    const bool ok = allReady && kept == o.connections;

    std::vector<std::pair<std::string, std::string>> f;
    f.emplace_back("mode", "idle");
    f.emplace_back("protocol", o.mix ? "mix" : "ws");
    f.emplace_back("connections", std::to_string(o.connections));
    f.emplace_back("connected", std::to_string(m_ready));
    f.emplace_back("failed", std::to_string(m_failed));
    f.emplace_back("kept", std::to_string(kept));
    f.emplace_back("dropped", std::to_string(m_dropped));
    f.emplace_back("close_codes", closeCodes());
    f.emplace_back("connect_s", fixed(connectS, 3));
    f.emplace_back("connects_per_s", fixed(rate, 0));
    f.emplace_back("hold_s", fixed(holdS, 1));
    f.emplace_back("pings_answered", std::to_string(m_pingsAnswered));
    f.emplace_back("heartbeats_sent", std::to_string(m_heartbeatsSent));
    f.emplace_back("rss_before_kib", std::to_string(rss0.value_or(-1)));
    f.emplace_back("rss_connected_kib", std::to_string(rss1.value_or(-1)));
    f.emplace_back("rss_after_kib", std::to_string(rss2.value_or(-1)));
    f.emplace_back("rss_per_conn_kib", fixed(perConn, 2));
    f.emplace_back("server_cpu_pct", fixed(serverCpu, 1));
    f.emplace_back("server_wait_pct", fixed(serverWait, 1));
    f.emplace_back("errors", std::to_string(m_errors));

    std::string human = describe() + ": " + std::to_string(kept) + " of " +
                        std::to_string(o.connections) + " connections kept for " + fixed(holdS, 0) +
                        " s (" + std::to_string(m_pingsAnswered) + " heartbeats answered), " +
                        fixed(rate, 0) + " connects/s, server RSS " + fixed(perConn, 1) +
                        " KiB per connection";
    if (serverCpu >= 0)
        human += ", server CPU " + fixed(serverCpu, 1) + " % while idle";
    if (m_dropped || m_failed)
        human +=
            "; " + std::to_string(m_failed) + " failed, " + std::to_string(m_dropped) + " dropped";
    print(f, human);
    return ok ? 0 : 2;
}

int LoadRunner::runSink()
{
    const LoadOptions &o = m_options;
    connectAll(o.members, Role::Idle);
    const std::uint64_t frames0 = m_frames;
    const double self0 = ProcessProbe::selfCpuSeconds();
    const std::int64_t start = monotonicNs();
    runUntil([] { return false; }, start + std::int64_t(o.durationS * double(Second)));
    const double seconds = double(monotonicNs() - start) / double(Second);
    const double self1 = ProcessProbe::selfCpuSeconds();
    const double perSecond = double(m_frames - frames0) / seconds;
    const double clientCpu = 100.0 * (self1 - self0) / seconds;
    print({{"mode", "sink"},
           {"connections", std::to_string(m_ready)},
           {"frames_per_s", fixed(perSecond, 0)},
           {"client_cpu_pct", fixed(clientCpu, 1)}},
          describe() + ": " + std::to_string(m_ready) + " connections received " +
              fixed(perSecond, 0) + " frames/s using " + fixed(clientCpu, 0) + " % of a core");
    return 0;
}

} // namespace roomkeeper::bench
