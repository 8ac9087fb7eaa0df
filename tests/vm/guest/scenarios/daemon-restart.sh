# kill -9 and restart: the new daemon adopts every BASICDM- map and its
# loop device (no second loop), removes the one no longer configured, and
# touches none of the others.
install_daemon
mkdir -p /var/lib/basicdm
cat > /etc/basicdm.conf <<'CONF'
volumes = (
  { name = "one"; file = "/var/lib/basicdm/one.img"; size = "16M"; },
  { name = "two"; file = "/var/lib/basicdm/two.img"; size = "16M"; offset = 16; },
  { name = "gone"; file = "/var/lib/basicdm/gone.img"; size = "8M"; }
);
CONF
check "daemon starts" daemon_start --config /etc/basicdm.conf
write_pattern /dev/mapper/two 0 "survives-restart"
one_dev=$(map_devnum one) two_dev=$(map_devnum two)
tables=$(dmsetup table one two)

check "kill -9" systemctl kill -s KILL basicdm
check "the daemon is gone" wait_until 30 sh -c '! systemctl is-active --quiet basicdm'
systemctl reset-failed basicdm 2>/dev/null
check "the maps outlive it" test -b /dev/mapper/one -a -b /dev/mapper/two -a -b /dev/mapper/gone

sed -i '/"gone"/d' /etc/basicdm.conf
sed -i 's/offset = 16; },/offset = 16; }/' /etc/basicdm.conf
check "the edited config is valid" basicdmd --check --config /etc/basicdm.conf
check "daemon restarts" daemon_start --config /etc/basicdm.conf
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
expect_eq "STATUS after adoption" "StatusText=2 active, 0 waiting, 0 failed" "$(systemctl show -p StatusText basicdm)"
