#pragma once

#include <QtGlobal>

#include <algorithm>

namespace roomkeeper {

// A token bucket for request rates: 'rate' tokens a second, at most 'burst' saved up.
// A rate of 0 admits everything. Time comes from the caller, so tests need no clock.
class TokenBucket
{
public:
    TokenBucket() = default;
    TokenBucket(double ratePerSecond, double burst, qint64 nowMs)
        : m_rate(ratePerSecond), m_burst(burst), m_tokens(burst), m_lastMs(nowMs)
    {}

    bool take(qint64 nowMs)
    {
        if (m_rate <= 0)
            return true;
        if (nowMs > m_lastMs) {
            m_tokens = std::min(m_burst, m_tokens + double(nowMs - m_lastMs) * m_rate / 1000.0);
            m_lastMs = nowMs;
        }
        if (m_tokens < 1.0)
            return false;
        m_tokens -= 1.0;
        return true;
    }

private:
    double m_rate = 0;
    double m_burst = 0;
    double m_tokens = 0;
    qint64 m_lastMs = 0;
};

} // namespace roomkeeper
