#!/usr/bin/env bash
# Runs Roomkeeper's standard benchmarks and prints one markdown table.
#
#   tests/bench/run-benchmarks.sh [BUILD_DIR]
#
# Without BUILD_DIR it configures and builds build-bench/ (RelWithDebInfo) in the source
# tree; with one it uses the binaries there (building them if they are missing). Each
# scenario gets its own server, started fresh on 127.0.0.1 with a temporary data dir and
# pinned to CPU 0; the load generator is pinned to CPU 1. Needs two cores, Linux, taskset.
#
# Each scenario then runs again, in the same sitting, against roomkeeper-reference (a plain
# QWebSocketServer chat server, tests/bench/reference/) started the same way: its figures
# are the rows marked "(reference)", and for fanout scenarios the last column is
# Roomkeeper's deliveries/s over the reference's.
#
# Environment: BENCH_DURATION (seconds of traffic per scenario, default 10),
# BENCH_IDLE_DURATION (default 20), BENCH_LOG (file for the raw output, default a temp file),
# BENCH_REFERENCE (0: skip the reference runs, and the table is as it was without them).
set -euo pipefail

SOURCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${1:-}
DURATION=${BENCH_DURATION:-10}
IDLE_DURATION=${BENCH_IDLE_DURATION:-20}
IDLE_CONNECTIONS=10000
LOG=${BENCH_LOG:-$(mktemp /tmp/roomkeeper-bench.XXXXXX.log)}
REFERENCE=${BENCH_REFERENCE:-1}
[ "$REFERENCE" = 0 ] || REFERENCE=1

say() { printf '%s\n' "$*" >&2; }
die() { say "run-benchmarks: $*"; exit 1; }

TARGETS=(roomkeeper roomkeeper-load)
[ "$REFERENCE" = 0 ] || TARGETS+=(roomkeeper-reference)
if [ -z "$BUILD_DIR" ]; then
    BUILD_DIR=$SOURCE_DIR/build-bench
    cmake -S "$SOURCE_DIR" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
    cmake --build "$BUILD_DIR" --target "${TARGETS[@]}" >&2
else
    for target in "${TARGETS[@]}"; do
        if [ ! -x "$BUILD_DIR/bin/$target" ]; then
            cmake --build "$BUILD_DIR" --target "${TARGETS[@]}" >&2
            break
        fi
    done
fi
SERVER=$BUILD_DIR/bin/roomkeeper
LOAD=$BUILD_DIR/bin/roomkeeper-load
REFERENCE_SERVER=$BUILD_DIR/bin/roomkeeper-reference
if [ ! -x "$SERVER" ] || [ ! -x "$LOAD" ]; then die "no roomkeeper / roomkeeper-load in $BUILD_DIR/bin"; fi
if [ "$REFERENCE" = 1 ] && [ ! -x "$REFERENCE_SERVER" ]; then
    die "no roomkeeper-reference in $BUILD_DIR/bin (BENCH_REFERENCE=0 skips it)"
fi
command -v taskset >/dev/null || die "taskset (util-linux) is needed"
[ "$(nproc)" -ge 2 ] || die "needs two CPUs (server on CPU 0, load generator on CPU 1)"

# 10,000 connections on each side of loopback, plus the rest.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((IDLE_CONNECTIONS + 1000)) ]; then
    say "run-benchmarks: ulimit -n is $(ulimit -n); the idle scenario will fall short"
fi

SERVER_PID=
DATA_DIR=
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
    [ -n "$DATA_DIR" ] && rm -rf "$DATA_DIR"
    DATA_DIR=
}
trap stop_server EXIT

