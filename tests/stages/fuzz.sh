#!/bin/bash
# Stage: a short libFuzzer run (clang-14, ASan + UBSan) of every target in tests/fuzz, each
# from a copy of its seed corpus; a crash, leak or timeout fails the stage. The long run is
# by hand: tests/fuzz/run.sh 300.
#   bash tests/stages/fuzz.sh [BUILD_DIR]        (default build-fuzz; run from anywhere)
# ROOMKEEPER_FUZZ_SECONDS sets the time per target (default 15).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-fuzz}

CXX=clang++-14 BUILD_DIR=$build bash "$root/tests/fuzz/run.sh" "${ROOMKEEPER_FUZZ_SECONDS:-15}"
