#include "trafficrecorder.h"

#include "../domain/textrules.h"

#include <utility>

namespace roomkeeper {

void TrafficRecorder::record(TrafficEvent event)
{
    if (!m_enabled)
        return;
    if (m_batch.events.size() >= m_perBatch) {
        ++m_batch.skipped;
        return;
    }
    m_batch.events.append(std::move(event));
}

TrafficBatch TrafficRecorder::take()
{
    return std::exchange(m_batch, TrafficBatch());
}

QString TrafficRecorder::summarize(const QString &text)
{
    return textrules::printable(text.left(120), 80);
}

} // namespace roomkeeper