# start_server BINARY [extra server flags...]: sets SERVER_PID and PORT. The reference
# takes the same flags and prints the same first line.
start_server() {
    local binary=$1
    shift
    DATA_DIR=$(mktemp -d /tmp/roomkeeper-bench-data.XXXXXX)
    taskset -c 0 "$binary" --no-gui --port 0 --listen 127.0.0.1 --data-dir "$DATA_DIR" \
        --max-message-rate 0 --max-connections 30000 --max-connections-per-address 30000 \
        --max-handshakes 1024 --max-outbound-queue $((16 * 1024 * 1024)) "$@" \
        </dev/null >"$DATA_DIR/stdout" 2>"$DATA_DIR/stderr" &
    SERVER_PID=$!
    PORT=
    for _ in $(seq 100); do
        PORT=$(sed -nE '1s/^roomkeeper: listening on ws:\/\/[^ ]*:([0-9]+) .*/\1/p' \
            "$DATA_DIR/stdout" 2>/dev/null || true)
        [ -n "$PORT" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$PORT" ] || { cat "$DATA_DIR/stderr" >&2; die "the server did not start"; }
}

ROWS=()
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
num() { printf '%.0f' "$1" 2>/dev/null || printf '%s' "$1"; }

# run_one BINARY NAME "SERVER FLAGS" LOAD FLAGS...: one scenario against one server. Sets
# ROW (the table row) and DPS (deliveries/s; empty when there are none).
run_one() {
    local binary=$1 name=$2 server_flags=$3
    shift 3
    ROW=
    DPS=
    say ""
    say "== $name"
    # shellcheck disable=SC2086 # server_flags is a list of words
    start_server "$binary" $server_flags
    local output status=0
    output=$(timeout 180 taskset -c 1 "$LOAD" --url "ws://127.0.0.1:$PORT" \
        --server-pid "$SERVER_PID" --label "$name" "$@" 2>>"$LOG") || status=$?
    stop_server
    printf '== %s (exit %s)\n%s\n' "$name" "$status" "$output" >>"$LOG"
    say "$output"
    local line
    line=$(grep -m1 '^mode=' <<<"$output" || true)
    if [ -z "$line" ]; then
        ROW="| $name | — | — | — | — | — | — | did not run (exit $status) |"
        return
    fi
    local rss cpu check
    rss=$(field "$line" rss_per_conn_kib)
    # CPU time used, and (in brackets) time it was ready to run but another process had
    # the core: a high second figure means the machine was busy, not the server idle.
    cpu="$(field "$line" server_cpu_pct) ($(field "$line" server_wait_pct))"
    if [ "$(field "$line" mode)" = idle ]; then
        local kept connections rate
        kept=$(field "$line" kept)
        connections=$(field "$line" connections)
        rate=$(field "$line" connects_per_s)
        check="$kept of $connections kept, $(field "$line" dropped) dropped; $(num "$rate") connects/s"
        ROW="| $name | — | — | — | — | $cpu | $rss KiB | $check |"
        return
    fi
    check="$(field "$line" order), $(field "$line" lost) lost, $(field "$line" duplicated) duplicated"
    [ "$(field "$line" out_of_order)" = 0 ] || check+=", $(field "$line" out_of_order) out of order"
    [ "$(field "$line" dropped)" = 0 ] || check+=", $(field "$line" dropped) dropped"
    [ "$(field "$line" mode)" = rate ] &&
        check+=", $(awk -v f="$(field "$line" delivered_fraction)" 'BEGIN{printf "%.2f", 100*f}') % delivered"
    [ "$(field "$line" mode)" = fanout ] && DPS=$(field "$line" deliveries_per_s)
    ROW="| $name | $(num "$(field "$line" deliveries_per_s)") | $(field "$line" p50_ms) ms | $(field "$line" p99_ms) ms | $(field "$line" max_ms) ms | $cpu | $rss KiB | $check |"
}

# scenario NAME "SERVER FLAGS" LOAD FLAGS...: Roomkeeper, then (unless BENCH_REFERENCE=0)
# the reference right after it, in a row of its own.
scenario() {
    local name=$1
    run_one "$SERVER" "$@"
    if [ "$REFERENCE" = 0 ]; then
        ROWS+=("$ROW")
        return
    fi
    local ours=$ROW dps=$DPS
    shift
    run_one "$REFERENCE_SERVER" "$name (reference)" "$@"
    local ratio=—
    if [ -n "$dps" ] && [ -n "$DPS" ]; then
        ratio=$(awk -v a="$dps" -v b="$DPS" 'BEGIN{if (b > 0) printf "%.2f", a/b; else print "—"}')
    fi
    ROWS+=("$ours $ratio |" "$ROW — |")
}

STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
say "roomkeeper benchmarks: $SERVER on CPU 0, $LOAD on CPU 1; raw output in $LOG"
[ "$REFERENCE" = 0 ] || say "each scenario also against $REFERENCE_SERVER, right after roomkeeper"

scenario "fanout 200×20, window 10" "" \
    --mode fanout --members 200 --senders 20 --window 10 --bytes 100 --duration "$DURATION"
scenario "fanout 1000×10, window 10" "" \
    --mode fanout --members 1000 --senders 10 --window 10 --bytes 100 --duration "$DURATION"
scenario "fanout 200×20, window 1" "" \
    --mode fanout --members 200 --senders 20 --window 1 --bytes 100 --duration "$DURATION"
scenario "rate 200 msgs/s × 500 members" "" \
    --mode rate --members 500 --senders 20 --rate 200 --bytes 100 --duration "$DURATION"
scenario "idle $(num $IDLE_CONNECTIONS) connections, ${IDLE_DURATION} s" "--heartbeat-interval 5000" \
    --mode idle --connections "$IDLE_CONNECTIONS" --duration "$IDLE_DURATION" \
    --connect-concurrency 256
scenario "mixed fanout 200×20, window 10 (½ /ws, ½ /gateway)" "" \
    --mode fanout --members 200 --senders 20 --window 10 --bytes 100 --duration "$DURATION" --mix

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo
echo "Roomkeeper benchmarks, $STARTED, $(nproc) cores ($MODEL), server on CPU 0, load generator on CPU 1;"
echo "load average before $LOAD_BEFORE, after $LOAD_AFTER; ${DURATION} s of traffic per scenario, 100-byte messages."
if [ "$REFERENCE" = 0 ]; then
    echo
    echo "| scenario | deliveries/s | p50 | p99 | max | server CPU % (waiting %) | RSS/conn | order check |"
    echo "|---|---:|---:|---:|---:|---:|---:|---|"
else
    echo "Rows marked (reference): roomkeeper-reference, a plain QWebSocketServer server, run right"
    echo "after Roomkeeper with the same flags; × reference: Roomkeeper's fanout deliveries/s over its."
    echo
    echo "| scenario | deliveries/s | p50 | p99 | max | server CPU % (waiting %) | RSS/conn | order check | × reference |"
    echo "|---|---:|---:|---:|---:|---:|---:|---|---:|"
fi
printf '%s\n' "${ROWS[@]}"
