#pragma once

#include "snapshot.h"

namespace roomkeeper {

// Collects traffic events for the operator window between two flushes. Under load it
// keeps the first 'perBatch' events of each batch and counts the rest as skipped, so the
// cost of watching stays bounded whatever the message rate. Core thread only.
class TrafficRecorder
{
public:
    explicit TrafficRecorder(int perBatch = 1000) : m_perBatch(perBatch) {}

    void setEnabled(bool enabled) { m_enabled = enabled; }
    // Whether the next event would be kept: check before building its summary.
    bool wants() const { return m_enabled && m_batch.events.size() < m_perBatch; }
    bool enabled() const { return m_enabled; }
    void record(TrafficEvent event);
    void skip() { m_batch.skipped += m_enabled ? 1 : 0; }
    // The batch so far; empty when nothing happened.
    TrafficBatch take();

    static QString summarize(const QString &text);

private:
    int m_perBatch;
    bool m_enabled = false;
    TrafficBatch m_batch;
};

} // namespace roomkeeper
