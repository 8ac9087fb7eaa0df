#!/bin/bash
# Builds the Debian packages from this tree, for the release of the host
# it runs on (or of the chroot it is run in):
#   OUTDIR/basicdm_<version>_<arch>.deb
#   OUTDIR/basic-target-dkms_<version>_all.deb
# then checks them with lintian (no error, no warning) when it is there.
#
#   build-debs.sh OUTDIR
#
# dpkg-buildpackage runs in a copy of the tree under OUTDIR, so nothing is
# written beside the checkout; the copy is what git tracks or would track
# (edits not yet committed included), without build directories.  Needs
# the Build-Depends of debian/control; uses nothing from the network.
set -euo pipefail

out=${1:?usage: build-debs.sh OUTDIR}
src=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n '1s/^basicdm (\([^)]*\)).*/\1/p' "$src/debian/changelog")
[ -n "$version" ] || { echo "build-debs: no version in debian/changelog" >&2; exit 1; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/build.log"
work=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree=$work/basicdm-$version
mkdir -p "$tree"

if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$src" ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			[ -e "$src/$f" ] && printf '%s\0' "$f"
		done |
		tar -C "$src" --null -T - -cf - | tar -C "$tree" -xf -
else
	tar -C "$src" --exclude='./build*' --exclude='./obj-*' --exclude=./.git -cf - . |
		tar -C "$tree" -xf -
fi

echo "build-debs: building basicdm $version in $tree" >&2
(cd "$tree" && DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1) || {
	tail -n 40 "$work/build.log" >&2
	cp "$work/build.log" "$out/build.log"
	echo "build-debs: dpkg-buildpackage failed (the end of its log is above, all of it in $out/build.log)" >&2
	exit 1
}

arch=$(dpkg-architecture -qDEB_HOST_ARCH)
debs=("basicdm_${version}_${arch}.deb" "basic-target-dkms_${version}_all.deb")
rm -f "$out"/basicdm_*.deb "$out"/basic-target-dkms_*.deb
for d in "${debs[@]}"; do
	mv "$work/$d" "$out/"
done
printf 'build-debs: %s\n' "${debs[@]/#/$out/}" >&2

if command -v lintian >/dev/null; then
	(cd "$out" && lintian --fail-on error,warning "${debs[@]}") ||
		{ echo "build-debs: lintian found errors or warnings (above)" >&2; exit 1; }
	echo "build-debs: lintian: no error, no warning" >&2
fi
