# Disks hot-added through QMP become maps when a volume matches them, and
# hot-removing them removes the maps; the daemon serves on.
install_root
cat > /etc/basicdm.conf <<'CONF'
volumes = (
  { name = "archive";
    match = { ID_SERIAL = "ARCHIVE01"; };
    offset = 2048; },
  { name = "raw";
    device = "/dev/disk/by-id/virtio-RAW01";
    read_only = true; }
);
CONF
check "daemon starts with no backing present" daemon_start
expect_eq "both volumes wait" "StatusText=0 active, 2 waiting, 0 failed" "$(systemctl show -p StatusText basicdm)"
expect_eq "journal: archive waiting" 1 "$(journal_count BASICDM_VOLUME=archive BASICDM_EVENT=waiting)"

check "QMP: hot-add a 64 MiB disk, serial ARCHIVE01" host disk-add d1 64 ARCHIVE01
check "/dev/mapper/archive appears" wait_until 120 test -b /dev/mapper/archive
check "the daemon reports it active" wait_until 60 sh -c '[ "$(journalctl -q -u basicdm -o cat BASICDM_VOLUME=archive BASICDM_EVENT=active | wc -l)" = 1 ]'
disk=$(readlink -f /dev/disk/by-id/virtio-ARCHIVE01)
expect_eq "archive maps the disk from sector 2048" \
	"0 $((64 * 2048 - 2048)) basic_target $(devnum "$disk") 2048" \
	"$(dmsetup table archive)"
check "journal: BASICDM_BACKING=$disk" \
	sh -c "journalctl -u basicdm -o export BASICDM_VOLUME=archive BASICDM_EVENT=attached | grep -q '^BASICDM_BACKING=$disk\$'"
write_pattern /dev/mapper/archive 0 "hotplug-pattern"
expect_eq "data lands at disk sector 2048" "hotplug-pattern" "$(read_sector "$disk" 2048)"

check "QMP: hot-add a disk, serial RAW01" host disk-add d2 16 RAW01
check "/dev/mapper/raw appears" wait_until 120 test -b /dev/mapper/raw
expect_eq "raw is read-only" 1 "$(blockdev --getro /dev/mapper/raw)"

check "QMP: hot-remove ARCHIVE01" host disk-del d1
check "/dev/mapper/archive goes away" wait_until 120 sh -c '! test -e /dev/mapper/archive'
check "no map named archive is left" sh -c '! dmsetup info archive >/dev/null 2>&1'
check "journal: archive removed" wait_until 30 sh -c '[ "$(journalctl -q -u basicdm -o cat BASICDM_VOLUME=archive BASICDM_EVENT=removed | wc -l)" = 1 ]'
check "raw is untouched" test -b /dev/mapper/raw
check "the daemon still runs" systemctl is-active --quiet basicdm

check "QMP: plug the same ARCHIVE01 disk back" host disk-add d1 64 ARCHIVE01
check "/dev/mapper/archive is back" wait_until 120 test -b /dev/mapper/archive
expect_eq "with the data written before" "hotplug-pattern" "$(read_sector /dev/mapper/archive 0)"
