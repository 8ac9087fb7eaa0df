#!/bin/bash
# A local apt repository with Debian 12's 6.12 kernel and its headers, for
# a guest without network to `apt install` them as an admin would
# (the dkms-kernel-upgrade scenario).
#
#   kernel-debs.sh IMAGE_DIR
#
# The kernel is the one linux-image-6.12-amd64 names in this host's apt
# lists.  apt downloads the packages, and every dependency the image does
# not have yet, judged against the image's own dpkg status; dpkg-scanpackages
# indexes them.  Prints the folder (IMAGE_DIR/kernel-debs-<kver>), kept with
# the image.
set -euo pipefail
image=${1:?usage: kernel-debs.sh IMAGE_DIR}

meta=linux-image-6.12-amd64
kver=$(apt-cache depends "$meta" 2>/dev/null |
	sed -n 's/^ *Depends: linux-image-\(6\.12\.[^ ]*-amd64\)$/\1/p' | head -n 1)
[ -n "$kver" ] || { echo "kernel-debs: $meta names no kernel (apt-get update?)" >&2; exit 1; }
out=$image/kernel-debs-$kver
if [ -f "$out/Packages" ]; then
	echo "$out"
	exit 0
fi

work=$(mktemp -d "$image/.debs.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debs/partial"
debugfs -R "cat /var/lib/dpkg/status" "$image/rootfs.img" > "$work/status" 2>/dev/null
[ -s "$work/status" ] || { echo "kernel-debs: no dpkg status in $image/rootfs.img" >&2; exit 1; }
echo "kernel-debs: downloading linux-image-$kver, linux-headers-$kver and what they need" >&2
apt-get -q -o Dir::State::status="$work/status" -o Dir::Cache::archives="$work/debs" \
	-o Debug::NoLocking=1 --download-only --no-install-recommends -y \
	install "linux-image-$kver" "linux-headers-$kver" >&2
rmdir "$work/debs/partial"
(cd "$work/debs" && dpkg-scanpackages --multiversion . > Packages 2>/dev/null)
echo "$kver" > "$work/debs/kver"
rm -rf "$out"
mv "$work/debs" "$out"
echo "$out"
