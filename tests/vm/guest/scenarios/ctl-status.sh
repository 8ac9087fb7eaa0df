# basicdmctl status against the running daemon: the table, one volume in
# detail, names for scripts, and --json checked field by field against
# dmsetup info/table/status, losetup and lsblk; readable by any user.
. "$PAYLOAD/guest/ctl.sh"
install_root
mkdir -p /var/lib/basicdm
cat > /etc/basicdm.conf <<'CONF'
volumes = (
  { name = "scratch";
    file = "/var/lib/basicdm/scratch.img";
    size = "64M"; },
  { name = "ro";
    file = "/var/lib/basicdm/ro.img";
    size = "16M";
    offset = 2048;
    sectors = 8192;
    read_only = true;
    trace = true; },
  { name = "archive";
    match = { ID_SERIAL = "CTLARCHIVE01"; };
    offset = 2048; },
  { name = "raw";
    device = "/dev/disk/by-id/virtio-CTLRAW01"; }
);
CONF
check "daemon starts" daemon_start
check "the control socket is a socket" test -S /run/basicdm/control
expect_eq "socket mode 0666: status is for everyone" 666 "$(stat -c %a /run/basicdm/control)"
expect_eq "runtime directory mode 0755" 755 "$(stat -c %a /run/basicdm)"

check "QMP: hot-add the archive disk" host disk-add d1 64 CTLARCHIVE01
check "archive becomes active" wait_until 120 is_state archive active
udevadm settle

# ---- the human table --------------------------------------------------------
table=$(basicdmctl status)
expect_eq "status exits 0" 0 "$?"
info "basicdmctl status:|$(printf '%s' "$table" | tr '\n' '|')"
expect_eq "table header" "NAME STATE SINCE SIZE MAP READS WRITES BACKING" \
	"$(printf '%s\n' "$table" | head -n1 | tr -s ' ')"
col() { printf '%s\n' "$table" | awk -v n="$1" -v c="$2" '$1 == n { print $c }'; }
expect_eq "table: scratch active" active "$(col scratch 2)"
expect_eq "table: ro active" active "$(col ro 2)"
expect_eq "table: archive active" active "$(col archive 2)"
expect_eq "table: raw waiting" waiting "$(col raw 2)"
expect_eq "table: scratch size 64M" 64M "$(col scratch 5)"
expect_eq "table: ro size 4M" 4M "$(col ro 5)"
expect_eq "table: scratch map number" "$(map_devnum scratch)" "$(col scratch 6)"
expect_eq "table: raw has no map" - "$(col raw 6)"
expect_eq "table rows in configuration order" "scratch ro archive raw" \
	"$(printf '%s\n' "$table" | awk 'NR > 1 { print $1 }' | xargs)"
expect_eq "list: the names, in order" "scratch ro archive raw" "$(basicdmctl list | xargs)"
expect_eq "list --json: an array of the names" "0=scratch 1=ro 2=archive 3=raw" \
	"$(basicdmctl list --json | json_flat | xargs)"

details=$(basicdmctl status scratch)
check "status NAME: state" grep -q '^ *State: active since ' <<<"$details"
check "status NAME: the map" grep -q "^ *Map: /dev/mapper/scratch ($(map_devnum scratch)), UUID BASICDM-scratch" <<<"$details"
check "status NAME: backing file and loop" \
	grep -q "^ *Backing: file /var/lib/basicdm/scratch.img, on $(losetup -j /var/lib/basicdm/scratch.img -n -O NAME) " <<<"$details"
expect_eq "status of an unknown volume: exit 5" 5 "$(rc basicdmctl status nosuch)"

