#!/bin/bash
# Builds the Debian packages of this tree natively for another Debian
# release: debian/build-debs.sh run in that release's build chroot
# (tests/vm/image/build-chroot.sh, made on first use and cached under
# BASICDM_VM_CACHE), so the .debs link against that release's libraries
# and lintian is that release's.
#
#   build-debs-release.sh RELEASE OUTDIR        (as root)
#
# The chroot is only read from: the tree is bind-mounted read-only, OUTDIR
# writable, in a mount namespace that goes away with the build.
set -euo pipefail
usage="usage: build-debs-release.sh RELEASE OUTDIR"
release=${1:?$usage}
out=${2:?$usage}
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

root=$("$src/tests/vm/image/build-chroot.sh" "$release" "${BASICDM_VM_CACHE:-/var/cache/basicdm-vm}")
echo "build-debs-release: Debian $release packages, in $root" >&2
unshare --mount --propagation private /bin/bash -euc '
	root=$1 src=$2 out=$3
	mkdir -p "$root/src" "$root/out"
	mount --bind "$src" "$root/src"
	mount -o remount,bind,ro "$root/src"
	mount --bind "$out" "$root/out"
	mount -t proc proc "$root/proc"
	mount -t tmpfs tmpfs "$root/tmp"
	# the loop unit tests (dh_auto_test) read /sys/block
	mount --rbind /sys "$root/sys"
	# git: the tree as tracked (build-debs.sh copies what git lists); the
	# checkout belongs to another user than the chroot knows
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0="*" \
		DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-}" /src/debian/build-debs.sh /out
' build-debs-release "$root" "$src" "$out"
