#!/bin/bash
# Builds basicdm as a new user would on a bare build host: a fresh Debian
# chroot with only the build dependencies (no kernel headers), a checkout
# made with umask 002, then configure, build, the unit tests and an install.
#
#   check-chroot.sh RELEASE CHROOT [REPO [REF]]
#
# RELEASE  a Debian suite: bookworm (12), trixie (13), ...
# CHROOT   where the chroot lives; made with mmdebstrap when it is not
#          there yet, reused as it is otherwise (delete it to start afresh)
# REPO REF the commit to check (default: this checkout's repository, HEAD)
#
# Needs root, mmdebstrap and git.  The mirror is the first one of this
# host's apt sources.  Every step runs even when one before it failed; the
# exit status is 1 when any failed.  The summary at the end names each
# step's result and every failed unit test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

release=${1:?usage: check-chroot.sh RELEASE CHROOT [REPO [REF]]}
root=${2:?usage: check-chroot.sh RELEASE CHROOT [REPO [REF]]}
repo=${3:-$(git -C "$here" rev-parse --show-toplevel)}
ref=${4:-HEAD}

# The build dependencies (README.md), without linux-headers-*: the module
# is not built here, only its DKMS sources installed.
build_deps=(build-essential cmake pkg-config libdevmapper-dev libudev-dev libsystemd-dev
	libconfig-dev libinih-dev libjson-c-dev libcmocka-dev)

# The first Debian mirror of this host's apt sources (deb822 or one-line).
host_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '/^URIs:/ { print $2; exit }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/) { print $i; exit } }' "$f"
	done
}

commit=$(git -C "$repo" rev-parse --verify "$ref^{commit}")
mirror=$(host_mirror | head -n1)
[ -n "$mirror" ] || { echo "check-chroot: no mirror in this host's apt sources" >&2; exit 2; }

if [ ! -f "$root/.basicdm-chroot" ]; then
	echo "check-chroot: making the $release chroot in $root" >&2
	rm -rf "$root"
	mmdebstrap --quiet --mode=root --variant=apt --include="$(IFS=,; echo "${build_deps[*]}")" \
		"$release" "$root" "deb $mirror $release main"
	touch "$root/.basicdm-chroot"
fi

# The checkout, as `umask 002; git clone` makes it: group-writable files.
src=/home/user/basicdm
rm -rf "$root$src" "$root/tmp/inst"
mkdir -p "$root/home/user"
(umask 002 && git clone --quiet --no-checkout "$repo" "$root$src" &&
	git -C "$root$src" checkout --quiet "$commit")

mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
trap 'umount "$root/proc"' EXIT

# Each step in the chroot, under umask 002 as well: name, then commands.
failed=()
step() {
	local name=$1
	shift
	echo "check-chroot: $release: $name" >&2
	if ! chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LANG=C.UTF-8 /bin/sh -c "umask 002 && cd $src && $*"; then
		failed+=("$name")
	fi
}
step configure cmake -S . -B build -DBASICDM_BUILD_MODULE=OFF -DCMAKE_INSTALL_PREFIX=/usr
step build cmake --build build -j"$(nproc)"
step ctest ctest --test-dir build --output-on-failure
step install DESTDIR=/tmp/inst cmake --install build

echo "== $release ($(cat "$root/etc/debian_version")), commit $commit"
for s in configure build ctest install; do
	case " ${failed[*]} " in
	*" $s "*) echo "$s: FAILED" ;;
	*) echo "$s: ok" ;;
	esac
done
log=$root$src/build/Testing/Temporary/LastTestsFailed.log
[ -s "$log" ] && sed 's/^[0-9]*:/failed test: /' "$log"
[ -d "$root/tmp/inst" ] && echo "installed: $(cd "$root/tmp/inst" && find . -type f | wc -l) files" \
	"($(cd "$root/tmp/inst" && find . -type f | sort | tr '\n' ' '))"
[ ${#failed[@]} -eq 0 ]
