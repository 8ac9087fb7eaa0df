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
# and drops its entries) and the packages: the chroot is made once with
# mmdebstrap from this host's apt sources with the codename replaced, and
# reused.  It holds the build dependencies (debian/control's Build-Depends,
# debian/build-depends.sh; debian/build-debs-release.sh builds that
# release's .debs in it) and the extras below; "kver" in it names the
# release of the kernel headers.  Needs root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/sources.sh"
. "$here/cache.sh"

release=${1:?usage: build-chroot.sh RELEASE CACHE_DIR}
cache=${2:?usage: build-chroot.sh RELEASE CACHE_DIR}

# The build dependencies, as apt-get install arguments: names, and apt
# patterns for the relations with alternatives (mmdebstrap takes each
# pattern as an --include of its own)
list=$("$here/../../../debian/build-depends.sh" --apt)
mapfile -t deps <<<"$list"
# What else the chroot is for (no build dependency here: build-depends/agree
# checks it): the release's kernel headers for the module, lintian to check
# the .debs, git for build-debs.sh to copy the tree as git lists it
extras=(linux-headers-amd64 lintian git)
names=("${extras[@]}")
includes=()
for d in "${deps[@]}"; do
	case $d in
	\?*) includes+=(--include="$d") ;;
	*) names+=("$d") ;;
	esac
done
includes=(--include="$(IFS=,; echo "${names[*]}")" "${includes[@]}")

key=$(cache_key "$release ${deps[*]} ${extras[*]}" "$here/build-chroot.sh" "$here/sources.sh" "$here/cache.sh")
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
# dpkg without an fsync a file: a build chroot, made again if it breaks
mmdebstrap --quiet --mode=root --variant=apt "${includes[@]}" --dpkgopt=force-unsafe-io \
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
