#!/usr/bin/env bash
# Builds the fuzz targets into build-fuzz and runs each for SECONDS (default 30) on a copy
# of its seed corpus (tests/fuzz/corpus is never written). Exits non-zero if any target
# crashes, leaks, or takes over 10 s on one input. Run from anywhere.
#   BUILD_DIR picks the build folder; CXX the compiler (default clang++-14).
set -euo pipefail
SECONDS_PER_TARGET="${1:-30}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD="${BUILD_DIR:-$ROOT/build-fuzz}"
CXX="${CXX:-clang++-14}"

if [ ! -f "$BUILD/build.ninja" ]; then
    CXX="$CXX" cmake -S "$HERE" -B "$BUILD" -G Ninja
fi
cmake --build "$BUILD"

failed=()
for target in fuzz_roomcodec fuzz_gatewaycodec fuzz_textrules fuzz_httphead; do
    work="$BUILD/run/$target"
    rm -rf "$work"
    mkdir -p "$work/corpus" "$work/artifacts"
    cp "$HERE/corpus/$target/"* "$work/corpus/"
    echo "=== $target (${SECONDS_PER_TARGET}s)"
    rc=0
    "$BUILD/$target" -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -timeout=10 \
        -artifact_prefix="$work/artifacts/" -print_final_stats=1 \
        "$work/corpus" >"$work/log.txt" 2>&1 || rc=$?
    grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$work/log.txt" | tail -n 2 || true
    if [ $rc -ne 0 ]; then
        tail -n 60 "$work/log.txt"
        echo "!!! $target failed (exit $rc); log: $work/log.txt"
        ls "$work/artifacts"
        failed+=("$target")
    fi
done

if [ ${#failed[@]} -ne 0 ]; then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
echo "all targets ran ${SECONDS_PER_TARGET}s without a crash"
