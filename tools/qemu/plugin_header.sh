#!/bin/sh
# Prints the path of QEMU's plugin API header (include/qemu/qemu-plugin.h) of the pinned QEMU
# source (tools/qemu/VERSION), which the project's own plugins (tools/qemu/plugins/) are built
# against. Cached as ${XDG_CACHE_HOME:-$HOME/.cache}/doorbell-qemu/qemu-plugin-<version>.h: saved
# there by build.sh when it builds QEMU, else taken from Debian's source package once
# (apt-get source --download-only with build.sh's private deb-src list, apt_private.sh; about 80 MB,
# then only this file is kept).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
version=$(cat "$here/VERSION")
cache="${XDG_CACHE_HOME:-$HOME/.cache}/doorbell-qemu"
header="$cache/qemu-plugin-$(echo "$version" | tr ':~' '__').h"
if [ -s "$header" ]; then
    echo "$header"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src" "$cache"
. "$here/apt_private.sh"
apt_private "$work"
# shellcheck disable=SC2086
apt-get $aptopts -qq update >&2
# shellcheck disable=SC2086
(cd "$work/src" && apt-get $aptopts -qq source --download-only --only-source "qemu=$version" >&2)
orig=$(ls "$work"/src/qemu_*.orig.tar.*)
tar -xf "$orig" -C "$work/src" --wildcards '*/include/qemu/qemu-plugin.h'
cp "$(find "$work/src" -path '*/include/qemu/qemu-plugin.h' | head -1)" "$header.tmp.$$"
mv -f "$header.tmp.$$" "$header"
echo "$header"
