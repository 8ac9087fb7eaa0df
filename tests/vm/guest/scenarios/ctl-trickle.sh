# Users other than root cannot lock root out of the control socket.  Four
# of them (nobody and three uids without an account), 10 connections each
# where the daemon gives a user 8, trickle "status data" a byte every 8 s
# (so no timeout of idleness would ever fire) and connect again as soon as
# they are cut off or refused, for 40 s.  Throughout, root's status, reload
# and metrics succeed (a fifth user is told "busy" whenever the crowd holds
# every shared slot: ctl-robustness checks that); every trickling
# connection is closed with "timeout" at the 10 s request deadline, counted
# from its connect; the daemon serves on, same PID, no error logged.
. "$PAYLOAD/guest/ctl.sh"
install_root
mkdir -p /var/lib/basicdm
cat > /etc/basicdm.conf <<'CONF'
volumes = (
  { name = "data"; file = "/var/lib/basicdm/data.img"; size = "16M"; }
);
CONF
check "daemon starts" daemon_start || return
pid=$(systemctl show -p MainPID --value basicdm)
udevadm settle

# as_uid UID CMD...: CMD as that user, no account needed, no group kept.
as_uid() { setpriv --reuid="$1" --regid="$1" --clear-groups -- "${@:2}"; }
err() { printf '{"ok":false,"error":"%s","message":"%s"}' "$1" "$2"; }
connections() { grep -c ' /run/basicdm/control$' /proc/net/unix; }
busy=$(err busy 'too many clients at once, try again')
users=(65534 60001 60002 60003)
other=60004

# trickler UID LOG: connects again and again until $end, trickling the
# request; one line in LOG per connection: what the daemon said, then
# ctl-raw's "closed after MS ms" (from the connect).
trickler() {
	local out
	while [ "$SECONDS" -lt "$end" ]; do
		out=$(printf 'status data\n' | as_uid "$1" "$CTL_RAW" --trickle 8 2>&1 | tr '\n' ' ')
		printf '%s\n' "$out" >> "$2"
		# refused at once: a breath before the next try; cut off: straight back
		case $out in *'"busy"'*) sleep 0.5 ;; esac
	done
}

rm -f /tmp/trickle.*
end=$((SECONDS + 40))
tricklers=()
for uid in "${users[@]}"; do
	for i in $(seq 1 10); do
		trickler "$uid" "/tmp/trickle.$uid.$i" &
		tricklers+=($!)
	done
done
check "the four users hold every shared slot (32 and the listener)" \
	wait_until 20 sh -c "[ \$(grep -c ' /run/basicdm/control\$' /proc/net/unix) -ge 33 ]"
# Whether a fifth user finds every shared slot taken at this moment depends
# on how fast the cut-off tricklers reconnect under emulation: said, not
# checked here.  ctl-robustness checks it with holders that stay, and
# test-control-server without the emulator.
info "a fifth user, now: $(printf 'status data\n' | as_uid "$other" "$CTL_RAW" 2>&1 | cut -c1-80)"
check "root, meanwhile: status" basicdmctl status data
check "root, meanwhile: reload" basicdmctl reload
check "root, meanwhile: metrics" sh -c 'basicdmctl metrics | grep -qx "basicdm_up 1"'

# ---- root, throughout --------------------------------------------------------------
# The crowd is cut off every 10 s and comes straight back: now and then a
# slot is free for a moment, so the fifth user is busy in some rounds, not
# in all: counted for the log.
rounds=0 others_busy=0 root_failed=""
while [ "$SECONDS" -lt "$end" ]; do
	rounds=$((rounds + 1))
	if [ "$(printf 'status data\n' | as_uid "$other" "$CTL_RAW" 2>&1)" = "$busy" ]; then
		others_busy=$((others_busy + 1))
	fi
	for cmd in "status data" reload metrics; do
		# shellcheck disable=SC2086  # the command and its argument
		out=$(timeout 30 basicdmctl $cmd 2>&1 >/dev/null) ||
			root_failed+="round $rounds, $cmd: exit $?: $out; "
	done
	sleep 1
done
info "$rounds rounds of root's commands; a fifth user was busy in $others_busy; $(connections) connections at the end"
expect_eq "root's status, reload and metrics succeed in every round" "" "$root_failed"

# ---- the tricklers -----------------------------------------------------------------
wait "${tricklers[@]}"
cat /tmp/trickle.* > /tmp/trickles
total=$(wc -l < /tmp/trickles)
cut_off=$(grep -c '"error":"timeout","message":"no request within 10 s"' /tmp/trickles)
user_busy=$(grep -c '"message":"too many clients of this user at once, try again"' /tmp/trickles)
info "$total trickling connections: $cut_off cut off, $user_busy refused as too many of their user"
check "32 tricklers or more cut off, one for each shared slot" \
	test "$(grep -l '"error":"timeout"' /tmp/trickle.*.* | wc -l)" -ge 32
check "a user's connections beyond its 8 refused" test "$user_busy" -ge 8
expect_eq "nothing else: cut off or refused, never answered, never left hanging" "" \
	"$(grep -v -e '"error":"timeout"' -e '"error":"busy"' /tmp/trickles | head -n 3)"
# 10 s to 20 s after the connect: the deadline counts from the connect,
# whatever arrives (the trickle would have lasted 96 s, and a timer of
# idleness would never fire).  The upper bound is loose: under the emulator,
# four VMs on two cores, the daemon's timer fired 3 s late (2026-12-07).
expect_eq "each cut off at the deadline, although still sending" "" \
	"$(grep '"error":"timeout"' /tmp/trickles | grep -v -E 'closed after 1[0-9]{4} ms' | head -n 3)"
check "connections released" wait_until 20 sh -c "[ \$(grep -c ' /run/basicdm/control\$' /proc/net/unix) = 1 ]"

# ---- nothing else changed ------------------------------------------------------------
expect_eq "the same daemon" "$pid" "$(systemctl show -p MainPID --value basicdm)"
expect_eq "no error logged" "" "$(journalctl -q -u basicdm -p err -o cat)"
check "a user: status" as_uid "$other" basicdmctl status data
check "root: status" basicdmctl status data
