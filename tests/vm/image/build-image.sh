#!/bin/bash
# Builds the Debian guest image the VM tests boot, and caches it.
#
#   build-image.sh [--release RELEASE] KVER CACHE_DIR [VARIANT]
#   build-image.sh [--release RELEASE] --base-only CACHE_DIR
#
# RELEASE is the Debian release of the guest (default: this host's, e.g.
# bookworm); its apt sources are this host's, with the codename replaced
# (sources.sh), so no mirror is named here.  KVER is the kernel release the
# module is built against; the image gets exactly that linux-image-KVER of
# RELEASE, so the module always matches the kernel it runs on.
# VARIANT "runtime" (default) holds what the tests use; "devel" adds the
# build dependencies the README's CMake install needs (debian/control's
# Build-Depends but the packaging and test ones, read by
# debian/build-depends.sh), DKMS and the kernel headers, to build and
# install basicdm inside the guest as a user would.
# Every image of a release starts from one base: that release's packages
# of the runtime list without a kernel (CACHE_DIR/<release>-base-<hash>/
# base.tar), made once with mmdebstrap; an image is the base with its
# kernel and its variant's packages installed by apt.  Three images of
# Debian 12 (two kernels, two variants) thus install its ~170 common
# packages once, not three times.  --base-only makes or finds the base and
# prints its folder (a ctest fixture, so that two images of a release do
# not wait on one another's base).
# The result lands in CACHE_DIR/<release>-<kver>-<variant>-<hash>/ (rootfs.img,
# vmlinuz, initrd.img), where <hash> covers the inputs in this folder that
# make this image (cache.sh), and devel's build dependencies: a cached
# image is reused until one of them changes.  Images of other releases,
# kernels and inputs stay in the cache, so test runs of several platforms
# (or branches) never evict each other's.
set -euo pipefail
# and inside $(...) too: base_of runs there, and must stop at a failed step
# rather than commit a half-made base to the cache
shopt -s inherit_errexit
here=$(cd "$(dirname "$0")" && pwd)
. "$here/sources.sh"
. "$here/cache.sh"

usage="usage: build-image.sh [--release RELEASE] KVER|--base-only CACHE_DIR [VARIANT]"
release=$(host_release)
if [ "${1:-}" = --release ]; then
	release=$2
	shift 2
fi
kver=${1:?$usage}
cache=${2:?$usage}
variant=${3:-runtime}

sources=()
if [ "$release" != "$(host_release)" ]; then
	mapfile -t sources < <(release_sources "$release")
	[ ${#sources[@]} -gt 0 ] || { echo "build-image: no apt sources for $release" >&2; exit 2; }
fi

# list_packages FILE...: the package names in these lists of this folder,
# one a line ("#" starts a comment line)
list_packages() { (cd "$here" && cat "$@" | grep -v '^#' | xargs -n1); }

# base_of: the release's base, made under a lock when missing; prints its
# folder.  The packages whose names differ between releases (library
# sonames) are in packages-RELEASE.
base_lists=(packages)
[ -f "$here/packages-$release" ] && base_lists+=("packages-$release")
base_of() {
	local key dir packages lock
	key=$(cd "$here" && cache_key "$release base" build-image.sh sources.sh cache.sh "${base_lists[@]}")
	dir=$cache/$release-base-$key
	mkdir -p "$cache"
	exec {lock}> "$cache/$release-base.lock"
	flock "$lock"
	if ! cache_lookup "$dir"; then
		base_work=$(mktemp -d "$cache/.build.XXXXXX")
		trap 'rm -rf "$base_work"' EXIT
		packages=$(list_packages "${base_lists[@]}" | paste -sd,)
		echo "build-image: debootstrapping the $release base into $base_work" >&2
		# With no source given, mmdebstrap takes this host's apt sources.
		# dpkg skips its fsync of every file it unpacks (the tree becomes a
		# new file system, and a crash means a new build); each image takes
		# the option out again, so the guest's dpkg installs as an
		# administrator's does.
		mmdebstrap --quiet --mode=root --variant=minbase --include="$packages" \
			--dpkgopt=force-unsafe-io "$release" "$base_work/base.tar" "${sources[@]}" >&2
		cache_commit "$base_work" "$dir"
		trap - EXIT
	fi
	exec {lock}>&-
	echo "$dir"
}

if [ "$kver" = --base-only ]; then
	base_of
	exit
fi

case $variant in
runtime) lists=() size=2G installs=("linux-image-$kver") ;;
devel) lists=(packages-devel) size=5G installs=("linux-image-$kver" "linux-headers-$kver") ;;
*) echo "build-image: unknown variant '$variant'" >&2; exit 2 ;;
esac
# devel's build dependencies, as apt-get install arguments: names, and apt
# patterns for the relations with alternatives; no packaging tools, no
# test ones (the README's build has BUILD_TESTING=OFF)
deps=()
if [ "$variant" = devel ]; then
	list=$("$here/../../../debian/build-depends.sh" --apt --cmake -P nocheck)
	mapfile -t deps <<<"$list"
