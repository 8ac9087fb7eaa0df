#!/bin/bash
# Makes (or finds cached) a build chroot of another Debian release, where
# basicdm's userspace and its module are built natively for that release's
# guest (a trixie guest runs what trixie's gcc built against trixie's
# libraries and trixie's kernel headers).
#
#   build-chroot.sh RELEASE CACHE_DIR
#
# Prints the chroot's path, CACHE_DIR/chroot-<release>-<hash>/root, where
# <hash> covers this script, sources.sh and cache.sh (how the cache keeps
# and drops its entries): the chroot is made once with mmdebstrap from this
# host's apt sources with the codename replaced, and reused.  It holds the
# build dependencies of the README, cmocka, the release's
# linux-headers-amd64 and the packaging tools (debhelper, dh-dkms, lintian:
# debian/build-debs-release.sh builds that release's .debs in it); "kver"
# in it names that kernel release.  Needs root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/sources.sh"
. "$here/cache.sh"

release=${1:?usage: build-chroot.sh RELEASE CACHE_DIR}
cache=${2:?usage: build-chroot.sh RELEASE CACHE_DIR}

packages=(build-essential cmake pkg-config libdevmapper-dev libudev-dev libsystemd-dev
	libconfig-dev libinih-dev libjson-c-dev libcmocka-dev linux-headers-amd64
	debhelper dh-dkms lintian systemd-dev git)

key=$(cache_key "$release ${packages[*]}" "$here/build-chroot.sh" "$here/sources.sh" "$here/cache.sh")
out=$cache/chroot-$release-$key
if cache_lookup "$out"; then
	echo "$out/root"
	exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mapfile -t sources < <(release_sources "$release")
[ ${#sources[@]} -gt 0 ] || { echo "build-chroot: no apt sources for $release" >&2; exit 2; }
echo "build-chroot: making the $release build chroot in $work" >&2
mmdebstrap --quiet --mode=root --variant=apt --include="$(IFS=,; echo "${packages[*]}")" \
	"$release" "$work/root" "${sources[@]}" >&2
# the kernel release of the headers linux-headers-amd64 pulled in
chroot "$work/root" dpkg-query -W -f='${Depends}' linux-headers-amd64 |
	sed 's/^linux-headers-\([^ ,]*\).*/\1/' > "$work/root/kver"
[ -d "$work/root/usr/src/linux-headers-$(cat "$work/root/kver")" ] ||
	{ echo "build-chroot: no kernel headers in the chroot" >&2; exit 1; }
cache_commit "$work" "$out"
trap - EXIT
cache_drop_stale "$cache" "$out"
echo "$out/root"
