#!/bin/bash
# Builds basicdm natively for another Debian release, for that platform's VM
# tests: configures and builds SRC in a build chroot of RELEASE
# (image/build-chroot.sh), against that release's kernel headers, and
# stages the VM payload in BUILD/tests/vm/payload (the module, the daemon,
# the installed tree; "platform" names the release and kernel).
#
#   platform-build.sh RELEASE SRC BUILD      (as root; BASICDM_VM_CACHE)
#   platform-build.sh --unit RELEASE SRC BUILD
#
# --unit runs the unit tests of that build in the chroot: the same corpus
# and expected output (tests/unit/data) on that release's libraries.
#
# SRC (read-only) and BUILD are bind-mounted at the same paths inside the
# chroot, in a mount namespace of their own that goes away with the build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
step=build
if [ "${1:-}" = --unit ]; then
	step=unit
	shift
fi
release=${1:?usage: platform-build.sh RELEASE SRC BUILD}
src=$(cd "${2:?usage: platform-build.sh RELEASE SRC BUILD}" && pwd)
build=${3:?usage: platform-build.sh RELEASE SRC BUILD}
mkdir -p "$build"
build=$(cd "$build" && pwd)

root=$("$here/image/build-chroot.sh" "$release" "${BASICDM_VM_CACHE:?}")
kver=$(cat "$root/kver")
echo "platform-build: $release, kernel $kver, chroot $root"

# The build step runs in the chroot; the source and build trees keep their
# paths, so the build tree also works from the host's side.
unshare --mount --propagation private /bin/bash -euc '
	root=$1 src=$2 build=$3 kver=$4 step=$5
	mkdir -p "$root$src" "$root$build"
	mount --bind "$src" "$root$src"
	mount -o remount,bind,ro "$root$src"
	mount --bind "$build" "$root$build"
	mount -t proc proc "$root/proc"
	in_root() {
		chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			LANG=C.UTF-8 "$@"
	}
	if [ "$step" = unit ]; then
		in_root ctest --test-dir "$build" --output-on-failure -L "^unit\$"
		exit
	fi
	in_root cmake -S "$src" -B "$build" -DCMAKE_INSTALL_PREFIX=/usr \
		-DBASICDM_KDIR="/usr/src/linux-headers-$kver" -DBASICDM_VM_TESTS=PAYLOAD > /dev/null
	# everything: the payload, and the unit tests for --unit
	in_root cmake --build "$build" -j"$(nproc)"
' platform-build "$root" "$src" "$build" "$kver" "$step"
if [ "$step" = build ]; then
	echo "platform-build: payload $(cat "$build/tests/vm/payload/platform")"
fi
