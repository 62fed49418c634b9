#!/bin/bash
# The two commands of README.md:
#   bash packaging/bootstrap.sh run [roomkeeper flags...]   install, build, start the server
#   bash packaging/bootstrap.sh test [ctest flags...]       install, build, run every test
# ROOMKEEPER_BUILD_DIR picks the build folder (default: build).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
[ $# -gt 0 ] && shift
case "$mode" in
run) bash packaging/install-deps.sh ;;
test) bash packaging/install-deps.sh --test ;;
*)
    echo "usage: bash packaging/bootstrap.sh run|test [arguments...]" >&2
    exit 2
    ;;
esac

build=${ROOMKEEPER_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --parallel "$(nproc)"

if [ "$mode" = run ]; then
    exec "$build/bin/roomkeeper" "$@"
fi
cd "$build"
exec ctest --output-on-failure --parallel "$(nproc)" --timeout 300 "$@"
