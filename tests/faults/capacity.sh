#!/usr/bin/env bash
# Issue 9 item 8, capacity: 10,000 room-protocol connections held 60 s with heartbeats on.
#
#   tests/faults/capacity.sh ROOMKEEPER_BINARY ROOMKEEPER_LOAD_BINARY
#
# The real server (127.0.0.1, port 0, fresh data dir) and roomkeeper-load --mode idle
# (tests/bench), which opens the connections 128 at a time, answers every ping with its
# pong, holds them and reads the server's /proc figures. With two or more CPUs the server is
# pinned to CPU 0 and the load generator to CPU 1, so the server's CPU time is its own.
#
# Timeline, from the moment all connections are open:
#   12 s settling (the handshake timers of the connect burst run out after 10 s);
#   15 s with heartbeats effectively off (heartbeat-interval=3600000 in a --config file):
#        the server's CPU cost of merely holding 10,000 idle connections;
#   SIGHUP with heartbeat-interval=2000 in the file, applied live (the server says so);
#   60 s with a ping to every connection every 2 s, each answered: THE HOLD;
#   a few seconds' margin, then the load generator reports and closes everything.
#
# PASS CRITERION (all of):
#   - all 10,000 connections open, and all 10,000 still open at the end: none failed,
#     none closed by the server (load generator: kept=10000 dropped=0 failed=0);
#   - the server agrees: /metrics, read every ~10 s, always shows 10,000 room connections,
#     no heartbeat timeouts, refused connections or slow-client drops;
#   - heartbeats really ran: the server applied the 2 s interval, and at least
#     N x floor(60 s / 3 s) = 200,000 pings were answered (about 300,000 are expected);
#   - server RSS per connection, (VmRSS at the end - VmRSS before connecting) / kept, is at
#     most 32 KiB.
# REPORTED, not judged: the server's CPU time (utime + stime from /proc/PID/stat) as % of
# one core, over the 15 s without heartbeats and over the 60 s hold; their difference is
# what the heartbeat (sweep, pings out, pongs in) costs, also given per ping; the time the
# server waited for a CPU (schedstat: how busy the machine was); the connect rate.
#
# Environment (for trying other sizes; the ctest entry uses the defaults):
# FAULTS_CONNECTIONS (10000), FAULTS_HOLD_S (60), FAULTS_HEARTBEAT_MS (2000),
# FAULTS_BASELINE_S (15), FAULTS_RSS_LIMIT_KIB (32).
set -euo pipefail

SERVER=${1:?usage: capacity.sh ROOMKEEPER ROOMKEEPER_LOAD}
LOAD=${2:?usage: capacity.sh ROOMKEEPER ROOMKEEPER_LOAD}
CONNECTIONS=${FAULTS_CONNECTIONS:-10000}
HOLD_S=${FAULTS_HOLD_S:-60}
HEARTBEAT_MS=${FAULTS_HEARTBEAT_MS:-2000}
BASELINE_S=${FAULTS_BASELINE_S:-15}
RSS_LIMIT_KIB=${FAULTS_RSS_LIMIT_KIB:-32}
SETTLE_S=12
MARGIN_S=8
OFF_MS=3600000 # the largest interval the server takes: no ping within this run
MIN_PINGS=$((CONNECTIONS * (HOLD_S * 1000 / (HEARTBEAT_MS * 3 / 2))))

say() { printf 'capacity: %s\n' "$*"; }
die() { say "FAIL: $*"; exit 1; }

say "PASS CRITERION: $CONNECTIONS of $CONNECTIONS connections open and kept, ${HOLD_S} s of" \
    "them with a ${HEARTBEAT_MS} ms heartbeat (none failed, none dropped, /metrics always" \
    "$CONNECTIONS and no heartbeat timeouts), at least $MIN_PINGS pings answered, server RSS" \
    "per connection <= ${RSS_LIMIT_KIB} KiB; server CPU with and without heartbeats reported"

