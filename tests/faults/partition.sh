#!/usr/bin/env bash
# Issue 9 item 9b: a client cut off by a network partition is found by the heartbeat
# deadline and cleaned up, and not before.
#
#   tests/faults/partition.sh ROOMKEEPER_BINARY ROOMKEEPER_PARTITION_PROBE
#
# Makes a network namespace and a veth pair (10.213.X.1 here, 10.213.X.2 in the namespace;
# names and subnet from this script's pid, all removed on exit, and leftovers of earlier
# runs whose script is gone removed first), then runs the probe (partitionprobe.cpp): the
# server listens on 10.213.X.1 with --heartbeat-interval 2000; a watcher in this namespace
# creates a room; a /ws member and a /gateway member inside the namespace join it and answer
# heartbeats; after two rounds of heartbeats the namespace's end of the link is set down, so
# no FIN, RST or further byte reaches the server.
#
# PASS CRITERION (all of), with interval I = 2 s, sweep tick T = I/4, close grace G = 1 s:
#   - the server drops each member by its heartbeat (the console's watch stream says
#     heartbeat-timeout for it), and not before its deadline: the /ws member no earlier than
#     3 I after its last pong (the next ping, due one interval later, unanswered for two),
#     the /gateway member no earlier than 1.5 I after its last op 1 (100 ms allowed for
#     reading clocks in two processes);
#   - and in time: the /ws member within 3 I + 2 T + 2 s of the cut, the /gateway member
#     within 1.5 I + T + 2 s;
#   - the watcher sees both leave (exit) within those bounds + G;
#   - /metrics: heartbeat timeouts up by exactly 2, connections back to 1 room (the watcher)
#     and 0 gateway; the watcher is still connected.
# SKIP (exit 77) when network namespaces cannot be made here (not root, no ip, no
# CAP_NET_ADMIN, no veth); everything else that goes wrong is a FAIL.
set -euo pipefail

SERVER=${1:?usage: partition.sh ROOMKEEPER PARTITION_PROBE}
PROBE=${2:?usage: partition.sh ROOMKEEPER PARTITION_PROBE}
SKIP=77

say() { printf 'partition: %s\n' "$*"; }
skip() { say "SKIP: $*"; exit "$SKIP"; }

say "PASS CRITERION: a /ws and a /gateway member cut off by 'ip link set down' in a network" \
    "namespace are dropped by the heartbeat deadline (not before it: 3 intervals after the" \
    "last pong, 1.5 after the last op 1; not later than 3 I + 2 T + 2 s and 1.5 I + T + 2 s" \
    "after the cut), the watcher sees both exits, /metrics counts 2 heartbeat timeouts and" \
    "the connections drop to 1 room, 0 gateway"

[ -x "$SERVER" ] || { say "FAIL: no server binary at $SERVER"; exit 1; }
[ -x "$PROBE" ] || { say "FAIL: no probe at $PROBE"; exit 1; }
command -v ip >/dev/null || skip "no 'ip' command (iproute2)"
[ "$(id -u)" = 0 ] || skip "network namespaces need root (CAP_NET_ADMIN); running as $(id -un)"

NS=rkfault-$$
HOST_LINK=rkf$$h
NS_LINK=rkf$$n
SUBNET=10.213.$(($$ % 250 + 1))
HOST_ADDRESS=$SUBNET.1
NS_ADDRESS=$SUBNET.2

# shellcheck disable=SC2317 # run by the trap
cleanup() {
    ip link del "$HOST_LINK" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT
trap 'say "FAIL: line $LINENO: a command failed"' ERR
trap 'exit 130' INT
trap 'exit 143' TERM

# Leftovers of runs that were killed before their trap ran (e.g. by a ctest timeout).
for old in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^rkfault-[0-9]*$' || true); do
    pid=${old#rkfault-}
    if ! kill -0 "$pid" 2>/dev/null; then
        ip link del "rkf${pid}h" 2>/dev/null || true
        ip netns del "$old" 2>/dev/null || true
        say "removed the leftover namespace $old"
    fi
done

ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace (no CAP_NET_ADMIN?)"
ip link add "$HOST_LINK" type veth peer name "$NS_LINK" 2>/dev/null ||
    skip "cannot create a veth pair (no veth support?)"
ip link set "$NS_LINK" netns "$NS"
ip addr add "$HOST_ADDRESS/30" dev "$HOST_LINK"
ip link set "$HOST_LINK" up
ip -n "$NS" addr add "$NS_ADDRESS/30" dev "$NS_LINK"
ip -n "$NS" link set "$NS_LINK" up
ip -n "$NS" link set lo up
say "namespace $NS: $NS_LINK $NS_ADDRESS <-> $HOST_LINK $HOST_ADDRESS"

# The probe prints its figures and PASS or FAIL; its exit status is ours.
status=0
"$PROBE" --server "$SERVER" --netns "$NS" --address "$HOST_ADDRESS" --link "$NS_LINK" \
    --interval 2000 || status=$?
exit "$status"
