#!/usr/bin/env bash
# Profiles the server's fanout path with callgrind (this machine's perf has no hardware
# counters: `perf stat -e instructions true` says "not supported").
#
#   tests/bench/profile-fanout.sh [BUILD_DIR] [OUT_DIR]
#
# Starts the server under callgrind with instrumentation off, lets roomkeeper-load join 200
# members, switches instrumentation on for the sending phase only (callgrind_control), then
# prints the top functions by inclusive and by self cost. Expect the server to run some
# 50 times slower than natively: the figures are shares of work, not speeds.
set -euo pipefail

SOURCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${1:-$SOURCE_DIR/build-bench}
OUT_DIR=${2:-$(mktemp -d /tmp/roomkeeper-profile.XXXXXX)}
SERVER=$BUILD_DIR/bin/roomkeeper
LOAD=$BUILD_DIR/bin/roomkeeper-load
for tool in valgrind callgrind_control callgrind_annotate; do
    command -v "$tool" >/dev/null || { echo "profile-fanout: $tool is needed" >&2; exit 1; }
done
mkdir -p "$OUT_DIR/data"

valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT_DIR/callgrind.out" \
    "$SERVER" --no-gui --port 0 --listen 127.0.0.1 --data-dir "$OUT_DIR/data" \
    --max-message-rate 0 --max-connections 30000 --max-connections-per-address 30000 \
    --handshake-timeout 60000 \
    </dev/null >"$OUT_DIR/server.out" 2>"$OUT_DIR/server.err" &
SERVER_PID=$!
trap 'kill -TERM $SERVER_PID 2>/dev/null || true' EXIT
PORT=
for _ in $(seq 300); do
    PORT=$(sed -nE '1s/^roomkeeper: listening on ws:\/\/[^ ]*:([0-9]+) .*/\1/p' "$OUT_DIR/server.out")
    [ -n "$PORT" ] && break
    sleep 0.2
done
[ -n "$PORT" ] || { cat "$OUT_DIR/server.err" >&2; exit 1; }

"$LOAD" --url "ws://127.0.0.1:$PORT" --mode fanout --members 200 --senders 20 --window 10 \
    --bytes 100 --duration "${PROFILE_DURATION:-8}" --connect-concurrency 16 --drain-timeout 60 \
    --verbose --label "fanout 200×20 under callgrind" >"$OUT_DIR/load.out" 2>"$OUT_DIR/load.err" &
LOAD_PID=$!
until grep -q ' sending$' "$OUT_DIR/load.err"; do
    kill -0 "$LOAD_PID" 2>/dev/null || { cat "$OUT_DIR/load.err" >&2; exit 1; }
    sleep 0.2
done
callgrind_control -i on "$SERVER_PID" >/dev/null 2>&1
until grep -q ' draining$' "$OUT_DIR/load.err"; do sleep 0.2; done
callgrind_control -i off "$SERVER_PID" >/dev/null 2>&1
wait "$LOAD_PID" || true
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true
trap - EXIT

cat "$OUT_DIR/load.out"
echo
echo "== inclusive"
callgrind_annotate --inclusive=yes "$OUT_DIR"/callgrind.out* | head -60
echo
echo "== self"
callgrind_annotate "$OUT_DIR"/callgrind.out* | head -50
echo "profile in $OUT_DIR"
