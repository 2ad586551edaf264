#!/bin/sh
# tools/debian/initramfs.sh OUT.cpio.gz DIR... — pack the directory trees DIR... (merged in order,
# a later tree's file replaces an earlier one's) plus Debian's busybox-static into a gzip'd newc
# cpio archive, the format the Linux kernel unpacks as its initramfs.
#   /bin/busybox and one symlink per applet (/bin/sh, /bin/mount, /sbin/insmod, ...) unless the
#   trees bring their own; /dev/console, /dev/null; empty /proc /sys /dev /tmp /run.
# The trees must provide an executable /init (the kernel runs it as PID 1).
# busybox-static comes from tools/debian/fetch.sh, cpio from Debian (installed when missing).
set -eu

die() { echo "debian/initramfs: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: tools/debian/initramfs.sh OUT.cpio.gz DIR... (DIRs hold /init)"
out=$1; shift
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v cpio >/dev/null 2>&1; then
	echo "debian/initramfs: installing cpio" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cpio >/dev/null 2>&1 \
	|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cpio >/dev/null; } \
	|| die "cpio missing and apt-get install cpio failed: run it as root"
fi

bb=$("$here/fetch.sh" busybox-static | tail -n 1)/bin/busybox
[ -x "$bb" ] || die "no $bb after fetching busybox-static"

stage=$(mktemp -d "${TMPDIR:-/tmp}/doorbell-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/sbin" "$stage/usr/bin" "$stage/usr/sbin" \
	"$stage/proc" "$stage/sys" "$stage/dev" "$stage/tmp" "$stage/run"
cp "$bb" "$stage/bin/busybox"
# Applet links first, so that a tree's own file of the same name replaces the link.
"$bb" --list-full | while read -r applet; do
	[ "$applet" = bin/busybox ] && continue
	ln -sf /bin/busybox "$stage/$applet"
done
for d in "$@"; do
	[ -d "$d" ] || die "'$d' is not a directory"
	(cd "$d" && tar cf - .) | (cd "$stage" && tar xf - --no-same-owner)
done
[ -x "$stage/init" ] || die "no executable /init in $* (the kernel runs /init from the initramfs)"
# The kernel opens /dev/console for /init before anything can mount devtmpfs.
mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || die "mknod /dev/console failed: run as root"
mknod -m 666 "$stage/dev/null" c 1 3
mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
