# The control socket under abuse, through the raw client (ctl.sh's CTL_RAW, bytes as given):
# malformed, oversized, NUL-laden, unknown and pipelined requests get an
# error reply and a closed connection; a client that sends nothing is timed
# out; more clients than allowed get "busy", but root, with slots of its
# own, gets through a crowd of other users; a reader too slow for a big
# reply (1024 volumes) stalls nobody else.  Through all of it the daemon
# serves on: same PID, nothing changed, no error logged.
. "$PAYLOAD/guest/ctl.sh"
install_root
mkdir -p /var/lib/basicdm
# 1023 device volumes that wait (cheap) and one file volume: a big status.
{
	echo 'volumes = ('
	for i in $(seq 0 1022); do
		printf '  { name = "v%04d"; device = "/dev/disk/by-id/virtio-CTLNONE%04d"; },\n' "$i" "$i"
	done
	echo '  { name = "data"; file = "/var/lib/basicdm/data.img"; size = "16M"; }'
	echo ');'
} > /etc/basicdm.conf
check "daemon starts with 1024 volumes" daemon_start
pid=$(systemctl show -p MainPID --value basicdm)
reloads=$(journal_count BASICDM_RELOAD=1)
udevadm settle
tables=$(dmsetup table | sort)

serving() { basicdmctl status data >/dev/null; }
# raw FORMAT: printf FORMAT (\0, \n...) sent as is; the reply.
raw() {
	# shellcheck disable=SC2059
	printf "$1" | "$CTL_RAW"
}
err() { printf '{"ok":false,"error":"%s","message":"%s"}' "$1" "$2"; }

# ---- malformed ----------------------------------------------------------------------
expect_eq "NUL byte" "$(err bad-request 'NUL byte in the request')" "$(raw 'stat\0us data\n')"
expect_eq "CR LF" "$(err bad-request 'request is not printable ASCII')" "$(raw 'status data\r\n')"
expect_eq "escape sequence" "$(err bad-request 'request is not printable ASCII')" "$(raw 'status \033[2J\n')"
expect_eq "empty line" "$(err bad-request 'empty request')" "$(raw '\n')"
expect_eq "unknown command" "$(err unknown-command 'unknown command')" "$(raw 'frobnicate\n')"
expect_eq "missing argument" "$(err bad-request 'missing argument')" "$(raw 'activate\n')"
expect_eq "extra argument" "$(err bad-request 'too many arguments')" "$(raw 'status data data\n')"
expect_eq "bad volume name" "$(err bad-request 'invalid volume name')" "$(raw 'status ../../etc/passwd\n')"
expect_eq "trace maybe" "$(err bad-request "trace takes 'on' or 'off'")" "$(raw 'trace data maybe\n')"
check "binary garbage" sh -c "head -c 3000 /dev/urandom | tr '\n' x | $CTL_RAW | grep -q '^{\"ok\":false,\"error\":\"'"
check "serving after malformed requests" serving

# ---- oversized ----------------------------------------------------------------------
too_large=$(err too-large 'request longer than 4096 bytes')
expect_eq "100 KB without a newline" "$too_large" \
	"$(head -c 100000 /dev/zero | tr '\0' x | "$CTL_RAW")"
expect_eq "a newline, but after 5000 bytes" "$too_large" \
	"$({ head -c 5000 /dev/zero | tr '\0' ' '; echo status; } | "$CTL_RAW")"
expect_eq "4096 bytes of status: one too many" "$too_large" \
	"$({ printf status; head -c 4090 /dev/zero | tr '\0' ' '; echo; } | "$CTL_RAW")"
check "4095 bytes and the newline: accepted" \
	sh -c "{ printf 'status data'; head -c 4084 /dev/zero | tr '\0' ' '; echo; } | $CTL_RAW | grep -q '^{\"ok\":true,'"
check "serving after oversized requests" serving

# ---- framing ------------------------------------------------------------------------
check "no newline, then EOF: a request" sh -c "printf 'status data' | $CTL_RAW | grep -q '^{\"ok\":true,\"volumes\":\[{\"name\":\"data\"'"
out=$(raw 'status data\nreload\n')
expect_eq "two requests on one connection: one reply" 1 "$(printf '%s\n' "$out" | wc -l)"
check "and it answers the first" grep -q '"name":"data"' <<<"$out"
expect_eq "the second never runs" "$reloads" "$(journal_count BASICDM_RELOAD=1)"
expect_eq "a client that sends nothing gets nothing" "" "$("$CTL_RAW" </dev/null)"

