# Every basicdmctl command against the running daemon: reload (applied and
# refused), deactivate (at once and deferred while open, through hotplug, a
# crash of the daemon), activate, trace, stats reset, check; the exit codes
# scripts rely on, and the bash completion.  activate, deactivate and reload
# wait for their change (ctl-wait tests the waits themselves): what they did
# is checked as soon as they return.
. "$PAYLOAD/guest/ctl.sh"
install_root
mkdir -p /var/lib/basicdm
conf() { cat > /etc/basicdm.conf; }
# dev and witness share one disk: witness coming up proves the daemon saw
# the disk's event, which dev (inactive) must have ignored.
conf <<'CONF'
volumes = (
  { name = "a"; file = "/var/lib/basicdm/a.img"; size = "16M"; },
  { name = "b"; file = "/var/lib/basicdm/b.img"; size = "16M"; },
  { name = "dev"; match = { ID_SERIAL = "CTLDISK01"; }; sectors = 16384; },
  { name = "witness"; match = { ID_SERIAL = "CTLDISK01"; }; offset = 16384; }
);
CONF
cp /etc/basicdm.conf /tmp/four.conf
check "daemon starts" daemon_start
check "QMP: hot-add CTLDISK01" host disk-add d1 32 CTLDISK01
check "dev becomes active" wait_until 120 is_state dev active
check "witness becomes active" wait_until 120 is_state witness active

# ---- reload -------------------------------------------------------------------
{ cat /tmp/four.conf | sed '$d'; echo '  ,{ name = "c"; file = "/var/lib/basicdm/c.img"; size = "8M"; }'; echo ');'; } > /tmp/five.conf
cp /tmp/five.conf /etc/basicdm.conf
out=$(basicdmctl reload 2>&1)
expect_eq "reload: exit 0" 0 "$?"
expect_eq "reload: the plan, as applied" \
	"configuration reloaded: 1 added, 0 removed, 0 reloaded, 0 replaced, 4 unchanged" "$out"
check "reload: returns with c's nodes on its map" nodes_on_map c
check "journal: the reload applied" journal_grep "1 added" BASICDM_RELOAD_RESULT=applied
check "journal: who asked" journal_grep "basicdmctl reload, requested by pid"

tables=$(dmsetup table | sort)
conf <<'CONF'
volumes = (
  { name = "a"; file = "/var/lib/basicdm/a.img"; size = "16M"; },
  { name = "b"; file = "/var/lib/basicdm/b.img"; sise = "16M"; }
);
CONF
out=$(basicdmctl reload 2>&1)
expect_eq "broken config: exit 1" 1 "$?"
check "broken config: refused" grep -q "refused, nothing changed" <<<"$out"
check "broken config: every problem as file:line" grep -q "^/etc/basicdm.conf:3: .*sise" <<<"$out"
j=$(basicdmctl --json reload | json_flat)
expect_eq "broken config --json: ok" false "$(jv "$j" ok)"
expect_eq "broken config --json: error" failed "$(jv "$j" error)"
check "broken config --json: details" grep -q "^details.0=/etc/basicdm.conf:3: " <<<"$j"
expect_eq "broken config: no map changed" "$tables" "$(dmsetup table | sort)"
cp /tmp/five.conf /etc/basicdm.conf
check "reload the good config again" basicdmctl reload

# ---- deactivate, activate: a file volume ----------------------------------------
write_pattern /dev/mapper/a 3 "ctl-a"
# udev probes a device closed after writing: not open when deactivated
udevadm settle
out=$(basicdmctl deactivate a)
expect_eq "deactivate a: exit 0" 0 "$?"
expect_eq "deactivate a: says so" "a: inactive" "$out"
check "a: no map when it returns" no_map a
check "a: no /dev/mapper/a, no /dev/basicdm/a when it returns" nodes_gone a
check "a: loop device released" wait_until 30 sh -c '[ -z "$(losetup -j /var/lib/basicdm/a.img)" ]'
expect_eq "a: inactive" inactive "$(vol_state a)"
expect_eq "journal: a inactive" 1 "$(journal_count BASICDM_VOLUME=a BASICDM_EVENT=inactive)"
check "STATUS= counts it" sh -c 'systemctl show -p StatusText --value basicdm | grep -q ", 1 inactive$"'
expect_eq "deactivate twice: exit 0" 0 "$(rc basicdmctl deactivate a)"
expect_eq "trace without a map: exit 1" 1 "$(rc basicdmctl trace a on)"
check "reload" basicdmctl reload
expect_eq "a: still inactive after a reload" inactive "$(vol_state a)"
check "a: still no map" sh -c '! dmsetup info a >/dev/null 2>&1'
out=$(basicdmctl activate a)
expect_eq "activate a: exit 0, once active" "0 a: active" "$? $out"
expect_eq "a: active when it returns" active "$(vol_state a)"
check "a: its nodes lead to the map when it returns" nodes_on_map a
expect_eq "a: the data is still there" "ctl-a" "$(read_sector /dev/mapper/a 3)"
expect_eq "activate an active volume: exit 0" 0 "$(rc basicdmctl activate a)"