fi

key=$(cd "$here" && cache_key "$release $kver $variant${deps[*]:+ ${deps[*]}}" \
	$(find build-image.sh sources.sh cache.sh overlay "${base_lists[@]}" "${lists[@]}" -type f | LC_ALL=C sort))
out=$cache/$release-$kver-$variant-$key
if cache_lookup "$out"; then
	echo "$out"
	exit 0
fi

base=$(base_of)
work=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ ${#lists[@]} -gt 0 ]; then
	mapfile -t more < <(list_packages "${lists[@]}")
	installs+=("${more[@]}")
fi
installs+=("${deps[@]}")
echo "build-image: the $release $variant image for $kver: the base and ${installs[*]}" >&2
# The initramfs the runner boots (vmrun.py: -kernel, -initrd, root=/dev/vda)
# needs only the root's disk and file system: the kernel's install makes
# it with these two files (6 s, 9 MB), which then go, so that the guest's
# own update-initramfs has Debian's MODULES=most (55 s, 33 MB here).
runner_conf=/etc/initramfs-tools/conf.d/basicdm-vm-runner
runner_modules=/usr/share/initramfs-tools/modules.d/basicdm-vm-runner
# The base unpacked (without its /dev: mmdebstrap makes the chroot's own),
# the package lists fetched again, then apt as an administrator runs it,
# without recommends as mmdebstrap installs, in mmdebstrap's chroot (its
# mounts, no service started).
mmdebstrap --quiet --mode=root --variant=custom \
	--setup-hook="mmtarfilter '--path-exclude=/dev/*' < '$base/base.tar' | tar -C \"\$1\" -x" \
	--customize-hook="echo MODULES=list > \"\$1$runner_conf\" &&
		printf '%s\n' virtio_pci virtio_blk ext4 > \"\$1$runner_modules\"" \
	--customize-hook="chroot \"\$1\" apt-get install --yes --quiet --no-install-recommends ${installs[*]@Q} >&2" \
	--customize-hook="rm \"\$1$runner_conf\" \"\$1$runner_modules\"" \
	--customize-hook="cp -a '$here/overlay/.' \"\$1/\"" \
	--customize-hook='chroot "$1" sh /usr/local/lib/basicdm-vm/setup-guest' \
	--customize-hook='rm "$1/etc/dpkg/dpkg.cfg.d/99mmdebstrap"' \
	"$release" "$work/root" "${sources[@]}" >&2

cp "$work/root/boot/vmlinuz-$kver" "$work/vmlinuz"
cp "$work/root/boot/initrd.img-$kver" "$work/initrd.img"
rm -rf "$work"/root/boot/initrd.img-* "$work"/root/var/cache/apt/archives/*.deb

# sparse: room for the scenarios' backing files (and a build, in devel)
truncate -s "$size" "$work/rootfs.img"
mkfs.ext4 -q -F -L basicdm-vm -d "$work/root" "$work/rootfs.img"
rm -rf "$work/root"

echo "$release $kver $variant" > "$work/variant"
cache_commit "$work" "$out"
trap - EXIT
cache_drop_stale "$cache" "$out"
echo "$out"