# ---- --json, field by field ---------------------------------------------------
# check_map NAME: the dm object, the table and the counters against dmsetup.
check_map() {
	local name=$1 j before after t i
	local -a info table fields
	local counters=(reads read_sectors writes write_sectors flushes discards
		discard_sectors write_zeroes write_zeroes_sectors secure_erases)

	before=$(dm_counters "$name")
	j=$(vol_json "$name")
	after=$(dm_counters "$name")
	expect_eq "$name: no I/O while sampling" "$before" "$after"
	read -r -a info <<<"$(dmsetup info -c --noheadings --separator ' ' -o name,uuid,major,minor,open "$name")"
	read -r -a table <<<"$(dmsetup table "$name")"
	read -r -a fields <<<"$after"

	expect_eq "$name: name" "$name" "$(jv "$j" name)"
	expect_eq "$name: state" active "$(jv "$j" state)"
	expect_eq "$name: reason" null "$(jv "$j" reason)"
	expect_eq "$name: dm.name = dmsetup info" "${info[0]}" "$(jv "$j" dm.name)"
	expect_eq "$name: dm.uuid = dmsetup info" "${info[1]}" "$(jv "$j" dm.uuid)"
	expect_eq "$name: dm.devnum = dmsetup info" "${info[2]}:${info[3]}" "$(jv "$j" dm.devnum)"
	expect_eq "$name: dm.open_count = dmsetup info" "${info[4]}" "$(jv "$j" dm.open_count)"
	expect_eq "$name: dm.device" "/dev/mapper/$name" "$(jv "$j" dm.device)"
	t=false
	dmsetup info "$name" | grep -q '^State: *ACTIVE (READ-ONLY)' && t=true
	expect_eq "$name: dm.read_only = dmsetup info" "$t" "$(jv "$j" dm.read_only)"
	expect_eq "$name: dm.suspended" false "$(jv "$j" dm.suspended)"
	expect_eq "$name: dm.deferred_remove" false "$(jv "$j" dm.deferred_remove)"
	expect_eq "$name: size_sectors = dmsetup table" "${table[1]}" "$(jv "$j" size_sectors)"
	expect_eq "$name: size_sectors = blockdev" "$(blockdev --getsz "/dev/mapper/$name")" "$(jv "$j" size_sectors)"
	expect_eq "$name: backing.devnum = dmsetup table" "${table[3]}" "$(jv "$j" backing.devnum)"
	expect_eq "$name: offset_sectors = dmsetup table" "${table[4]}" "$(jv "$j" offset_sectors)"
	expect_eq "$name: backing.device has that number" "${table[3]}" \
		"$(devnum "$(jv "$j" backing.device)")"
	for i in "${!counters[@]}"; do
		expect_eq "$name: counters.${counters[$i]} = dmsetup status" "${fields[$i]}" \
			"$(jv "$j" "counters.${counters[$i]}")"
	done
	t=false
	[ "${fields[10]}" = trace ] && t=true
	expect_eq "$name: trace = dmsetup status" "$t" "$(jv "$j" trace)"
	check "$name: since is ISO 8601 UTC" grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' <<<"$(jv "$j" since)"
	expect_eq "$name: since = since_usec" "$(jv "$j" since)" \
		"$(date -u -d "@$(($(jv "$j" since_usec) / 1000000))" +%Y-%m-%dT%H:%M:%SZ)"
	check "$name: since within the last 15 minutes" \
		test $(($(date +%s) - $(jv "$j" since_usec) / 1000000)) -lt 900
}

# some I/O, so the counters are not all zero
write_pattern /dev/mapper/scratch 0 "ctl-status"
dd if=/dev/mapper/scratch of=/dev/null bs=4096 count=4 iflag=direct status=none
dd if=/dev/mapper/ro of=/dev/null bs=512 count=3 iflag=direct status=none
udevadm settle

for v in scratch ro; do
	check_map "$v"
	j=$(vol_json "$v")
	loop=$(losetup -j "/var/lib/basicdm/$v.img" -n -O NAME)
	expect_eq "$v: one loop device (losetup -j)" 1 "$(losetup -j "/var/lib/basicdm/$v.img" | wc -l)"
	expect_eq "$v: backing.kind" file "$(jv "$j" backing.kind)"
	expect_eq "$v: backing.file" "/var/lib/basicdm/$v.img" "$(jv "$j" backing.file)"
	expect_eq "$v: backing.loop_device = losetup -j" "$loop" "$(jv "$j" backing.loop_device)"
	expect_eq "$v: backing.device = losetup -j" "$loop" "$(jv "$j" backing.device)"
	expect_eq "$v: backing.devnum = lsblk of the loop device" \
		"$(devnum "$loop")" "$(jv "$j" backing.devnum)"
	expect_eq "$v: backing.path" null "$(jv "$j" backing.path)"
	expect_eq "$v: backing.match" null "$(jv "$j" backing.match)"