# ---- deactivate while open: deferred --------------------------------------------
udevadm settle
exec 8</dev/mapper/b
out=$(basicdmctl deactivate b)
expect_eq "b open: deactivate says deferred, and who holds it" \
	"b: inactive (the map goes away when it is closed; it is open 1 time: fuser -v /dev/mapper/b names the process)" "$out"
j=$(vol_json b)
expect_eq "b: inactive" inactive "$(jv "$j" state)"
expect_eq "b: dm.deferred_remove" true "$(jv "$j" dm.deferred_remove)"
check "b: the map stays while open" dmsetup info b
check "activate b while still open" basicdmctl activate b
expect_eq "b: active again when it returns" active "$(vol_state b)"
expect_eq "b: the removal was taken back" false "$(jv "$(vol_json b)" dm.deferred_remove)"
exec 8<&-
write_pattern /dev/mapper/b 1 "ctl-b"
expect_eq "b: stays after the last close" "ctl-b" "$(read_sector /dev/mapper/b 1)"
udevadm settle
exec 8</dev/mapper/b
check "deactivate b while open" basicdmctl deactivate b
exec 8<&-
check "b: the map goes at the last close" wait_until 30 sh -c '! dmsetup info b >/dev/null 2>&1'
check "activate b" basicdmctl activate b
expect_eq "b: back when it returns" active "$(vol_state b)"

# ---- a device volume stays down through hotplug -----------------------------------
udevadm settle
check "deactivate dev" basicdmctl deactivate dev
check "dev: map removed when it returns" no_map dev
check "QMP: unplug CTLDISK01" host disk-del d1
check "witness waits" wait_until 120 is_state witness waiting
check "QMP: plug it back" host disk-add d1 32 CTLDISK01
check "witness comes back: the daemon saw the disk" wait_until 120 is_state witness active
expect_eq "dev: still inactive" inactive "$(vol_state dev)"
check "dev: no map" sh -c '! dmsetup info dev >/dev/null 2>&1'
out=$(basicdmctl activate dev)
expect_eq "activate dev: exit 0, once active" "0 dev: active" "$? $out"
expect_eq "dev: active (its disk is there)" active "$(vol_state dev)"
check "dev: its nodes lead to the map" nodes_on_map dev

# ---- inactive survives a crash of the daemon, not a stop -----------------------
udevadm settle
check "deactivate a" basicdmctl deactivate a
check "a: map removed when it returns" no_map a
check "the mark is kept in /run/basicdm" test -e /run/basicdm/inactive/a
pid=$(systemctl show -p MainPID --value basicdm)
check "kill -9 the daemon" kill -9 "$pid"
check "systemd restarts it" wait_until 120 sh -c '[ "$(systemctl show -p NRestarts --value basicdm)" = 1 ] &&
	systemctl is-active --quiet basicdm'
expect_eq "a: still inactive after the crash" inactive "$(vol_state a)"
check "a: still no map" sh -c '! dmsetup info a >/dev/null 2>&1'
expect_eq "b: adopted and active" active "$(vol_state b)"
check "systemctl stop, then start" sh -c 'systemctl stop basicdm && systemctl start basicdm'
check "a fresh start forgets it: a is active" wait_until 60 is_state a active

# ---- trace ------------------------------------------------------------------------
udevadm settle
out=$(basicdmctl trace b on)
expect_eq "trace on: exit 0" 0 "$?"
expect_eq "trace on: says so" "b: trace on" "$out"
expect_eq "trace on: dmsetup status" trace "$(dm_counters b | cut -d' ' -f11)"
expect_eq "trace on: status --json" true "$(jv "$(vol_json b)" trace)"
klog_mark
dd if=/dev/mapper/b of=/dev/null bs=4096 count=1 skip=3 iflag=direct status=none
check "trace on: the kernel logs the read" \
	wait_until 10 sh -c "dmesg | tail -n +$((KLOG_MARK + 1)) | grep -q 'basic_target: b: READ sector 24 size 4096'"
check "trace off" basicdmctl trace b off
expect_eq "trace off: dmsetup status" notrace "$(dm_counters b | cut -d' ' -f11)"
expect_eq "trace off: status --json" false "$(jv "$(vol_json b)" trace)"
check "journal: the messages, named" journal_grep "message sent: trace off" BASICDM_VOLUME=b BASICDM_EVENT=message

