#!/bin/bash
# Stage: ThreadSanitizer (gcc) where the core thread and the GUI thread meet: the real
# binary, whose app/main.cpp runs the ChatServer on its own thread,
#  - headless, driven through its stdin console, signals and config reload (tst_console,
#    tst_binary, tst_persistence);
#  - with the operator window (offscreen) under traffic from roomkeeper-load on both
#    protocols: snapshots, traffic and stats flow to the window, CoreLink's list refresh
#    goes to the core and back, then SIGTERM stops both threads.
# The tests in tests/gui run their server on the GUI thread, so they cross no thread and
# are not run here. Qt is not built with TSan: see tsan.supp for what that costs. Any
# report fails the stage.
#   bash tests/stages/tsan.sh [BUILD_DIR]        (default build-tsan; run from anywhere)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/tests/stages"
build=${1:-$root/build-tsan}
build=$(mkdir -p "$build" && cd "$build" && pwd)

# -O1 as TSan's documentation advises; -g1 for file and line in reports.
flags="-fsanitize=thread -fno-omit-frame-pointer -O1 -g1"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE= \
    -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" >/dev/null
tests=(tst_console tst_binary tst_persistence)
cmake --build "$build" --parallel "$(nproc)" --target roomkeeper roomkeeper-load "${tests[@]}"
# shellcheck disable=SC2046,SC2086
g++ -std=c++20 $flags -fPIC "$here/tsan_canary.cpp" $(pkg-config --cflags --libs Qt6Core) \
    -o "$build/tsan_canary"

# Reports go to files (log_path), so that one from a server started by a test, whose
# stderr the test keeps, is not lost. ignore_noninstrumented_modules: see tsan.supp.
# history_size=7: without it the older stack of a race is often gone and no
# suppression can match it.
options="exitcode=66:second_deadlock_stack=1:history_size=7:ignore_noninstrumented_modules=1"
options="$options:suppressions=$here/tsan.supp"
reports="$build/reports"
rm -rf "$reports"
mkdir -p "$reports/canary"

work=$(mktemp -d "${TMPDIR:-/tmp}/roomkeeper-tsan.XXXXXX")
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill -KILL "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
check_reports() {
    if compgen -G "$reports/tsan.*" >/dev/null; then
        cat "$reports"/tsan.* >&2
        echo "tsan: FAIL: ThreadSanitizer reported (above; files in $reports)" >&2
        exit 1
    fi
}
fail() {
    echo "tsan: FAIL: $*" >&2
    if [ -f "$work/server.err" ]; then
        echo "--- server stderr:" >&2
        cat "$work/server.err" >&2
    fi
    check_reports
    exit 1
}

# Self-check (tsan_canary.cpp): a planted race is reported, a queued hand-over is not.
status=0
TSAN_OPTIONS="$options:halt_on_error=0:log_path=$reports/canary/tsan" "$build/tsan_canary" ||
    status=$?
found=$(cat "$reports"/canary/* 2>/dev/null | grep -c 'WARNING: ThreadSanitizer' || true)
if [ "$status" -ne 66 ] || [ "$found" -ne 1 ] ||
    ! grep -q 'SUMMARY.*tsan_canary.cpp' "$reports"/canary/*; then
    cat "$reports"/canary/* >&2 || true
    fail "self-check: want exactly one report, the planted race (exit $status, $found reports)"
fi
echo "tsan: self-check ok: the planted race is reported, the hand-over is not"

export TSAN_OPTIONS="$options:halt_on_error=1:log_path=$reports/tsan"
cd "$build"
regex="^($(
    IFS='|'
    echo "${tests[*]}"
))\$"
ctest --output-on-failure --parallel "$(nproc)" --timeout 600 -R "$regex" || fail "ctest"
check_reports

# The window under traffic.
QT_QPA_PLATFORM=offscreen QT_LOGGING_RULES="roomkeeper.*.info=false" \
    bin/roomkeeper --port 0 --listen 127.0.0.1 --data-dir "$work/data" --max-message-rate 0 \
    >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
port=""
for _ in $(seq 300); do
    port=$(sed -n 's|^roomkeeper: listening on ws://[^ ]*:\([0-9]*\) .*|\1|p' "$work/server.out")
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || fail "the server ended before listening"
    sleep 0.1
done
[ -n "$port" ] || fail "the server did not listen within 30 s"
if grep -q 'running headless' "$work/server.err"; then fail "the server ran without its window"; fi

echo "tsan: the window under traffic (port $port)"
# A steady rate, not a flood: TSan keeps a bounded history per thread, and under a flood
# the older stack of a report is gone before the report is made.
bin/roomkeeper-load --url "ws://127.0.0.1:$port" --mode rate --rate 300 --mix --members 30 \
    --duration 8 --label tsan || fail "roomkeeper-load failed"

kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=""
[ "$status" -eq 0 ] || fail "the server exited with $status after SIGTERM (66: a TSan report)"
check_reports
echo "tsan: no report"
