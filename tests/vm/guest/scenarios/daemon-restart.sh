# kill -9: systemd restarts basicdm (Restart=on-failure), and the new
# daemon adopts every BASICDM- map and its loop device (no second loop),
# removes the map that is no longer configured, and touches no other.
install_root
mkdir -p /var/lib/basicdm
cat > /etc/basicdm.conf <<'CONF'
volumes = (
  { name = "one"; file = "/var/lib/basicdm/one.img"; size = "16M"; },
  { name = "two"; file = "/var/lib/basicdm/two.img"; size = "16M"; offset = 16; },
  { name = "gone"; file = "/var/lib/basicdm/gone.img"; size = "8M"; }
);
CONF
check "daemon starts" daemon_start
write_pattern /dev/mapper/two 0 "survives-restart"
one_dev=$(map_devnum one) two_dev=$(map_devnum two)
tables=$(dmsetup table one two)

# the next daemon will read this; this one is not told
cat > /etc/basicdm.conf <<'CONF'
volumes = (
  { name = "one"; file = "/var/lib/basicdm/one.img"; size = "16M"; },
  { name = "two"; file = "/var/lib/basicdm/two.img"; size = "16M"; offset = 16; }
);
CONF
pid=$(systemctl show -p MainPID --value basicdm)
check "kill -9 the daemon" kill -9 "$pid"
check "systemd restarts it, and it reports ready" \
	wait_until 120 sh -c '[ "$(systemctl show -p NRestarts --value basicdm)" = 1 ] &&
		systemctl is-active --quiet basicdm'
check "a new process" test "$(systemctl show -p MainPID --value basicdm)" != "$pid"
for v in one two; do
	expect_eq "$v adopted" 1 "$(journal_count BASICDM_VOLUME=$v BASICDM_EVENT=adopted)"
	expect_eq "no second loop device for $v.img" 1 "$(losetup -j /var/lib/basicdm/$v.img | wc -l)"
done
expect_eq "one keeps its device number" "$one_dev" "$(map_devnum one)"
expect_eq "two keeps its device number" "$two_dev" "$(map_devnum two)"
expect_eq "tables unchanged" "$tables" "$(dmsetup table one two)"
expect_eq "data intact" "survives-restart" "$(read_sector /dev/mapper/two 0)"
check "the unconfigured map is removed" wait_until 30 sh -c '! dmsetup info gone >/dev/null 2>&1'
check "and its loop device released" wait_until 30 sh -c '[ -z "$(losetup -j /var/lib/basicdm/gone.img)" ]'
expect_eq "journal: gone removed" 1 "$(journal_count BASICDM_VOLUME=gone BASICDM_EVENT=removed)"
expect_eq "STATUS after adoption" "StatusText=2 active, 0 waiting, 0 failed" "$(systemctl show -p StatusText basicdm)"

check "systemctl stop leaves the maps" sh -c 'systemctl stop basicdm && test -b /dev/mapper/one -a -b /dev/mapper/two'
check "systemctl start adopts them again" daemon_start
expect_eq "one adopted a second time" 2 "$(journal_count BASICDM_VOLUME=one BASICDM_EVENT=adopted)"
expect_eq "still one loop device for one.img" 1 "$(losetup -j /var/lib/basicdm/one.img | wc -l)"
