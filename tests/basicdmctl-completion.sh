#!/bin/bash
# The bash completion against basicdmctl's command table, no daemon needed:
#
#   basicdmctl-completion.sh BASICDMCTL COMPLETION
#
# The table is read from `BASICDMCTL --help` here with awk, not with the
# completion's own reader.  The first word completes as every command and
# nothing else; each argument of each command as its synopsis says (NAME
# the daemon's volumes, PATH files, "on|off" both, a word itself); then
# what the VM scenario ctl-commands checks of the completion, with the
# volume names a daemon would give.  Prints every disagreement, exits 1
# when there is one.
set -uo pipefail

bin=${1:?usage: basicdmctl-completion.sh BASICDMCTL COMPLETION}
completion=${2:?usage: basicdmctl-completion.sh BASICDMCTL COMPLETION}

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ln -s "$(realpath "$bin")" "$dir/basicdmctl"
PATH=$dir:$PATH
# shellcheck source=/dev/null
. "$completion"

bad=0
expect_eq() {
	if [ "$2" != "$3" ]; then
		echo "completion: $1: expected '$2', got '$3'" >&2
		bad=1
	fi
}
expect_has() {
	local w
	for w in $2; do
		if [[ " $3 " != *" $w "* ]]; then
			echo "completion: $1: '$w' missing from '$3'" >&2
			bad=1
		fi
	done
}

# complete_words WORD...: what completing the last word offers, sorted, on one line.
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_basicdmctl
	printf '%s\n' "${COMPREPLY[@]}" | sort | xargs
}

synopses=$(basicdmctl --help | awk '
	/^Commands:$/ { on = 1; next }
	on && /^$/ { exit }
	on && /^  [^ ]/ { sub(/^  /, ""); sub(/  .*/, ""); print }')
[ -n "$synopses" ] || { echo "completion: no commands in basicdmctl --help" >&2; exit 1; }
commands=$(printf '%s\n' "$synopses" | cut -d' ' -f1 | sort -u | xargs)

# ---- no daemon ----
expect_eq "the commands, no daemon" "$commands" \
	"$(complete_words basicdmctl --socket "$dir/none" '')"
expect_eq "no volume names without a daemon" "" \
	"$(complete_words basicdmctl --socket "$dir/none" activate '')"

# ---- every command's arguments, from its synopsis ----
fake_volumes=(a b c dev witness)
# shellcheck disable=SC2317  # the completion calls it
_basicdmctl_volumes() { printf '%s\n' "${fake_volumes[@]}"; }

expect_eq "the commands" "$commands" "$(complete_words basicdmctl '')"
while read -r -a synopsis; do
	typed=(basicdmctl)
	for token in "${synopsis[@]}"; do
		token=${token#\[}
		token=${token%]}
		case $token in
		NAME)
			expect_has "${typed[*]} $token" "${fake_volumes[*]}" "$(complete_words "${typed[@]}" '')"
			typed+=(a)
			;;
		PATH | FILE)
			expect_has "${typed[*]} $token" "$dir/basicdmctl" \
				"$(complete_words "${typed[@]}" "$dir/basic")"
			typed+=(/x)
			;;
		[[:upper:]]*)
			echo "completion: '${synopsis[*]}': the completion does not know $token" >&2
			bad=1
			typed+=(x)
			;;
		*)
			expect_has "${typed[*]} $token" "${token//|/ }" "$(complete_words "${typed[@]}" '')"
			typed+=("${token%%|*}")
			;;
		esac
	done
	# after the last argument nothing, but where a longer command goes on ("stats reset")
	same_word=$(printf '%s\n' "$synopses" | grep -c "^${typed[1]}\( \|$\)")
	if [ "$same_word" -eq 1 ]; then
		expect_eq "${typed[*]} (all its arguments)" "" "$(complete_words "${typed[@]}" '')"
	fi
done <<<"$synopses"

# ---- what ctl-commands checks in the VM ----
expect_eq "st..." "stats status" "$(complete_words basicdmctl st)"
expect_eq "volume names" "a b c dev witness" "$(complete_words basicdmctl deactivate '')"
expect_eq "after an option" "a b c dev witness" "$(complete_words basicdmctl --json status '')"
expect_eq "trace NAME on|off" "off on" "$(complete_words basicdmctl trace b '')"
expect_eq "stats: reset or a volume" "a b c dev reset witness" "$(complete_words basicdmctl stats '')"
expect_eq "stats reset NAME" "witness" "$(complete_words basicdmctl stats reset w)"
expect_eq "options" "--json" "$(complete_words basicdmctl --j)"
expect_eq "--no-block" "--no-block" "$(complete_words basicdmctl --n)"
expect_eq "after --timeout" "infinity" "$(complete_words basicdmctl --timeout '')"
expect_eq "a command after --timeout N" "activate" "$(complete_words basicdmctl --timeout 5 act)"
expect_eq "nothing after the last argument" "" "$(complete_words basicdmctl activate a '')"
expect_has "check PATH: files" "$dir/basicdmctl" "$(complete_words basicdmctl check "$dir/b")"
expect_eq "--output FILE: files" "$dir/basicdmctl" "$(complete_words basicdmctl --output "$dir/b")"

exit $bad
