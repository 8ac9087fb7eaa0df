#!/bin/bash
# Runs, on the host, the depmod that the guest would run after copying the
# payload's module into /lib/modules/KVER/updates/basicdm: under emulation
# `depmod -a` reads the kernel's thousands of modules from a cold disk and
# takes 10 to 25 s of every boot; natively it takes about a second.  The
# guest's install_module copies the result when it is there for exactly
# its kernel and module, and runs depmod itself otherwise.
#
#   module-index.sh IMAGE_DIR KVER MODULE_DIR
#
# IMAGE_DIR: a cached image (build-image.sh); its /lib/modules/KVER is
# extracted once next to it (debugfs, read-only).  MODULE_DIR: the
# payload's module/, holding basic_target.ko; the output goes to
# MODULE_DIR/index-KVER-<hash of the .ko>/ (modules.dep, .alias, their
# .bin indexes ...), made in a temporary directory and renamed, so runs
# sharing the payload never see half of it.
set -euo pipefail
image=${1:?usage: module-index.sh IMAGE_DIR KVER MODULE_DIR}
kver=${2:?usage: module-index.sh IMAGE_DIR KVER MODULE_DIR}
moddir=${3:?usage: module-index.sh IMAGE_DIR KVER MODULE_DIR}
ko=$moddir/basic_target.ko

out=$moddir/index-$kver-$(sha256sum "$ko" | cut -c1-16)
[ -f "$out/modules.dep.bin" ] && exit 0

tree=$image/modules-$kver
if [ ! -d "$tree" ]; then
	tmp=$(mktemp -d "$image/.modules.XXXXXX")
	debugfs -R "rdump /lib/modules/$kver $tmp" "$image/rootfs.img" >/dev/null 2>&1
	[ -f "$tmp/$kver/modules.order" ] ||
		{ rm -rf "$tmp"; echo "module-index: no /lib/modules/$kver in $image" >&2; exit 1; }
	mv -T "$tmp/$kver" "$tree" 2>/dev/null || true	# another run may have been first
	rm -rf "$tmp"
fi

work=$(mktemp -d "$moddir/.index.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/lib/modules"
cp -al "$tree" "$work/root/lib/modules/$kver"	# hard links: nothing is copied
mkdir -p "$work/root/lib/modules/$kver/updates/basicdm"
cp "$ko" "$work/root/lib/modules/$kver/updates/basicdm/"
depmod -b "$work/root" "$kver"
mkdir "$work/out"
cp "$work/root/lib/modules/$kver"/modules.* "$work/out/"
mv -T "$work/out" "$out" 2>/dev/null || true
# the indexes of the modules built before this one
for old in "$moddir"/index-"$kver"-*; do
	[ "$old" = "$out" ] || rm -rf "$old"
done
