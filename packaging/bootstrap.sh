#!/bin/bash
# The two commands of README.md:
#   bash packaging/bootstrap.sh run [roomkeeper flags...]   install, build, start the server
#   bash packaging/bootstrap.sh test [ctest flags...]       install, build, run every test
# ROOMKEEPER_BUILD_DIR picks the build folder (default: build).
# `test` runs the suite, then the tests labelled "long" one at a time, then the stages in
# tests/stages (sanitizers, fuzzing), each building in its own folder beside the build
# folder (build-asan, build-tsan, build-fuzz). ROOMKEEPER_STAGES picks the stages:
# "all" (default), "none", or names such as "asan fuzz".
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

# The stages to run, checked before anything is built.
stages=()
if [ "$mode" = test ]; then
    available=()
    for script in tests/stages/*.sh; do
        available+=("$(basename "$script" .sh)")
    done
    case "${ROOMKEEPER_STAGES:-all}" in
    all) stages=("${available[@]}") ;;
    none) ;;
    *)
        read -r -a requested <<<"${ROOMKEEPER_STAGES//,/ }"
        for name in "${requested[@]}"; do
            if [ ! -f "tests/stages/$name.sh" ]; then
                echo "ROOMKEEPER_STAGES: no stage '$name' (there are: ${available[*]})" >&2
                exit 2
            fi
            stages+=("$name")
        done
        ;;
    esac
fi

build=${ROOMKEEPER_BUILD_DIR:-build}
build=${build%/}
build_start=$SECONDS
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --parallel "$(nproc)"

if [ "$mode" = run ]; then
    exec "$build/bin/roomkeeper" "$@"
fi

# Each step runs alone (many tests are timing-sensitive) and to the end, even after an
# earlier one failed; the exit status says whether all passed.
took() { printf '%-6s %3dm%02ds' "$1" $(($2 / 60)) $(($2 % 60)); }
timings=("$(took build $((SECONDS - build_start)))")
failed=()
step() {
    local name=$1 start=$SECONDS status=0
    shift
    echo "=== $name"
    "$@" || status=$?
    if [ $status -eq 0 ]; then
        timings+=("$(took "$name" $((SECONDS - start)))  ok")
    else
        timings+=("$(took "$name" $((SECONDS - start)))  FAILED ($status)")
        failed+=("$name")
    fi
}

step ctest ctest --test-dir "$build" --output-on-failure --parallel "$(nproc)" --timeout 300 \
    -LE long "$@"
# Fault and capacity tests need the whole machine: one at a time.
step long ctest --test-dir "$build" --output-on-failure --parallel 1 --timeout 300 \
    --no-tests=ignore -L long "$@"
stage_base="$(cd "$build" && pwd)"
for name in "${stages[@]}"; do
    step "$name" bash "tests/stages/$name.sh" "$stage_base-$name"
done

echo "=== timings"
printf '%s\n' "${timings[@]}"
if [ ${#failed[@]} -ne 0 ]; then
    echo "failed: ${failed[*]}" >&2
    exit 1
fi
