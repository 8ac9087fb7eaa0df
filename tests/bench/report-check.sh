#!/bin/bash
# report.py --check against a quick bench's real samples (data/quick, a
# bench-quick run of 2026-12-07 on 6.1): they pass; with basic_target's
# reads made 1.5 % slower and the A/A of the fsync row 0.6 % off, the
# check fails and names both rows; on the wall clock it refuses.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
expect() { # WHAT COMMAND...: the command succeeds, else WHAT is reported
	local what=$1
	shift
	if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; status=1; fi
}
report() { python3 "$here/report.py" "$tmp/run" --check >"$tmp/out" 2>&1; }

cp -r "$here/data/quick" "$tmp/run"
expect "the real samples pass" report
expect "and say so" grep -q "check passed" "$tmp/out"

# scale a device's measured rounds (round 0 is the warm-up)
scale() { # WORKLOAD DEVICE FACTOR
	awk -F, -v OFS=, -v w="$1" -v d="$2" -v f="$3" \
		'NR > 1 && $1 != 0 && $2 == w && $3 == d { $4 = $4 * f } { print }' \
		"$tmp/run/raw/io.csv" >"$tmp/io" && mv "$tmp/io" "$tmp/run/raw/io.csv"
}
scale randread-4k-qd32 basic 0.985
scale randwrite-4k-fsync linear-aa 1.006
report && { echo "FAILED: doctored samples passed"; status=1; }
expect "the slow basic_target row is named" \
	grep -q "randread-4k-qd32: basic_target against dm-linear 0.98" "$tmp/out"
expect "the A/A row is named" grep -q "randwrite-4k-fsync: A/A (dm-linear against itself) 1.006" "$tmp/out"

cp "$here/data/quick/raw/io.csv" "$tmp/run/raw/io.csv"
sed -i 's/^clock,icount$/clock,wall/' "$tmp/run/raw/meta.csv"
report && { echo "FAILED: --check passed on the wall clock"; status=1; }
expect "the wall clock is refused" grep -q "needs the instruction-counting clock" "$tmp/out"
exit $status