# ---- stats reset --------------------------------------------------------------------
dd if=/dev/zero of=/dev/mapper/b bs=4096 count=2 oflag=direct status=none
udevadm settle
check "b: writes counted" test "$(dm_counters b | cut -d' ' -f3)" -ge 2
out=$(basicdmctl stats reset b)
expect_eq "stats reset: exit 0" 0 "$?"
expect_eq "stats reset: says so" "b: I/O counters reset" "$out"
expect_eq "stats reset: every counter zero in dmsetup status" "0 0 0 0 0 0 0 0 0 0" \
	"$(dm_counters b | cut -d' ' -f1-10)"
expect_eq "stats reset: and in status --json" "0 0 0 0 0 0 0 0 0 0" \
	"$(vol_json b | sed -n 's/^counters\.[a-z_]*=//p' | xargs)"

# ---- exit codes ----------------------------------------------------------------------
expect_eq "no command: exit 2" 2 "$(rc basicdmctl)"
expect_eq "unknown command: exit 2" 2 "$(rc basicdmctl frobnicate)"
expect_eq "unknown option: exit 2" 2 "$(rc basicdmctl --frobnicate status)"
expect_eq "activate without a name: exit 2" 2 "$(rc basicdmctl activate)"
expect_eq "status with two names: exit 2" 2 "$(rc basicdmctl status a b)"
expect_eq "trace b maybe: exit 2" 2 "$(rc basicdmctl trace b maybe)"
expect_eq "stats frob b: exit 2" 2 "$(rc basicdmctl stats frob b)"
expect_eq "--timeout 0: exit 2" 2 "$(rc basicdmctl --timeout 0 activate a)"
expect_eq "--timeout without a number: exit 2" 2 "$(rc basicdmctl --timeout soon activate a)"
expect_eq "an invalid name: exit 2" 2 "$(rc basicdmctl status ../etc)"
for cmd in "status nosuch" "activate nosuch" "deactivate nosuch" "trace nosuch on" "stats reset nosuch"; do
	# shellcheck disable=SC2086
	expect_eq "$cmd: exit 5" 5 "$(rc basicdmctl $cmd)"
done
expect_eq "--help: exit 0" 0 "$(rc basicdmctl --help)"

# ---- bash completion --------------------------------------------------------------
. /usr/share/bash-completion/completions/basicdmctl
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_basicdmctl
	printf '%s\n' "${COMPREPLY[@]}" | sort | xargs
}
expect_eq "completion: commands" "activate check deactivate list metrics reload stats status trace" \
	"$(complete_words basicdmctl '')"
expect_eq "completion: st..." "stats status" "$(complete_words basicdmctl st)"
expect_eq "completion: volume names from the daemon" "a b c dev witness" \
	"$(complete_words basicdmctl deactivate '')"
expect_eq "completion: after an option" "a b c dev witness" \
	"$(complete_words basicdmctl --json status '')"
expect_eq "completion: trace NAME on|off" "off on" "$(complete_words basicdmctl trace b '')"
expect_eq "completion: stats: reset or a volume" "a b c dev reset witness" "$(complete_words basicdmctl stats '')"
expect_eq "completion: stats reset NAME" "witness" "$(complete_words basicdmctl stats reset w)"
expect_eq "completion: options" "--json" "$(complete_words basicdmctl --j)"
expect_eq "completion: --no-block" "--no-block" "$(complete_words basicdmctl --n)"
expect_eq "completion: after --timeout" "infinity" "$(complete_words basicdmctl --timeout '')"
expect_eq "completion: a command after --timeout N" "activate" "$(complete_words basicdmctl --timeout 5 act)"
expect_eq "completion: nothing after the last argument" "" "$(complete_words basicdmctl activate a '')"

# ---- check: no daemon needed ----------------------------------------------------------
check "the daemon stops" daemon_stop
out=$(basicdmctl check 2>&1)
expect_eq "check without a daemon: exit 0" 0 "$?"
expect_eq "check: what it found" "/etc/basicdm.conf: 5 volumes, configuration valid" "$out"
printf 'volumes = (\n  { name = "x"; file = "/x"; device = "/dev/vdb"; }\n);\n' > /tmp/broken.conf
out=$(basicdmctl check /tmp/broken.conf 2>&1)
expect_eq "check a broken file: exit 1" 1 "$?"
check "check: file:line of the problem" grep -q "^/tmp/broken.conf:2: " <<<"$out"
expect_eq "check agrees with basicdmd --check" "$(basicdmd --check --config /tmp/broken.conf 2>&1)" "$out"
expect_eq "check a missing file: exit 1" 1 "$(rc basicdmctl check /nonexistent.conf)"
for cmd in status reload "activate a" "deactivate a" "trace a on" "stats reset a"; do
	# shellcheck disable=SC2086
	expect_eq "$cmd without a daemon: exit 3" 3 "$(rc basicdmctl $cmd)"
done
