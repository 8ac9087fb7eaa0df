# Helpers for the basicdmctl scenarios (ctl-*.sh), sourced after lib.sh.
# shellcheck shell=bash

# CTL_RAW: the raw client (tests/vm/tools/ctl-raw.c): stdin to the control
# socket verbatim, what the daemon sends to stdout.  Any user may run it.
# shellcheck disable=SC2034  # used by the scenarios
CTL_RAW=$PAYLOAD/tools/ctl-raw

# json_flat: basicdmctl's JSON on stdin as "path=value" lines (jsonflat.awk).
json_flat() { awk -f "$PAYLOAD/guest/jsonflat.awk"; }

# vol_json NAME: `basicdmctl status --json NAME` flattened, "volumes.0." cut off.
vol_json() {
	basicdmctl status --json "$1" | json_flat | sed -n 's/^volumes\.0\.//p'
}

# jv FLAT KEY: the value of KEY in flattened JSON (a vol_json result).
jv() { printf '%s\n' "$1" | awk -v k="$2=" 'index($0, k) == 1 { print substr($0, length(k) + 1); exit }'; }

# vol_state NAME: the volume's state as the daemon reports it.
vol_state() { jv "$(vol_json "$1")" state; }

# rc CMD...: the exit status of CMD, its output dropped.
rc() {
	"$@" >/dev/null 2>&1
	echo $?
}

# dm_counters NAME: the ten counters and trace|notrace of `dmsetup status`.
dm_counters() { dmsetup status "$1" | cut -d' ' -f4-; }

# is_state NAME STATE: for wait_until.
is_state() { [ "$(vol_state "$1")" = "$2" ]; }

# nodes_gone NAME: neither /dev/mapper/NAME nor /dev/basicdm/NAME is there,
# not even as a dangling link.
nodes_gone() {
	local n
	for n in "/dev/mapper/$1" "/dev/basicdm/$1"; do
		if [ -e "$n" ] || [ -L "$n" ]; then
			return 1
		fi
	done
}

# nodes_on_map NAME: /dev/mapper/NAME and /dev/basicdm/NAME both lead to
# the block device of map NAME, as dmsetup reports its number.
nodes_on_map() {
	local want
	want=$(dmsetup info -c --noheadings -o major,minor "$1" 2>/dev/null |
		tr -d ' ' | awk -F: '{ printf "%x:%x", $1, $2 }')
	[ -n "$want" ] &&
		[ "$(stat -L -c %t:%T "/dev/mapper/$1" 2>/dev/null)" = "$want" ] &&
		[ "$(stat -L -c %t:%T "/dev/basicdm/$1" 2>/dev/null)" = "$want" ]
}

# no_map NAME: device-mapper has no map of that name.
no_map() { ! dmsetup info "$1" >/dev/null 2>&1; }
