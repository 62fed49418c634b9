#!/usr/bin/env bash
# Does the operator window stall, or slow the network? Runs roomkeeper-guilag (a ChatServer
# on its core thread plus, with --window, the operator window; a 10 ms probe timer on the
# GUI thread) pinned to CPU 0, drives it with roomkeeper-load in fanout mode pinned to
# CPU 1, once with the window and once without, and prints one markdown table.
#
#   tests/bench/guilag.sh [BUILD_DIR]          # default build-lag/, built if missing
#
# Environment: GUILAG_DURATION (seconds of traffic, default 10), GUILAG_MEMBERS (200),
# GUILAG_SENDERS (20), GUILAG_WINDOW (10), GUILAG_LOG (raw output, default a temp file).
# Uses Xvfb when it is installed and no DISPLAY is set, else QT_QPA_PLATFORM=offscreen.
set -euo pipefail

SOURCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${1:-$SOURCE_DIR/build-lag}
DURATION=${GUILAG_DURATION:-10}
MEMBERS=${GUILAG_MEMBERS:-200}
SENDERS=${GUILAG_SENDERS:-20}
SEND_WINDOW=${GUILAG_WINDOW:-10}
LOG=${GUILAG_LOG:-$(mktemp /tmp/roomkeeper-guilag.XXXXXX.log)}

say() { printf '%s\n' "$*" >&2; }
die() { say "guilag: $*"; exit 1; }

if [ ! -x "$BUILD_DIR/bin/roomkeeper-guilag" ] || [ ! -x "$BUILD_DIR/bin/roomkeeper-load" ]; then
    [ -f "$BUILD_DIR/build.ninja" ] ||
        cmake -S "$SOURCE_DIR" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
    cmake --build "$BUILD_DIR" --target roomkeeper-guilag roomkeeper-load >&2
fi
TOOL=$BUILD_DIR/bin/roomkeeper-guilag
LOAD=$BUILD_DIR/bin/roomkeeper-load
command -v taskset >/dev/null || die "taskset (util-linux) is needed"
[ "$(nproc)" -ge 2 ] || die "needs two CPUs (server on CPU 0, load generator on CPU 1)"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# A display for the window: Xvfb if there is one, otherwise Qt's offscreen platform.
XVFB_PID=
PLATFORM=offscreen
if [ -z "${DISPLAY:-}" ] && command -v Xvfb >/dev/null; then
    Xvfb :97 -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
    XVFB_PID=$!
    sleep 1
    export DISPLAY=:97
    PLATFORM=xcb
elif [ -n "${DISPLAY:-}" ]; then
    PLATFORM=xcb
else
    export QT_QPA_PLATFORM=offscreen
fi

TOOL_PID=
WORK_DIR=$(mktemp -d /tmp/roomkeeper-guilag.XXXXXX)
cleanup() {
    if [ -n "$TOOL_PID" ] && kill -0 "$TOOL_PID" 2>/dev/null; then
        kill -KILL "$TOOL_PID" 2>/dev/null || true
        wait "$TOOL_PID" 2>/dev/null || true
    fi
    if [ -n "$XVFB_PID" ]; then kill "$XVFB_PID" 2>/dev/null || true; fi
    rm -rf "$WORK_DIR"
}
trap cleanup EXIT
# The window keeps its layout in QSettings: keep this run's away from the user's.
export XDG_CONFIG_HOME=$WORK_DIR/config

field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
ROWS=()

# run yes|no
run() {
    local with=$1 flags=() out=$WORK_DIR/tool-$1.out
    [ "$with" = yes ] && flags=(--window)
    mkdir -p "$WORK_DIR/data-$with"
    say ""
    say "== window $with"
    # A cap only: the tool is stopped with SIGTERM as soon as the load generator ends.
    taskset -c 0 "$TOOL" --data-dir "$WORK_DIR/data-$with" --seconds 300 "${flags[@]}" \
        </dev/null >"$out" 2>"$WORK_DIR/tool-$with.err" &
    TOOL_PID=$!
    local port='' room=''
    for _ in $(seq 100); do
        port=$(sed -n 's/^port=//p' "$out")
        room=$(sed -n 's/^room=//p' "$out")
        [ -n "$port" ] && [ -n "$room" ] && break
        kill -0 "$TOOL_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$port" ] || [ -z "$room" ] || [ "$room" = none ]; then
        cat "$WORK_DIR/tool-$with.err" >&2
        die "roomkeeper-guilag did not start"
    fi
    local load_out status=0
    load_out=$(timeout 180 taskset -c 1 "$LOAD" --url "ws://127.0.0.1:$port" --room "$room" \
        --server-pid "$TOOL_PID" --label "window $with" --mode fanout --members "$MEMBERS" \
        --senders "$SENDERS" --window "$SEND_WINDOW" --bytes 100 --duration "$DURATION" \
        2>>"$LOG") || status=$?
    kill -TERM "$TOOL_PID" 2>/dev/null || true
    wait "$TOOL_PID" || true
    TOOL_PID=
    local lag
    lag=$(grep -m1 '^window=' "$out" || true)
    {
        printf '== window %s (load exit %s)\n%s\n' "$with" "$status" "$load_out"
        cat "$out" "$WORK_DIR/tool-$with.err"
    } >>"$LOG"
    say "$load_out"
    say "$lag"
    local line
    line=$(grep -m1 '^mode=' <<<"$load_out" || true)
    local rate=— check=—
    if [ -n "$line" ]; then
        rate=$(printf '%.0f' "$(field "$line" deliveries_per_s)")
        check="$(field "$line" order), $(field "$line" lost) lost"
    fi
    ROWS+=("| $with | $rate | $(field "$lag" lag_p50_ms) ms | $(field "$lag" lag_p99_ms) ms | $(field "$lag" lag_max_ms) ms | $(field "$lag" over_100ms) of $(field "$lag" ticks) | $(field "$lag" gui_cpu_pct) | $(field "$lag" core_cpu_pct) | $check |")
}

STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
say "guilag: $TOOL on CPU 0 ($PLATFORM), $LOAD on CPU 1; raw output in $LOG"
run yes
run no
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

echo
echo "Operator window under load, $STARTED, $(nproc) cores, QPA $PLATFORM; server + GUI on CPU 0,"
echo "load generator on CPU 1; fanout ${MEMBERS}×${SENDERS}, window $SEND_WINDOW, ${DURATION} s, 100-byte messages;"
echo "load average before $LOAD_BEFORE, after $LOAD_AFTER. GUI probe: a 10 ms timer."
echo
echo "| window | deliveries/s | GUI lag p50 | p99 | max | ticks > 100 ms | GUI thread CPU % | core thread CPU % | order check |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${ROWS[@]}"
