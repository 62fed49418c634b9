#pragma once

#include <string>

namespace roomkeeper::bench {

// What one run of roomkeeper-load does (see main.cpp for the flags).
struct LoadOptions
{
    enum class Mode
    {
        Fanout, // S of C members send as fast as a window of W unacknowledged messages allows
        Rate,   // R messages a second in total into a room of C members
        Idle,   // N connections held, heartbeats answered
        Sink    // calibration: C connections to any server, count what arrives
    };

    Mode mode = Mode::Fanout;
    std::string label;
    std::string host = "127.0.0.1";
    int port = 0;
    std::string path = "/"; // sink mode only
    std::string room;       // empty: create one over /ws
    int members = 200;
    int senders = 20;
    int window = 10;
    int bytes = 100;
    double durationS = 10;
    double rate = 200;
    int connections = 10000;
    bool mix = false;
    bool verbose = false;  // phases on stderr
    bool quickAck = false; // diagnostic: acknowledge every read at once
    int serverPid = 0;
    int connectConcurrency = 128;
    double drainTimeoutS = 10;
    double joinTimeoutS = 120;
};

} // namespace roomkeeper::bench
