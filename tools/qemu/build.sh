#!/bin/sh
# Build the doorbell test platform: Debian bookworm's QEMU 7.2 source package
# plus the patches in tools/qemu/patches/, x86_64 softmmu with TCG and plugins
# only.  Outputs (relative to the repository root):
#   build/qemu/qemu-system-x86_64   the patched emulator
#   build/qemu/libinsn.so           the instruction-count plugin
#
# The result is cached under ${XDG_CACHE_HOME:-$HOME/.cache}/doorbell-qemu/
# keyed on the pinned source version and a hash of the patches and of the
# configure options, so it is rebuilt only when one of them changes.
#
# Environment:
#   QEMU_WORK_DIR  keep the unpacked source and build tree there instead of a
#                  temporary directory that is removed afterwards
#   QEMU_JOBS      parallel build jobs (default 2)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/build/qemu"
version=$(cat "$here/VERSION")
jobs=${QEMU_JOBS:-2}

# Build dependencies (Debian package names).  dpkg-dev provides dpkg-source
# for apt-get source; seabios and qemu-system-data provide the firmware and
# option ROMs the binary loads at run time (-L /usr/share/seabios
# -L /usr/share/qemu), since the build uses --disable-install-blobs.
deps="ca-certificates dpkg-dev build-essential python3 python3-venv ninja-build
meson pkg-config libglib2.0-dev libpixman-1-dev libfdt-dev zlib1g-dev patch
seabios qemu-system-data"

configure_opts="--target-list=x86_64-softmmu --enable-tcg --enable-plugins
--disable-install-blobs --without-default-features --enable-fdt=system
--disable-docs --disable-werror"

# The cache key: source version + patches + configure options.
patch_hash=$( (cat "$here"/patches/*.patch 2>/dev/null; echo "$configure_opts") |
    sha256sum | cut -c1-16)
key="$(echo "$version" | tr ':~' '__')-$patch_hash"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/doorbell-qemu/$key"

if [ -x "$out/qemu-system-x86_64" ] && [ "$(cat "$out/.key" 2>/dev/null)" = "$key" ]; then
    echo "qemu: up to date ($key)"
    exit 0
fi

install_out() {
    mkdir -p "$out"
    # copy then rename, so a concurrent run never sees a half-written binary
    cp "$cache/qemu-system-x86_64" "$out/qemu-system-x86_64.tmp.$$"
    cp "$cache/libinsn.so" "$out/libinsn.so.tmp.$$"
    mv -f "$out/qemu-system-x86_64.tmp.$$" "$out/qemu-system-x86_64"
    mv -f "$out/libinsn.so.tmp.$$" "$out/libinsn.so"
    echo "$key" >"$out/.key"
}

if [ -x "$cache/qemu-system-x86_64" ] && [ -f "$cache/libinsn.so" ]; then
    install_out
    echo "qemu: copied from cache $cache"
    exit 0
fi

start=$(date +%s)

missing=""
for p in $deps; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "qemu: installing build dependencies:$missing"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -q
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing
fi

if [ -n "${QEMU_WORK_DIR:-}" ]; then
    work="$QEMU_WORK_DIR"
    mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    trap 'exit 1' INT TERM
fi

# A private APT configuration (apt_private.sh): nothing under /etc/apt is touched.
. "$here/apt_private.sh"
apt_private "$work"
# shellcheck disable=SC2086
apt-get $aptopts -q update
rm -rf "$work/src"
mkdir -p "$work/src"
# shellcheck disable=SC2086
(cd "$work/src" && apt-get $aptopts -q source --only-source "qemu=$version")

dsc=$(ls "$work"/src/qemu_*.dsc)
got=$(sed -n 's/^Version: //p' "$dsc")
if [ "$got" != "$version" ]; then
    echo "qemu: got source version $got, pinned $version" >&2
    exit 1
fi
srcdir=$(find "$work/src" -mindepth 1 -maxdepth 1 -type d -name 'qemu-*')

for p in "$here"/patches/*.patch; do
    [ -e "$p" ] || continue
    echo "qemu: applying $(basename "$p")"
    patch -s -p1 -d "$srcdir" <"$p"
done

rm -rf "$work/build"
mkdir -p "$work/build"
# shellcheck disable=SC2086
(cd "$work/build" && "$srcdir/configure" $configure_opts >configure.log 2>&1) || {
    tail -30 "$work/build/configure.log" >&2
    exit 1
}
ninja -C "$work/build" -j"$jobs" qemu-system-x86_64 tests/plugin/libinsn.so

# Several clones may build at once: fill a private directory and rename it
# into place; if another build got there first, keep theirs.
mkdir -p "$(dirname "$cache")"
staging=$(mktemp -d "$cache.XXXXXX")
cp "$work/build/qemu-system-x86_64" "$work/build/tests/plugin/libinsn.so" "$staging/"
# the plugin API header, for the project's own plugins (plugin_header.sh)
header="$(dirname "$cache")/qemu-plugin-$(echo "$version" | tr ':~' '__').h"
cp "$srcdir/include/qemu/qemu-plugin.h" "$header.tmp.$$"
mv -f "$header.tmp.$$" "$header"
mv -T "$staging" "$cache" 2>/dev/null || rm -rf "$staging"
install_out
echo "qemu: built $key in $(($(date +%s) - start)) s"
