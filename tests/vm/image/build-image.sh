#!/bin/bash
# Builds the Debian guest image the VM tests boot, and caches it.
#
#   build-image.sh [--release RELEASE] KVER CACHE_DIR [VARIANT]
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
# The result lands in CACHE_DIR/<release>-<kver>-<variant>-<hash>/ (rootfs.img,
# vmlinuz, initrd.img), where <hash> covers the inputs in this folder that
# make this image (cache.sh), and devel's build dependencies: a cached
# image is reused until one of them changes.  Images of other releases,
# kernels and inputs stay in the cache, so test runs of several platforms
# (or branches) never evict each other's.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/sources.sh"
. "$here/cache.sh"

release=$(host_release)
if [ "${1:-}" = --release ]; then
	release=$2
	shift 2
fi
kver=${1:?usage: build-image.sh [--release RELEASE] KVER CACHE_DIR [VARIANT]}
cache=${2:?usage: build-image.sh [--release RELEASE] KVER CACHE_DIR [VARIANT]}
variant=${3:-runtime}

case $variant in
runtime) lists=(packages) size=2G extra="linux-image-$kver" ;;
devel) lists=(packages packages-devel) size=5G extra="linux-image-$kver,linux-headers-$kver" ;;
*) echo "build-image: unknown variant '$variant'" >&2; exit 2 ;;
esac
# the packages whose names differ between releases (library sonames)
[ -f "$here/packages-$release" ] && lists+=("packages-$release")
# devel's build dependencies, as apt-get install arguments: names, and apt
# patterns for the relations with alternatives (each its own --include);
# no packaging tools, no test ones (the README's build has BUILD_TESTING=OFF)
deps=()
if [ "$variant" = devel ]; then
	list=$("$here/../../../debian/build-depends.sh" --apt --cmake -P nocheck)
	mapfile -t deps <<<"$list"
fi

key=$(cd "$here" && cache_key "$release $kver $variant${deps[*]:+ ${deps[*]}}" \
	$(find build-image.sh sources.sh cache.sh overlay "${lists[@]}" -type f | LC_ALL=C sort))
out=$cache/$release-$kver-$variant-$key
if cache_lookup "$out"; then
	echo "$out"
	exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

packages=$(cd "$here" && cat "${lists[@]}" | grep -v '^#' | xargs | tr ' ' ,)
includes=(--include="$packages,$extra")
for d in "${deps[@]}"; do
	case $d in
	\?*) includes+=(--include="$d") ;;
	*) includes[0]+=",$d" ;;
	esac
done
sources=()
if [ "$release" != "$(host_release)" ]; then
	mapfile -t sources < <(release_sources "$release")
	[ ${#sources[@]} -gt 0 ] || { echo "build-image: no apt sources for $release" >&2; exit 2; }
fi
echo "build-image: debootstrapping the $release $variant image for $kver into $work" >&2
# With no source given, mmdebstrap takes this host's apt sources.  dpkg
# skips its fsync of every file it unpacks (the tree is copied into a new
# file system below, and a crash means a new build), and the guest's dpkg
# does not inherit the option: it installs as an administrator's does.
mmdebstrap --quiet --mode=root --variant=minbase "${includes[@]}" --dpkgopt=force-unsafe-io \
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
