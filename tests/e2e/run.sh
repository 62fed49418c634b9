#!/bin/bash
# End-to-end test of the bundled browser client: starts the real server on a free port,
# then drives two pages in Debian's Chromium (headless) with playwright-core.
# Usage: run.sh /path/to/roomkeeper      (ctest runs it from the build dir)
set -euo pipefail

server=${1:?usage: run.sh /path/to/roomkeeper}
here=$(cd "$(dirname "$0")" && pwd)
out_dir=${E2E_OUT_DIR:-$PWD}

fail() { echo "e2e: FAIL: $*" >&2; exit 1; }

# Node.js 18.15 or newer (as "engines" in package.json says): node --test's --test-reporter
# came in 18.15, and playwright-core 1.61.1 runs on 18 (1.62 and later need 20).
# Debian 12's nodejs is 18.20.
node_min_major=18 node_min_minor=15
command -v node >/dev/null || fail "node is missing (install nodejs: packaging/install-deps.sh --test)"
node_version=$(node --version 2>/dev/null) || fail "'node --version' failed"
[[ "$node_version" =~ ^v([0-9]+)\.([0-9]+)\. ]] || fail "cannot read node's version from '$node_version'"
if ((BASH_REMATCH[1] < node_min_major ||
    (BASH_REMATCH[1] == node_min_major && BASH_REMATCH[2] < node_min_minor))); then
    fail "Node.js $node_version is too old: this test needs $node_min_major.$node_min_minor or newer"
fi
command -v npm >/dev/null || fail "npm is missing (install npm: packaging/install-deps.sh --test)"
[ -x "$server" ] || fail "server binary '$server' is not executable"
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing (install chromium: packaging/install-deps.sh --test)"

# (Re)install when playwright-core is missing or is not the version package.json pins.
pinned=$(node -p 'require(process.argv[1]).dependencies["playwright-core"]' "$here/package.json")
installed=$(node -p 'require(process.argv[1]).version' "$here/node_modules/playwright-core/package.json" \
    2>/dev/null) || installed=""
if [ "$installed" != "$pinned" ]; then
    echo "e2e: installing playwright-core $pinned (npm ci)"
    (cd "$here" && npm ci --no-audit --no-fund) || fail "npm ci failed in $here"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/roomkeeper-e2e.XXXXXX")
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$server_pid" 2>/dev/null || true
    fi
    exec 3>&- || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The operator console reads stdin: give it a pipe that stays open (no EOF) while we run.
mkfifo "$tmp/stdin"
exec 3<>"$tmp/stdin"
"$server" --no-gui --port 0 --listen 127.0.0.1 --data-dir "$tmp/data" \
    <&3 >"$tmp/server.out" 2>"$tmp/server.err" &
server_pid=$!

url=""
for _ in $(seq 200); do
    line=$(head -n 1 "$tmp/server.out" 2>/dev/null || true)
    if [[ "$line" =~ ^roomkeeper:\ listening\ on\ ws://([^ ]+):([0-9]+)\  ]]; then
        url="http://${BASH_REMATCH[1]}:${BASH_REMATCH[2]}"
        break
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$url" ]; then
    echo "--- server stdout"; cat "$tmp/server.out" || true
    echo "--- server stderr"; cat "$tmp/server.err" || true
    fail "the server did not report its port"
fi
echo "e2e: server at $url"

status=0
TMPDIR="$tmp" ROOMKEEPER_URL="$url" E2E_OUT_DIR="$out_dir" \
    node --test --test-reporter=spec "$here/e2e.test.mjs" || status=$?
if [ "$status" -ne 0 ]; then
    echo "--- server stderr (last 40 lines)"; tail -n 40 "$tmp/server.err" || true
fi
exit "$status"
