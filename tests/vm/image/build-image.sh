#!/bin/bash
# Builds the Debian guest image the VM tests boot, and caches it.
#
#   build-image.sh KVER CACHE_DIR [VARIANT]
#
# KVER is the kernel release the module is built against (the
# linux-headers-KVER on this host); the image gets exactly that
# linux-image-KVER, so the module always matches the kernel it runs on.
# VARIANT "runtime" (default) holds what the tests use; "devel" adds the
# tool chain, headers and DKMS, to build and install basicdm inside the
# guest as a user would.
# The result lands in CACHE_DIR/<key>/ (rootfs.img, vmlinuz, initrd.img),
# where <key> hashes KVER and the inputs in this folder: a cached image is
# reused until one of them changes.
set -euo pipefail

kver=${1:?usage: build-image.sh KVER CACHE_DIR [VARIANT]}
cache=${2:?usage: build-image.sh KVER CACHE_DIR [VARIANT]}
variant=${3:-runtime}
here=$(cd "$(dirname "$0")" && pwd)

case $variant in
runtime) lists=(packages) size=2G extra="linux-image-$kver" ;;
devel) lists=(packages packages-devel) size=5G extra="linux-image-$kver,linux-headers-$kver" ;;
*) echo "build-image: unknown variant '$variant'" >&2; exit 2 ;;
esac

key=$( (echo "$kver $variant"; cd "$here" && find . -type f | LC_ALL=C sort | xargs cat) |
	sha256sum | cut -c1-16)
out=$cache/$key
if [ -f "$out/ready" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

packages=$(cd "$here" && cat "${lists[@]}" | grep -v '^#' | xargs | tr ' ' ,)
echo "build-image: debootstrapping the $variant image for $kver into $work" >&2
# No mirror named: mmdebstrap takes this host's apt sources.
mmdebstrap --quiet --mode=root --variant=minbase \
	--include="$packages,$extra" \
	--customize-hook="cp -a '$here/overlay/.' \"\$1/\"" \
	--customize-hook='chroot "$1" sh /usr/local/lib/basicdm-vm/setup-guest' \
	bookworm "$work/root" >&2

cp "$work/root/boot/vmlinuz-$kver" "$work/vmlinuz"
cp "$work/root/boot/initrd.img-$kver" "$work/initrd.img"
rm -rf "$work"/root/boot/initrd.img-* "$work"/root/var/cache/apt/archives/*.deb

# sparse: room for the scenarios' backing files (and a build, in devel)
truncate -s "$size" "$work/rootfs.img"
mkfs.ext4 -q -F -L basicdm-vm -d "$work/root" "$work/rootfs.img"
rm -rf "$work/root"

echo "$variant" > "$work/variant"
touch "$work/ready"
rm -rf "$out"
mv "$work" "$out"
trap - EXIT
# an image of this variant with other inputs is stale now
for old in "$cache"/*/variant; do
	[ -f "$old" ] && [ "$(cat "$old")" = "$variant" ] && [ "${old%/variant}" != "$out" ] &&
		rm -rf "${old%/variant}"
done
echo "$out"
