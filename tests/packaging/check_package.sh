#!/bin/bash
# Builds the .deb with CPack from the build tree and checks what it installs, then runs the
# packaged binary's --version from the unpacked package.
set -euo pipefail
build=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$build"
cpack -G DEB -B "$work" >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/roomkeeper_*.deb)
listing=$(dpkg-deb -c "$deb")
for path in ./usr/bin/roomkeeper \
    ./usr/share/applications/roomkeeper.desktop \
    ./usr/share/metainfo/io.github.roomkeeper.metainfo.xml \
    ./usr/share/icons/hicolor/scalable/apps/roomkeeper.svg \
    ./usr/share/man/man1/roomkeeper.1 \
    ./usr/lib/systemd/system/roomkeeper.service \
    ./etc/roomkeeper/roomkeeper.ini \
    ./etc/ufw/applications.d/roomkeeper; do
    grep -q " $path\$" <<<"$listing" || { echo "missing from the package: $path"; echo "$listing"; exit 1; }
done
control=$(dpkg-deb -f "$deb")
grep -q '^Depends:.*libqt6websockets6' <<<"$control" || { echo "no Qt WebSockets dependency:"; echo "$control"; exit 1; }
grep -q 'libqt6sql6-sqlite' <<<"$control" || { echo "no SQLite plugin dependency"; exit 1; }
dpkg-deb -e "$deb" "$work/control"
grep -qx '/etc/roomkeeper/roomkeeper.ini' "$work/control/conffiles" || { echo "config is not a conffile"; exit 1; }
dpkg-deb -x "$deb" "$work/root"
unit="$work/root/usr/lib/systemd/system/roomkeeper.service"
for key in NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes DynamicUser=yes "ExecStart=/usr/bin/roomkeeper --no-gui"; do
    grep -q "^$key" "$unit" || { echo "unit lacks $key"; exit 1; }
done
version=$("$work/root/usr/bin/roomkeeper" --version)
[[ "$version" =~ ^roomkeeper\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "bad --version: $version"; exit 1; }
echo "package ok: $(basename "$deb"), $version"
