#!/bin/sh
# tools/debian/fetch.sh PKG... — download Debian binary packages with apt-get download and unpack
# each with dpkg-deb -x into ${XDG_CACHE_HOME:-$HOME/.cache}/doorbell-debian/<pkg>_<version>/;
# prints the unpacked directory of each package, one per line, in the order given.
# Idempotent: a package already unpacked is neither downloaded nor unpacked again.
# A kernel flavour meta package (linux-image-amd64, linux-image-cloud-amd64, ...) is resolved to
# the versioned package it depends on (linux-image-6.1.0-N-amd64). See tools/debian/README.md.
set -eu

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/doorbell-debian"
DEBS="$CACHE/debs"

die() { echo "debian/fetch: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: tools/debian/fetch.sh PKG... (prints the unpacked directory of each)"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this tool needs a Debian (bookworm) host"
command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb not found: apt-get install dpkg"

# The candidate version of $1, empty when apt does not know the package (or it is purely virtual).
candidate() {
	apt-cache show --no-all-versions "$1" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1
}

updated=0
ensure_known() {
	v=$(candidate "$1")
	if [ -z "$v" ] && [ "$updated" = 0 ]; then
		echo "debian/fetch: '$1' unknown to apt, running apt-get update once" >&2
		apt-get update -qq >&2 || die "apt-get update failed (run it as root, with network to the Debian mirrors)"
		updated=1
		v=$(candidate "$1")
	fi
	[ -n "$v" ] || die "no installable package '$1' (apt-cache show $1 finds no version)"
}

# linux-image-<flavour> meta packages depend on exactly one linux-image-<abi>-<flavour>.
resolve() {
	case "$1" in
	linux-image-[0-9]*|linux-headers-[0-9]*) echo "$1" ;;
	linux-image-*|linux-headers-*)
		case "$1" in linux-image-*) prefix=linux-image ;; *) prefix=linux-headers ;; esac
		ensure_known "$1"
		real=$(apt-cache show --no-all-versions "$1" | sed -n 's/^Depends: //p' | tr ',' '\n' \
			| sed 's/^ *//; s/ .*//' | grep "^$prefix-[0-9]" | head -n 1)
		[ -n "$real" ] || die "meta package '$1' depends on no $prefix-<version> package"
		echo "$real" ;;
	*) echo "$1" ;;
	esac
}

mkdir -p "$DEBS"
for want in "$@"; do
	pkg=$(resolve "$want")
	ensure_known "$pkg"
	ver=$(candidate "$pkg")
	# Debian's own file names write the epoch colon as %3a; so does the cache (no ':' in paths).
	fver=$(printf '%s' "$ver" | sed 's/:/%3a/g')
	dir="$CACHE/${pkg}_${fver}"
	if [ ! -f "$dir/.unpacked" ]; then
		deb=$(ls "$DEBS/${pkg}_${fver}_"*.deb 2>/dev/null | head -n 1 || true)
		if [ -z "$deb" ]; then
			echo "debian/fetch: downloading $pkg $ver" >&2
			(cd "$DEBS" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >&2) \
				|| die "apt-get download $pkg=$ver failed (network to the Debian mirrors?)"
			deb=$(ls "$DEBS/${pkg}_${fver}_"*.deb 2>/dev/null | head -n 1 || true)
			[ -n "$deb" ] || die "apt-get download $pkg=$ver left no ${pkg}_${fver}_*.deb in $DEBS"
		fi
		rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
		dpkg-deb -x "$deb" "$dir.tmp" || die "dpkg-deb -x $deb failed"
		echo "$pkg $ver $(basename "$deb")" > "$dir.tmp/.unpacked"
		rm -rf "$dir" && mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
done
