# Sourced by build.sh and plugin_header.sh: apt_private DIR writes a private APT configuration
# under DIR/apt (only Debian bookworm's deb-src lines, its own package lists, so nothing under
# /etc/apt is touched) and sets aptopts to the apt-get options that use it.
apt_private() {
    mkdir -p "$1/apt/lists/partial"
    cat >"$1/apt/sources.list" <<EOS
deb-src http://deb.debian.org/debian bookworm main
deb-src http://deb.debian.org/debian bookworm-updates main
deb-src http://deb.debian.org/debian-security bookworm-security main
EOS
    aptopts="-o Dir::Etc::SourceList=$1/apt/sources.list -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$1/apt/lists"
}
