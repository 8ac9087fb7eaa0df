#!/bin/bash
# The QEMU the VM tests run, printed as a command: this host's own when it
# is version 10 or newer, else QEMU from this release's backports, fetched
# once into the cache and run from there (nothing is installed on the host).
#
#   emulator.sh CACHE_DIR
#
# Why: under software emulation the guest's time goes mostly into starting
# processes, and QEMU 10's TCG runs that 3 to 5 times faster than Debian
# 12's QEMU 7.2 (200 runs of /bin/true: 6.5 s on 7.2, 1.3 s on 10.0); a
# guest restored from a saved state also reboots in 40 s instead of
# 110 s on 7.2 (doc/testing.md, "How the VM proof works", Emulator).  Where the backports
# cannot be reached, the host's QEMU still works, only slower: that is said
# on stderr.
#
# CACHE_DIR/emulator-<release>-backports/ holds the unpacked packages, the
# wrapper "qemu-system-x86_64" (their firmware and module folders), and
# "version"; it is fetched once and reused while it is in use (cache.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/sources.sh"
. "$here/cache.sh"
cache=${1:?usage: emulator.sh CACHE_DIR}

major=$(qemu-system-x86_64 --version 2>/dev/null |
	sed -n 's/^QEMU emulator version \([0-9]*\)\..*/\1/p')
if [ "${major:-0}" -ge 10 ]; then
	echo qemu-system-x86_64
	exit 0
fi

release=$(host_release)
dir=$cache/emulator-$release-backports
mkdir -p "$cache"
exec 9> "$cache/emulator.lock"
flock 9
if cache_lookup "$dir"; then
	echo "$dir/qemu-system-x86_64"
	exit 0
fi

fallback() {
	echo "emulator: $1; the VM tests run on this host's QEMU ${major:-?}, several times slower" >&2
	echo qemu-system-x86_64
	exit 0
}

# the host's own mirror for its release, with the backports suite
line=$(release_sources "$release" | awk -v r="$release" '$3 == r { print; exit }')
[ -n "$line" ] || fallback "no apt source for $release on this host"
read -r _ uri _ <<<"$line"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
opt=""
[ -f "$keyring" ] && opt="[signed-by=$keyring] "

work=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/debs" "$work/root"
echo "deb ${opt}$uri $release-backports main" > "$work/sources.list"
apt=(apt-get -q -o Dir::Etc::sourcelist="$work/sources.list" -o Dir::Etc::sourceparts=/nonexistent
	-o Dir::State::Lists="$work/lists" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
	-o Debug::NoLocking=1 -o APT::Sandbox::User=root)
echo "emulator: fetching QEMU from $release-backports (once; kept in $dir)" >&2
"${apt[@]}" update >&2 || fallback "apt could not read $release-backports"
# -system-x86: the emulator; -common: its modules (USB, display);
# -data and seabios: the firmware it loads
(cd "$work/debs" && "${apt[@]}" download qemu-system-x86 qemu-system-common qemu-system-data seabios >&2) ||
	fallback "apt could not download QEMU from $release-backports"
for deb in "$work"/debs/*.deb; do
	dpkg-deb -x "$deb" "$work/root"
done
version=$(dpkg-deb -f "$work"/debs/qemu-system-x86_*.deb Version)
rm -rf "$work/debs" "$work/lists" "$work/sources.list"

cat > "$work/qemu-system-x86_64" <<'EOF'
#!/bin/sh
# QEMU unpacked from backports (emulator.sh), with its own modules and firmware
root=$(dirname "$(readlink -f "$0")")/root
export QEMU_MODULE_DIR="$root/usr/lib/x86_64-linux-gnu/qemu"
exec "$root/usr/bin/qemu-system-x86_64" -L "$root/usr/share/qemu" -L "$root/usr/share/seabios" "$@"
EOF
chmod +x "$work/qemu-system-x86_64"
missing=$(ldd "$work/root/usr/bin/qemu-system-x86_64" | awk '/not found/ { print $1 }' | tr '\n' ' ')
[ -z "$missing" ] || fallback "QEMU $version needs libraries this host lacks: $missing"
"$work/qemu-system-x86_64" --version > /dev/null || fallback "QEMU $version does not start here"
echo "$version" > "$work/version"
cache_commit "$work" "$dir"
trap - EXIT
echo "emulator: QEMU $version" >&2
echo "$dir/qemu-system-x86_64"
