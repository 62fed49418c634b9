#!/bin/sh
# Renders the operator window offscreen with sample data into docs/window.png.
# Usage: tests/gui/screenshot.sh [BUILD_DIR]   (default: build)
# (roomkeeper_windowshot OUT.png [traffic|bans|audit] renders other tabs too.)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
cmake --build "$build" --target roomkeeper_windowshot
mkdir -p "$root/docs"
QT_QPA_PLATFORM=offscreen QT_LOGGING_RULES="roomkeeper.*.debug=false" \
    "$build/tests/gui/roomkeeper_windowshot" "$root/docs/window.png"
