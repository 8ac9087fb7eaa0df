#!/bin/bash
# build-depends/agree: the Build-Depends of debian/control are the one
# list of the build dependencies.  Checks that debian/build-depends.sh
# reads them in every form its users ask for; that those users (./dev, the
# build chroot, the devel image) take them from it; that the lists those
# keep beside them (what they need beyond the build dependencies) repeat
# none of them, since a copy there would drift; and that the README either
# names none of the -dev packages or all those the CMake build needs.
#
#   check-build-depends.sh SOURCE_DIR
#
# Prints one line per disagreement and exits 1 when there is any.
set -euo pipefail

src=${1:?usage: check-build-depends.sh SOURCE_DIR}
reader=$src/debian/build-depends.sh
bad=0
differs() {
	echo "check-build-depends: $*" >&2
	bad=1
}

# The reader, in each form its users run it
for args in "" "--apt" "--cmake -P nocheck" "--apt --cmake -P nocheck"; do
	# shellcheck disable=SC2086 # the options, as words
	if ! out=$("$reader" $args); then
		differs "debian/build-depends.sh${args:+ $args} failed (its message is above)"
	elif [ -z "$out" ]; then
		differs "debian/build-depends.sh${args:+ $args} printed nothing"
	fi
done
[ $bad -eq 0 ] || exit 1
# every package a relation names, alternatives included
names=$("$reader" | tr ' ' '\n' | grep -v -e '^|$' -e '^$' | sort -u)

# Its users
for f in dev tests/vm/image/build-chroot.sh tests/vm/image/build-image.sh; do
	grep -q 'debian/build-depends\.sh' "$src/$f" ||
		differs "$f does not take the build dependencies from debian/build-depends.sh"
done

# array_words FILE VAR: the words of the bash array VAR=(...) in FILE
array_words() {
	awk -v var="$2" '
		!on && index($0, var "=(") == 1 { on = 1; sub(/^[^(]*\(/, "") }
		on {
			sub(/#.*/, "")
			if (sub(/\).*/, "")) { print; exit }
			print
		}' "$1" | tr -s ' \t' '\n' | grep -v '^$' || true
}

# extras WHERE WORD...: WHERE, a list of what is needed beyond the build
# dependencies, names none of them
extras() {
	local where=$1 w
	shift
	for w; do
		if grep -qxF -- "$w" <<<"$names"; then
			differs "$where names $w, a build dependency: it comes from debian/control's" \
				"Build-Depends (debian/build-depends.sh), so leave it out there"
		fi
	done
}
for spec in "dev host_extras" "tests/vm/image/build-chroot.sh extras"; do
	read -r f var <<<"$spec"
	words=$(array_words "$src/$f" "$var")
	[ -n "$words" ] || differs "$f: no $var=( ... ) list of what it needs beyond the build dependencies"
	# shellcheck disable=SC2086 # package names, as words
	extras "$f's $var" $words
done
# shellcheck disable=SC2046 # package names, as words
extras tests/vm/image/packages-devel $(grep -v '^#' "$src/tests/vm/image/packages-devel")

# The README: a list of the libraries there is the Build-Depends', whole
readme=$(tr -c 'a-z0-9+.\n-' '\n' <"$src/README.md" | grep -E '^[a-z0-9][a-z0-9+.-]*-dev$' | sort -u || true)
if [ -n "$readme" ]; then
	for w in $readme; do
		grep -qxF -- "$w" <<<"$names" ||
			differs "README.md names $w, which debian/control's Build-Depends does not"
	done
	for w in $("$reader" --cmake -P nocheck | grep -v '|' | grep -e '-dev$' || true); do
		grep -qxF -- "$w" <<<"$readme" ||
			differs "README.md names build dependencies but not $w, which debian/control's Build-Depends has"
	done
fi

exit $bad