done
j=$(vol_json scratch)
check "scratch: reads counted" test "$(jv "$j" counters.reads)" -ge 4
check "scratch: writes counted" test "$(jv "$j" counters.writes)" -ge 1
j=$(vol_json ro)
expect_eq "ro: read_only as configured" true "$(jv "$j" read_only)"
expect_eq "ro: dm.read_only" true "$(jv "$j" dm.read_only)"
expect_eq "ro: trace as configured" true "$(jv "$j" trace)"
expect_eq "ro: size_sectors as configured" 8192 "$(jv "$j" size_sectors)"
expect_eq "ro: offset_sectors as configured" 2048 "$(jv "$j" offset_sectors)"

check_map archive
j=$(vol_json archive)
disk=$(readlink -f /dev/disk/by-id/virtio-CTLARCHIVE01)
expect_eq "archive: backing.kind" match "$(jv "$j" backing.kind)"
expect_eq "archive: backing.match.ID_SERIAL" CTLARCHIVE01 "$(jv "$j" backing.match.ID_SERIAL)"
expect_eq "archive: backing.device is the disk" "$disk" "$(jv "$j" backing.device)"
expect_eq "archive: backing.devnum = lsblk" "$(devnum "$disk")" "$(jv "$j" backing.devnum)"
expect_eq "archive: no loop device" null "$(jv "$j" backing.loop_device)"
expect_eq "archive: no file" null "$(jv "$j" backing.file)"
expect_eq "archive: size = disk - offset" $((64 * 2048 - 2048)) "$(jv "$j" size_sectors)"

j=$(vol_json raw)
expect_eq "raw: state" waiting "$(jv "$j" state)"
expect_eq "raw: backing.kind" device "$(jv "$j" backing.kind)"
expect_eq "raw: backing.path" /dev/disk/by-id/virtio-CTLRAW01 "$(jv "$j" backing.path)"
for k in backing.device backing.devnum backing.loop_device dm counters size_sectors reason; do
	expect_eq "raw: $k is null" null "$(jv "$j" "$k")"
done
check "raw: no map in dmsetup either" sh -c '! dmsetup info raw >/dev/null 2>&1'

all=$(basicdmctl status --json | json_flat)
expect_eq "status --json: ok" true "$(jv "$all" ok)"
expect_eq "status --json: every volume, in order" "scratch ro archive raw" \
	"$(printf '%s\n' "$all" | sed -n 's/^volumes\.[0-9]*\.name=//p' | xargs)"
expect_eq "status --json NAME: one volume" 1 "$(basicdmctl status --json raw | json_flat | grep -c '\.name=')"

# ---- any user reads ----------------------------------------------------------
check "useradd ctlreader" useradd --no-create-home --shell /bin/sh ctlreader
check "a user reads status" runuser -u ctlreader -- basicdmctl status
expect_eq "a user's JSON is root's JSON (but for the counters)" \
	"$(basicdmctl status --json | json_flat | grep -v counters)" \
	"$(runuser -u ctlreader -- basicdmctl status --json | json_flat | grep -v counters)"
expect_eq "a user lists the volumes" "scratch ro archive raw" "$(runuser -u ctlreader -- basicdmctl list | xargs)"

# ---- no daemon -----------------------------------------------------------------
check "the daemon stops" daemon_stop
check "the socket goes with it" sh -c '! test -e /run/basicdm/control'
expect_eq "status without a daemon: exit 3" 3 "$(rc basicdmctl status)"
check "and says it is not running" sh -c 'basicdmctl status 2>&1 | grep -q "basicdmd is not running"'
