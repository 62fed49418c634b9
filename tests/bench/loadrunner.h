#pragma once

#include "deliverycheck.h"
#include "framepeek.h"
#include "latencyhistogram.h"
#include "loadoptions.h"
#include "poller.h"
#include "processprobe.h"
#include "wsclient.h"

#include <netinet/in.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace roomkeeper::bench {

// Drives every simulated member on one epoll loop, checks what each receives and prints
// one line of key=value figures and one line for people.
class LoadRunner final : private WsClient::Handler
{
public:
    explicit LoadRunner(const LoadOptions &options);
    ~LoadRunner() override;
    LoadRunner(const LoadRunner &) = delete;
    LoadRunner &operator=(const LoadRunner &) = delete;

    // Returns the exit status: 0 ran and the check passed, 1 could not run, 2 the check
    // found lost, duplicated or reordered messages or dropped connections.
    int run();

private:
    enum class Role
    {
        Control, // creates the room, then leaves
        Member,  // enters the room
        Idle     // connects and only answers heartbeats
    };

    struct Member
    {
        std::unique_ptr<WsClient> ws;
        Role role = Role::Member;
        bool gateway = false;
        bool ready = false;
        bool failed = false;
        bool dropped = false;
        bool sender = false;
        std::string userId;
        std::string key;
        std::int64_t heartbeatMs = 0;
        std::int64_t nextHeartbeatNs = 0;
        int inflight = 0;
        std::uint64_t seq = 0;
        std::uint64_t sent = 0;
        std::uint64_t acked = 0;
        std::uint64_t refused = 0;
        DeliveryCheck check;
    };

    // WsClient::Handler
    void opened(WsClient &client) override;
    void textReceived(WsClient &client, std::string_view text) override;
    void closed(WsClient &client, int code, std::string_view reason) override;

    Member &memberOf(const WsClient &client);
    void roomFrame(Member &m, std::string_view text);
    void gatewayFrame(Member &m, std::string_view text);
    void becameReady(Member &m, std::int64_t lastMessageId);
    void delivered(Member &m, const framepeek::Delivery &d);
    void messageRefused(Member &m);
    void sendMessage(Member &m);
    void noteError(std::string_view text);

    bool startClient(Member &m, int index);
    bool runUntil(const std::function<bool()> &done, std::int64_t deadlineNs);
    void tick(std::int64_t now);
    bool createRoom();
    bool connectAll(int count, Role role);
    void settle(std::int64_t quietNs, std::int64_t maxNs);

    int runTraffic();
    int runIdle();
    int runSink();

    std::string describe() const;
    std::string closeCodes() const;
    void phase(const char *what) const;
    void print(const std::vector<std::pair<std::string, std::string>> &figures,
               const std::string &human) const;

    LoadOptions m_options;
    Poller m_poller;
    sockaddr_in m_server{};
    std::string m_hostHeader;
    ProcessProbe m_serverProcess;
    std::string m_room;

    std::unique_ptr<Member> m_control;
    std::vector<std::unique_ptr<Member>> m_members;
    std::vector<int> m_senders;

    // Connecting.
    int m_toConnect = 0;
    int m_started = 0;
    int m_inProgress = 0;
    int m_ready = 0;
    int m_failed = 0;
    std::int64_t m_firstConnectNs = 0;
    std::int64_t m_lastReadyNs = 0;
    std::map<std::string, int> m_failures;

    // Traffic.
    bool m_sending = false;
    std::int64_t m_startNs = 0;
    std::int64_t m_stopNs = 0;
    std::uint64_t m_paced = 0;
    std::int64_t m_lastFrameNs = 0;
    std::int64_t m_nextHeartbeatSweepNs = 0;
    std::uint64_t m_deliveries = 0;
    std::uint64_t m_windowDeliveries = 0;
    std::uint64_t m_frames = 0;
    std::int64_t m_maxMessageId = 0;
    std::uint64_t m_foreign = 0;
    LatencyHistogram m_latency;

    // Everything else that happened.
    int m_dropped = 0;
    std::map<int, int> m_closeCodes;
    std::uint64_t m_errors = 0;
    std::uint64_t m_pingsAnswered = 0;
    std::uint64_t m_heartbeatsSent = 0;
    int m_errorsShown = 0;
};

} // namespace roomkeeper::bench
