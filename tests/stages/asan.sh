#!/bin/bash
# Stage: the test suite built with AddressSanitizer + UndefinedBehaviorSanitizer (gcc),
# LeakSanitizer on. Any report, from a test or from a server a test starts, fails it.
#   bash tests/stages/asan.sh [BUILD_DIR]        (default build-asan; run from anywhere)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/tests/stages"
build=${1:-$root/build-asan}
build=$(mkdir -p "$build" && cd "$build" && pwd)

# Debug (-O0 -g): the build is most of this stage's time, and with the sanitizers on gcc
# takes 3-4x longer at -O1.
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
cmake --build "$build" --parallel "$(nproc)"

# Reports go to files (log_path) as well as failing the process: a server started by a
# test keeps its stderr in the test, and may be stopped with SIGKILL before it is read.
reports="$build/reports"
rm -rf "$reports"
mkdir -p "$reports"
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:check_initialization_order=1:log_path=$reports/asan"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/asan"

# Not run here: e2e_browser (Chromium drives the page; the server side is the same binary
# the integration tests run), package_deb (packs the files, runs only --version) and
# clang_format (runs no code of ours); the "long" label (fault and capacity runs: their
# deadlines and figures mean nothing under the sanitizers' slowdown).
status=0
ctest --test-dir "$build" --output-on-failure --parallel "$(nproc)" --timeout 600 -LE long \
    -E '^(e2e_browser|package_deb|clang_format)$' || status=$?
if compgen -G "$reports/asan.*" >/dev/null; then
    cat "$reports"/asan.* >&2
    echo "asan: FAIL: sanitizer reports above (files in $reports)" >&2
    exit 1
fi
exit $status
