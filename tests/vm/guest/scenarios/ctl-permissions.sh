# A user other than root reads everything and changes nothing: status,
# list and check work; reload, activate, deactivate, trace and stats reset
# are refused with exit 4 (SO_PEERCRED, whatever the client sends) and leave
# every map, counter and state as it was; root, asking the same, succeeds.
. "$PAYLOAD/guest/ctl.sh"
install_root
mkdir -p /var/lib/basicdm
cat > /etc/basicdm.conf <<'CONF'
volumes = (
  { name = "a"; file = "/var/lib/basicdm/a.img"; size = "16M"; },
  { name = "b"; file = "/var/lib/basicdm/b.img"; size = "16M"; }
);
CONF
check "daemon starts" daemon_start
check "useradd ctluser" useradd --no-create-home --shell /bin/sh ctluser
as_user() { runuser -u ctluser -- "$@"; }
udevadm settle

# ---- reading is for everyone ------------------------------------------------------
check "user: status" as_user basicdmctl status
check "user: status NAME" as_user basicdmctl status a
expect_eq "user: status --json" true "$(as_user basicdmctl status --json | json_flat | sed -n 's/^ok=//p')"
expect_eq "user: list" "a b" "$(as_user basicdmctl list | xargs)"
expect_eq "user: check" 0 "$(rc as_user basicdmctl check)"
expect_eq "user: status of an unknown volume: exit 5" 5 "$(rc as_user basicdmctl status nosuch)"

# ---- changing is for root ----------------------------------------------------------
snapshot() {
	dmsetup table | sort
	dmsetup status | sort
	basicdmctl status --json | json_flat | grep -E '\.(state|since_usec|trace)='
	ls /run/basicdm
}
before=$(snapshot)
reloads=$(journal_count BASICDM_RELOAD=1)
for cmd in reload "activate a" "deactivate a" "trace a on" "trace a off" "stats reset a" \
	"deactivate nosuch"; do
	# shellcheck disable=SC2086
	expect_eq "user: $cmd: exit 4" 4 "$(rc as_user basicdmctl $cmd)"
done
out=$(as_user basicdmctl deactivate a 2>&1)
expect_eq "user: told why" "basicdmctl: permission denied: deactivate needs root" "$out"
j=$(as_user basicdmctl --json deactivate a | json_flat)
expect_eq "user --json: ok" false "$(jv "$j" ok)"
expect_eq "user --json: error code" permission-denied "$(jv "$j" error)"
# the raw request: the daemon asks the kernel who is calling, not the client
expect_eq "user, raw request: refused" \
	'{"ok":false,"error":"permission-denied","message":"permission denied: deactivate needs root"}' \
	"$(printf 'deactivate b\n' | as_user "$CTL_RAW")"
expect_eq "user: nothing changed (tables, counters, states, marks)" "$before" "$(snapshot)"
expect_eq "user: no reload happened" "$reloads" "$(journal_count BASICDM_RELOAD=1)"
expect_eq "user: no volume event" "0 0" "$(journal_count BASICDM_EVENT=inactive) $(journal_count BASICDM_EVENT=message)"
check "user: cannot remove the socket" sh -c '! runuser -u ctluser -- rm -f /run/basicdm/control 2>/dev/null'
check "the socket is still there" test -S /run/basicdm/control

# ---- root may ------------------------------------------------------------------------
check "root: trace a on" basicdmctl trace a on
expect_eq "root: trace is on" trace "$(dm_counters a | cut -d' ' -f11)"
check "root: trace a off" basicdmctl trace a off
check "root: stats reset a" basicdmctl stats reset a
check "root: deactivate a" basicdmctl deactivate a
expect_eq "root: a inactive" inactive "$(vol_state a)"
check "root: activate a" basicdmctl activate a
check "root: a active" wait_until 60 is_state a active
check "root: reload" basicdmctl reload
check "the daemon still runs" systemctl is-active --quiet basicdm
