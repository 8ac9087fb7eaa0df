#!/bin/bash
# Checks that everything built says the project's one version, the top
# entry of debian/changelog: the installed tree's dkms.conf, basicdmctl
# --version and the manual pages, and the module's MODULE_VERSION.
#
#   check-version.sh SOURCE_DIR INSTALL_ROOT [MODULE.ko]
#
# INSTALL_ROOT is a DESTDIR of `cmake --install` (or debian/tmp).  Prints
# one line per disagreement and exits 1 when there is any.
set -euo pipefail

src=${1:?usage: check-version.sh SOURCE_DIR INSTALL_ROOT [MODULE.ko]}
root=${2:?usage: check-version.sh SOURCE_DIR INSTALL_ROOT [MODULE.ko]}
ko=${3:-}

version=$(sed -n '1s/^basicdm (\([^)]*\)).*/\1/p' "$src/debian/changelog")
[ -n "$version" ] || { echo "check-version: no version in $src/debian/changelog" >&2; exit 1; }
bad=0
differs() {
	echo "check-version: $1 says '$2', debian/changelog says '$version'" >&2
	bad=1
}

dkms=$root/usr/src/basic_target-$version/dkms.conf
if [ -f "$dkms" ]; then
	v=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$dkms")
	[ "$v" = "$version" ] || differs "$dkms" "$v"
else
	differs "the install tree" "$(ls -d "$root"/usr/src/basic_target-* 2>/dev/null | tr '\n' ' ')"
fi

v=$("$root/usr/sbin/basicdmctl" --version)
[ "$v" = "basicdmctl $version" ] || differs basicdmctl "$v"

for page in "$root"/usr/share/man/man*/*; do
	v=$(zcat -f "$page" | sed -n 's/^\.TH .*"basicdm \([^"]*\)".*/\1/p')
	[ "$v" = "$version" ] || differs "$page" "$v"
done

if [ -n "$ko" ]; then
	v=$(/sbin/modinfo -F version "$ko")
	[ "$v" = "$version" ] || differs "$ko" "$v"
fi

[ "$bad" = 0 ] && echo "check-version: $version everywhere"
exit "$bad"