# ---- idle --------------------------------------------------------------------------
start=$SECONDS
out=$("$CTL_RAW" < <(sleep 40))
took=$((SECONDS - start))
expect_eq "silent client: timed out" "$(err timeout 'no request within 10 s')" "$out"
check "after about 10 s ($took s)" test "$took" -ge 9 -a "$took" -le 20
out=$("$CTL_RAW" < <(printf 'sta'; sleep 40))
expect_eq "half a request: timed out" "$(err timeout 'no request within 10 s')" "$out"
check "serving after idle clients" serving

# ---- too many clients ------------------------------------------------------------------
connections() { grep -c ' /run/basicdm/control$' /proc/net/unix; }
# Four users other than root (uids without an account), 8 each, the most
# one user may have, hold the 32 shared slots; root has 4 more of its own.
# The checks up to the wait have to happen within the holders' 10 s, the
# ones that matter most first (ctl-trickle checks a user's share).
as_uid() { setpriv --reuid="$1" --regid="$1" --clear-groups -- "${@:2}"; }
start=$SECONDS
holders=()
for i in $(seq 0 31); do
	as_uid $((60001 + i / 8)) "$CTL_RAW" < <(sleep 40) > "/tmp/hold.$i" &
	holders+=($!)
done
check "32 clients connected (and the listener)" wait_until 20 sh -c "[ \$(grep -c ' /run/basicdm/control\$' /proc/net/unix) = 33 ]"
expect_eq "the 33rd, of a fifth user: busy" "$(err busy 'too many clients at once, try again')" \
	"$(printf 'status data\n' | as_uid 60005 "$CTL_RAW")"
expect_eq "root's basicdmctl: served all the same" 0 "$(rc basicdmctl status data)"
expect_eq "basicdmctl: busy is exit 3" 3 "$(rc as_uid 60005 basicdmctl status data)"
check "root's raw request: served" sh -c "printf 'status data\n' | $CTL_RAW | grep -q '^{\"ok\":true,'"
info "the crowd's checks took $((SECONDS - start)) s of the holders' 10 s"
wait "${holders[@]}"
expect_eq "every holder timed out in turn" 32 "$(cat /tmp/hold.* | grep -c '"error":"timeout"')"
check "connections released" wait_until 20 sh -c "[ \$(grep -c ' /run/basicdm/control\$' /proc/net/unix) = 1 ]"
check "serving after a crowd" serving

# ---- a big reply to a slow reader -------------------------------------------------------
start=$SECONDS
basicdmctl status --json > /tmp/status.json
info "status --json of 1024 volumes: $((SECONDS - start)) s, $(wc -c < /tmp/status.json) bytes"
expect_eq "status lists 1024 volumes" 1024 "$(json_flat < /tmp/status.json | grep -c '^volumes\.[0-9]*\.name=')"
# The client stops reading after 64 KiB (the pipe is full) until the sleep
# is over: the daemon has to keep the rest and serve others meanwhile.
{ printf 'status\n' | "$CTL_RAW" | { sleep 6; cat; } > /tmp/slow.json; } &
slow=$!
check "the slow reader's connection stays open: its reply is not all out" \
	wait_until 20 sh -c "awk '\$NF == \"/run/basicdm/control\" && \$6 == \"03\"' /proc/net/unix | grep -q ."
start=$SECONDS
check "another client is served meanwhile" timeout 5 basicdmctl status data
check "within 3 s" test $((SECONDS - start)) -le 3
wait "$slow"
expect_eq "the slow reader's status finishes" 0 "$?"
expect_eq "the slow reader got every volume" 1024 "$(grep -o '"name":"[v0-9a-z]*","state"' /tmp/slow.json | wc -l)"
check "and a complete reply" sh -c 'test "$(tail -c 3 /tmp/slow.json)" = "]}"'

# ---- nothing else changed ------------------------------------------------------------------
expect_eq "the same daemon" "$pid" "$(systemctl show -p MainPID --value basicdm)"
expect_eq "no reload" "$reloads" "$(journal_count BASICDM_RELOAD=1)"
expect_eq "no map changed" "$tables" "$(dmsetup table | sort)"
expect_eq "no error logged" "" "$(journalctl -q -u basicdm -p err -o cat)"
check "status still works" basicdmctl status data
