#!/bin/sh
# Installs the Debian 12 packages Roomkeeper needs to build and run; with --test, also
# what the test suite needs. Safe to run again: it installs only what is missing and
# does nothing (and needs no network) when everything is there. Works as root, or as a
# user with sudo.
set -eu

packages="build-essential cmake ninja-build pkg-config qt6-base-dev qt6-websockets-dev
libqt6sql6-sqlite qt6-qpa-plugins libgl-dev fonts-dejavu-core file libqrencode-dev"
if [ "${1:-}" = "--test" ]; then
    # tests/e2e: Chromium, and Node.js 18.15 or newer with npm (Debian 12's nodejs is 18.20).
    # npm fetches playwright-core over HTTPS with the CA bundle of ca-certificates (Debian's
    # npm depends on it, but npm may come from elsewhere; nodejs only recommends it).
    packages="$packages clang-format openssl chromium nodejs$(command -v npm >/dev/null 2>&1 || echo " npm")"
    packages="$packages ca-certificates"
    # tests/stages: libFuzzer (tests/fuzz) needs clang 14 and its runtimes; gcc's
    # sanitizer runtimes come with build-essential.
    packages="$packages clang-14 libclang-rt-14-dev"
    # tests/faults/tst_storefaults: another process holding SQLite's lock; disk images.
    packages="$packages sqlite3 e2fsprogs util-linux"
fi

missing=""
for p in $packages; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
else
    echo "install-deps: these packages are missing:$missing" >&2
    echo "install-deps: run this script as root, or install sudo" >&2
    exit 1
fi

echo "install-deps: installing$missing"
$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
