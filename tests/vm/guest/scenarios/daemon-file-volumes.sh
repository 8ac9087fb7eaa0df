# vm-cpu: waits (up to 15 s for the daemon's next watchdog ping)
# basicdmd brings file volumes up at start: a sparse file created from
# `size`, an existing file mapped from an offset; one loop device each, the
# data where the table says, journal events with the fixed fields.
install_root
mkdir -p /var/lib/basicdm
head -c $((8 * 1024 * 1024)) /dev/zero > /var/lib/basicdm/existing.img
cat > /etc/basicdm.conf <<'CONF'
volumes = (
  { name = "scratch";
    file = "/var/lib/basicdm/scratch.img";
    size = "64M"; },
  { name = "existing";
    file = "/var/lib/basicdm/existing.img";
    offset = 2048;
    sectors = 8192; }
);
CONF

check "basicdmd --check accepts the config" basicdmd --check
check "basicdmd starts and reports READY=1" daemon_start
check "/dev/mapper/scratch exists at READY" test -b /dev/mapper/scratch
check "/dev/mapper/existing exists at READY" test -b /dev/mapper/existing
expect_eq "scratch.img created with 64 MiB" 67108864 "$(stat -c %s /var/lib/basicdm/scratch.img)"
check "scratch.img is sparse" test "$(stat -c %b /var/lib/basicdm/scratch.img)" -lt 1024
expect_eq "scratch map is the whole file" 131072 "$(blockdev --getsz /dev/mapper/scratch)"
expect_eq "existing map has 'sectors'" 8192 "$(blockdev --getsz /dev/mapper/existing)"
expect_eq "DM UUID is BASICDM-<name>" BASICDM-existing "$(dmsetup info -c --noheadings -o uuid existing)"
for f in scratch existing; do
	expect_eq "exactly one loop device for $f.img" 1 "$(losetup -j /var/lib/basicdm/$f.img | wc -l)"
done
loop=$(losetup -j /var/lib/basicdm/existing.img -O NAME -n)
expect_eq "table of existing" "0 8192 basic_target $(devnum "$loop") 2048" \
	"$(dmsetup table existing)"

write_pattern /dev/mapper/existing 5 "daemon-offset-pattern"
expect_eq "map sector 5 lands at file byte (2048+5)*512" "daemon-offset-pattern" \
	"$(dd if=/var/lib/basicdm/existing.img bs=512 skip=2053 count=1 status=none | tr -d '\0' | sed 's/ *$//')"

for v in scratch existing; do
	expect_eq "journal: $v attached" 1 "$(journal_count BASICDM_VOLUME=$v BASICDM_EVENT=attached)"
	expect_eq "journal: $v active" 1 "$(journal_count BASICDM_VOLUME=$v BASICDM_EVENT=active)"
done
check "journal: BASICDM_BACKING names the loop device and the file" \
	sh -c "journalctl -u basicdm -o export BASICDM_VOLUME=existing BASICDM_EVENT=attached | grep -q '^BASICDM_BACKING=$loop (/var/lib/basicdm/existing.img)$'"
expect_eq "STATUS= counts" "StatusText=2 active, 0 waiting, 0 failed" "$(systemctl show -p StatusText basicdm)"
check "udev rule: /dev/basicdm/scratch links to the map" \
	test "$(readlink -f /dev/basicdm/scratch)" = "$(readlink -f /dev/mapper/scratch)"
first=$(systemctl show -p WatchdogTimestampMonotonic --value basicdm)
check "the daemon pings the watchdog" \
	wait_until 60 sh -c "[ \"\$(systemctl show -p WatchdogTimestampMonotonic --value basicdm)\" != '$first' ]"

# --check on a broken config: every error, file:line, exit 1
cat > /tmp/broken.conf <<'CONF'
volumes = (
  { name = "a b"; file = "/var/lib/basicdm/x.img"; },
  { name = "c"; file = "/x"; device = "/dev/vdb"; }
);
CONF
out=$(basicdmd --check --config /tmp/broken.conf 2>&1)
expect_eq "--check exits 1 on a broken config" 1 "$?"
check "--check names file:line of the bad name" grep -q '^/tmp/broken.conf:2: ' <<<"$out"
check "--check names file:line of the double backing" grep -q '^/tmp/broken.conf:3: ' <<<"$out"

check "SIGTERM stops the daemon" daemon_stop
check "the maps stay after the daemon stops" test -b /dev/mapper/scratch -a -b /dev/mapper/existing