[ -x "$SERVER" ] || die "no server binary at $SERVER"
[ -x "$LOAD" ] || die "no load generator at $LOAD (build the roomkeeper-load target)"

# Both ends of every connection are on this machine: N descriptors in each process.
NEED_FDS=$((CONNECTIONS + 1024))
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$NEED_FDS" ]; then
    ulimit -Hn "$NEED_FDS" 2>/dev/null || true
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$NEED_FDS" ]; then
    die "ulimit -n is $(ulimit -n) and cannot be raised to $NEED_FDS (raise the hard limit)"
fi

WORK=$(mktemp -d /tmp/roomkeeper-capacity.XXXXXX)
SERVER_PID=
LOAD_PID=
# shellcheck disable=SC2317 # run by the trap
cleanup() {
    local pid
    for pid in "$LOAD_PID" "$SERVER_PID"; do
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'say "FAIL: line $LINENO: a command failed"' ERR

SERVER_CPU=()
LOAD_CPU=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null &&
    taskset -c 0 true 2>/dev/null && taskset -c 1 true 2>/dev/null; then
    SERVER_CPU=(taskset -c 0)
    LOAD_CPU=(taskset -c 1)
fi

# The heartbeat interval lives in the config file (a flag would win over it on SIGHUP).
printf 'heartbeat-interval=%s\n' "$OFF_MS" >"$WORK/roomkeeper.ini"
"${SERVER_CPU[@]}" "$SERVER" --no-gui --port 0 --listen 127.0.0.1 --data-dir "$WORK/data" \
    --config "$WORK/roomkeeper.ini" --max-connections $((CONNECTIONS + 1000)) \
    --max-connections-per-address $((CONNECTIONS + 1000)) --log-level warning \
    </dev/null >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
PORT=
for _ in $(seq 200); do
    # (The file may not exist yet: the background shell makes it.)
    PORT=$(sed -nE '1s/^roomkeeper: listening on ws:\/\/[^ ]*:([0-9]+) .*/\1/p' \
        "$WORK/server.out" 2>/dev/null || true)
    [ -n "$PORT" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
done
[ -n "$PORT" ] || { cat "$WORK/server.err" >&2; die "the server did not start"; }
say "server pid $SERVER_PID on 127.0.0.1:$PORT, ulimit -n $(ulimit -n), $(nproc) CPUs," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg)"

# One /metrics read over bash's /dev/tcp: prints the body.
metrics() {
    local body
    exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
    printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    body=$(timeout 5 cat <&3) || true
    exec 3<&- 3>&-
    printf '%s\n' "$body" | tr -d '\r'
}
metric() { # metric TEXT NAME_WITH_LABELS
    awk -v name="$2" '$1 == name { printf "%d", $2; found = 1 } END { if (!found) printf "-1" }' <<<"$1"
}
# "SECONDS CPU_TICKS WAIT_NS": now, the server's utime + stime (all threads), and the time its
# threads waited for a CPU.
probe() {
    local ticks wait
    ticks=$(sed 's/.*) //' "/proc/$SERVER_PID/stat" 2>/dev/null | awk '{ print $12 + $13 }' || true)
    wait=$(cat /proc/"$SERVER_PID"/task/*/schedstat 2>/dev/null |
        awk '{ s += $2 } END { printf "%d", s }' || true)
    printf '%s %s %s\n' "$(date +%s.%N)" "$ticks" "$wait"
}
# cpu_pct "PROBE1" "PROBE2": "CPU% WAIT%" between two probes.
cpu_pct() {
    awk -v a="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN {
        split(a, x, " "); split(b, y, " "); t = y[1] - x[1]
        printf "%.1f %.1f", 100 * (y[2] - x[2]) / hz / t, 100 * (y[3] - x[3]) / 1e9 / t }'
}

MIN_SEEN=
READS=0
LAST=
# read_metrics: one /metrics read into MIN_SEEN, READS, LAST.
read_metrics() {
    local text seen
    text=$(metrics) || return 0
    seen=$(metric "$text" 'roomkeeper_connections{protocol="room"}')
    [ "$seen" -ge 0 ] || return 0
    LAST=$text
    READS=$((READS + 1))
    if [ -z "$MIN_SEEN" ] || [ "$seen" -lt "$MIN_SEEN" ]; then MIN_SEEN=$seen; fi
}
# hold SECONDS: waits that long, reading /metrics every 10 s.
hold() {
    local until=$((SECONDS + $1)) left
    while kill -0 "$LOAD_PID" 2>/dev/null; do
        read_metrics
        left=$((until - SECONDS))
        [ "$left" -gt 0 ] || return 0
        sleep $((left < 10 ? left : 10))
        [ "$SECONDS" -lt "$until" ] || return 0
    done
}

STARTED=$(date +%s.%N)
DURATION=$((SETTLE_S + BASELINE_S + HOLD_S + MARGIN_S))
"${LOAD_CPU[@]}" "$LOAD" --url "ws://127.0.0.1:$PORT" --mode idle --connections "$CONNECTIONS" \
    --duration "$DURATION" --connect-concurrency 128 --server-pid "$SERVER_PID" \
    --label "capacity $CONNECTIONS" --verbose >"$WORK/load.out" 2>"$WORK/load.err" &
LOAD_PID=$!

for _ in $(seq 1200); do
    grep -q ' holding$' "$WORK/load.err" 2>/dev/null && break
    kill -0 "$LOAD_PID" 2>/dev/null || break
    sleep 0.1
done
if grep -q ' holding$' "$WORK/load.err" 2>/dev/null; then
    say "all connections open; ${SETTLE_S} s to settle, ${BASELINE_S} s without heartbeats"
    sleep "$SETTLE_S"
    P0=$(probe)
    hold "$BASELINE_S"
    P1=$(probe)
    printf 'heartbeat-interval=%s\n' "$HEARTBEAT_MS" >"$WORK/roomkeeper.ini"
    kill -HUP "$SERVER_PID" || true
    for _ in $(seq 50); do
        grep -q 'SIGHUP: applied heartbeat-interval' "$WORK/server.err" && break
        sleep 0.1
    done
    grep -q 'SIGHUP: applied heartbeat-interval' "$WORK/server.err" ||
        say "the server did not say it applied the new heartbeat interval"
    say "heartbeat interval now ${HEARTBEAT_MS} ms; holding ${HOLD_S} s"
    P2=$(probe)
    hold "$HOLD_S"
    P3=$(probe)
fi
LOAD_STATUS=0
wait "$LOAD_PID" || LOAD_STATUS=$?
LOAD_PID=
ELAPSED=$(awk -v a="$STARTED" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

cat "$WORK/load.out"
LINE=$(grep -m1 '^mode=idle' "$WORK/load.out" || true)
if [ -z "$LINE" ]; then
    cat "$WORK/load.err" >&2
    die "the load generator printed no figures (exit $LOAD_STATUS)"
fi
[ -n "${P3:-}" ] || die "the load generator never held its connections (exit $LOAD_STATUS)"
field() { tr ' ' '\n' <<<"$LINE" | sed -n "s/^$1=//p"; }
KEPT=$(field kept)
FAILED=$(field failed)
DROPPED=$(field dropped)
PINGS=$(field pings_answered)
RSS_PER=$(field rss_per_conn_kib)
read -r IDLE_CPU IDLE_WAIT <<<"$(cpu_pct "$P0" "$P1")"
read -r HOLD_CPU HOLD_WAIT <<<"$(cpu_pct "$P2" "$P3")"
HEARTBEAT_CPU=$(awk -v a="$HOLD_CPU" -v b="$IDLE_CPU" 'BEGIN { printf "%.1f", a - b }')
PER_PING=$(awk -v c="$HEARTBEAT_CPU" -v n="$CONNECTIONS" -v i="$HEARTBEAT_MS" \
    'BEGIN { printf "%.1f", c / 100 / (n * 1000 / i) * 1e6 }')
TIMEOUTS=$(metric "$LAST" roomkeeper_heartbeat_timeouts_total)
REFUSED=$(metric "$LAST" roomkeeper_refused_connections_total)
SLOW=$(metric "$LAST" roomkeeper_slow_client_drops_total)
APPLIED=no
grep -q 'SIGHUP: applied heartbeat-interval' "$WORK/server.err" && APPLIED=yes

say "figures: kept $KEPT of $CONNECTIONS (connected $(field connected), failed $FAILED," \
    "dropped $DROPPED, close codes $(field close_codes)); connect $(field connect_s) s" \
    "($(field connects_per_s) connects/s)"
say "figures: /metrics ($READS reads): fewest room connections ${MIN_SEEN:-none}, heartbeat" \
    "timeouts $TIMEOUTS, refused $REFUSED, slow drops $SLOW"
say "figures: $PINGS pings answered from the switch to ${HEARTBEAT_MS} ms to the end (interval applied" \
    "live: $APPLIED)"
say "figures: server RSS $(field rss_before_kib) KiB before connecting," \
    "$(field rss_after_kib) KiB at the end: $RSS_PER KiB per connection (limit $RSS_LIMIT_KIB)"
say "figures: server CPU, % of one core (waiting for a CPU): $IDLE_CPU ($IDLE_WAIT) holding" \
    "$CONNECTIONS connections without heartbeats, $HOLD_CPU ($HOLD_WAIT) with a ${HEARTBEAT_MS} ms" \
    "heartbeat; the heartbeat's share $HEARTBEAT_CPU, about $PER_PING us per ping and pong"
say "figures: whole run ${ELAPSED} s"

PROBLEMS=()
[ "$KEPT" = "$CONNECTIONS" ] || PROBLEMS+=("kept $KEPT of $CONNECTIONS connections")
[ "$FAILED" = 0 ] || PROBLEMS+=("$FAILED connections failed to open")
[ "$DROPPED" = 0 ] || PROBLEMS+=("$DROPPED connections dropped by the server")
[ "$LOAD_STATUS" = 0 ] || PROBLEMS+=("the load generator exited with $LOAD_STATUS")
[ "$READS" -gt 0 ] || PROBLEMS+=("/metrics could not be read")
[ "${MIN_SEEN:--1}" = "$CONNECTIONS" ] || PROBLEMS+=("/metrics showed ${MIN_SEEN:-no} room connections, not $CONNECTIONS")
[ "$TIMEOUTS" = 0 ] || PROBLEMS+=("/metrics counted $TIMEOUTS heartbeat timeouts")
[ "$REFUSED" = 0 ] || PROBLEMS+=("/metrics counted $REFUSED refused connections")
[ "$SLOW" = 0 ] || PROBLEMS+=("/metrics counted $SLOW slow-client drops")
[ "$APPLIED" = yes ] || PROBLEMS+=("the server did not apply heartbeat-interval=$HEARTBEAT_MS on SIGHUP")
[ "${PINGS:-0}" -ge "$MIN_PINGS" ] || PROBLEMS+=("only ${PINGS:-0} pings answered, expected at least $MIN_PINGS")
awk -v r="$RSS_PER" -v l="$RSS_LIMIT_KIB" 'BEGIN { exit !(r >= 0 && r <= l) }' ||
    PROBLEMS+=("server RSS per connection $RSS_PER KiB is over $RSS_LIMIT_KIB KiB")

if [ "${#PROBLEMS[@]}" -gt 0 ]; then
    sed 's/^/load: /' "$WORK/load.err" | tail -n 20
    sed 's/^/server: /' "$WORK/server.err" | tail -n 20
    for p in "${PROBLEMS[@]}"; do say "FAIL: $p"; done
    exit 1
fi
say "PASS: $KEPT of $CONNECTIONS kept, ${HOLD_S} s at a ${HEARTBEAT_MS} ms heartbeat;" \
    "RSS $RSS_PER KiB/connection; server CPU $HOLD_CPU % of a core ($IDLE_CPU % without" \
    "heartbeats)"
