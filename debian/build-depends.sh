#!/bin/bash
# The build dependencies, read from their one list: the Build-Depends
# (-Arch, -Indep) of debian/control.  ./dev, the build chroot
# (tests/vm/image/build-chroot.sh) and the "devel" guest image
# (tests/vm/image/build-image.sh) install what this prints; the
# build-depends/agree test checks that nothing else keeps a copy.
#
#   build-depends.sh [--cmake] [-P PROFILE[,PROFILE...]] [--apt] [CONTROL]
#
# Prints one relation a line, as package names: build-essential first
# (Debian Policy makes it a build dependency of every package without
# naming it), version constraints dropped, alternatives kept as "a | b"
# (any one will do), debhelper's virtual names as the packages that
# provide them (debhelper-compat: debhelper; dh-sequence-dkms: dh-dkms).
#
# --cmake  only what the CMake build needs: no Debian packaging tools
#          (debhelper and its dh-* add-ons)
# -P       the build profiles that are on, as dpkg-buildpackage -P takes
#          them: "-P nocheck" leaves out libcmocka-dev <!nocheck>
# --apt    one argument for apt-get install (or mmdebstrap --include) a
#          line: a relation with alternatives becomes an apt pattern
#          selecting every one of them the release has, so the same line
#          serves releases that have only some of them (systemd-dev is
#          Debian 13's; Debian 12 has its files in systemd and udev)
# CONTROL  default: the debian/control beside this script
#
# Not all of dpkg's syntax: an architecture restriction ([amd64]) or a
# virtual name it knows no package for is an error, so that a
# Build-Depends it would misread fails build-depends/agree.
set -euo pipefail
usage="usage: build-depends.sh [--cmake] [-P PROFILE[,PROFILE...]] [--apt] [CONTROL]"
cmake=0 apt=0 profiles=
while [ $# -gt 0 ]; do
	case $1 in
	--cmake) cmake=1 ;;
	--apt) apt=1 ;;
	-P) profiles=${2:?$usage}; shift ;;
	-P*) profiles=${1#-P} ;;
	-*) echo "$usage" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
control=${1:-$(dirname "$0")/control}
[ $# -le 1 ] || { echo "$usage" >&2; exit 2; }
[ -r "$control" ] || { echo "build-depends: cannot read $control" >&2; exit 2; }

awk -v cmake="$cmake" -v apt="$apt" -v profiles="$profiles" '
function fail(msg) { print "build-depends: " FILENAME ": " msg > "/dev/stderr"; failed = 1; exit 1 }
function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
# the package one alternative names, or "" when its build profiles leave it out
function package(alt,    on, group, n, i, t, terms, name, words) {
	if (alt ~ /\[/)
		fail("architecture restrictions are not handled: " trim(alt))
	on = (alt !~ /</)	# no restriction: always
	while (match(alt, /<[^>]*>/)) {
		group = substr(alt, RSTART + 1, RLENGTH - 2)
		alt = substr(alt, 1, RSTART - 1) " " substr(alt, RSTART + RLENGTH)
		n = split(trim(group), terms, /[ \t]+/)
		t = 1
		for (i = 1; i <= n; i++)
			if (terms[i] ~ /^!/ ? (substr(terms[i], 2) in profile) : !(terms[i] in profile))
				t = 0
		if (t)
			on = 1	# the groups are alternatives: one that holds is enough
	}
	gsub(/\([^)]*\)/, " ", alt)	# version constraints
	split(trim(alt), words, /[ \t]+/)
	name = words[1]
	sub(/:(any|native)$/, "", name)
	if (name !~ /^[a-z0-9][a-z0-9+.-]+$/)
		fail("not a package name: \"" name "\"")
	if (name == "debhelper-compat")
		name = "debhelper"
	else if (name == "dh-sequence-dkms")
		name = "dh-dkms"
	else if (name ~ /^dh-sequence-/)
		fail("no package known for " name "; name its provider in build-depends.sh")
	if (!on || (cmake && (name == "debhelper" || name ~ /^dh-/)))
		return ""
	return name
}
function emit(line) {	# printed at the end, and only when all went well
	if (!(line in seen)) {
		seen[line] = 1
		out = out line "\n"
	}
}
BEGIN {
	n = split(profiles, p, /,/)
	for (i = 1; i <= n; i++)
		if (p[i] != "")
			profile[p[i]] = 1
	emit("build-essential")
}
/^#/ { next }
/^[ \t]*$/ { if (started) exit; next }	# the source paragraph only
{ started = 1 }
/^[^ \t]/ {
	field = tolower($0)
	sub(/:.*/, "", field)
	in_bd = (field ~ /^build-depends(-arch|-indep)?$/)
	if (in_bd) {
		found = 1
		value = $0
		sub(/^[^:]*:/, "", value)
		deps = deps "," value
	}
	next
}
in_bd { deps = deps " " $0 }
END {
	if (failed)
		exit 1
	if (!found)
		fail("no Build-Depends in the first paragraph")
	n = split(deps, rels, /,/)
	for (i = 1; i <= n; i++) {
		if (trim(rels[i]) == "")
			continue
		m = split(rels[i], alts, /\|/)
		line = ""; pattern = ""; k = 0
		delete in_rel
		for (j = 1; j <= m; j++) {
			name = package(alts[j])
			if (failed)
				exit 1
			if (name == "" || name in in_rel)
				continue
			in_rel[name] = 1
			k++
			line = line (k > 1 ? " | " : "") name
			pattern = pattern (k > 1 ? "," : "") "?exact-name(" name ")"
		}
		if (k == 0)
			continue
		if (apt && k > 1)
			line = "?and(?or(" pattern "),?not(?virtual))"
		emit(line)
	}
	printf "%s", out
}' "$control"
