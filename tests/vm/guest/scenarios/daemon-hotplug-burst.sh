# Sixteen disks hot-added at once (sixteen QMP requests back to back): the
# daemon maps every one onto the volume matching its serial, none is missed
# or swapped, and the data written through each map lands on its own disk.
install_root
N=16
{
	echo 'volumes = ('
	for ((i = 1; i <= N; i++)); do
		id=$(printf '%02d' "$i")
		sep=,
		[ "$i" = "$N" ] && sep=
		echo "  { name = \"burst$id\"; match = { ID_SERIAL = \"BURST$id\"; }; offset = $((i * 8)); }$sep"
	done
	echo ');'
} > /etc/basicdm.conf
check "daemon starts with none of the disks present" daemon_start
expect_eq "all $N volumes wait" "StatusText=0 active, $N waiting, 0 failed" \
	"$(systemctl show -p StatusText basicdm)"

t0=$SECONDS
added=0
for ((i = 1; i <= N; i++)); do
	id=$(printf '%02d' "$i")
	host disk-add "b$id" 32 "BURST$id" && added=$((added + 1))
done
expect_eq "QMP: $N disks hot-added back to back" "$N" "$added"
all_maps() {
	local i
	for ((i = 1; i <= N; i++)); do
		test -b "/dev/mapper/burst$(printf '%02d' "$i")" || return 1
	done
}
check "every /dev/mapper/burstNN appears" wait_until 300 all_maps
check "the daemon reports all $N active" wait_until 120 sh -c \
	"[ \"\$(systemctl show -p StatusText --value basicdm)\" = '$N active, 0 waiting, 0 failed' ]"
info "$N hot-added disks mapped in $((SECONDS - t0)) s"
data daemon-hotplug-burst "disks=$N seconds_to_active=$((SECONDS - t0))"
expect_eq "$N attached events in the journal" "$N" "$(journal_count BASICDM_EVENT=attached)"
expect_eq "no failure in the journal" 0 "$(journal_count BASICDM_EVENT=failed)"
expect_eq "one map per volume, no other" "$N" "$(dmsetup ls --target basic_target | grep -c '^burst')"

# Each map's table names its own disk at its own offset; data written
# through the map is on that disk at that offset.
bad_table=0 bad_data=0 bytes=0
for ((i = 1; i <= N; i++)); do
	id=$(printf '%02d' "$i")
	disk=$(readlink -f "/dev/disk/by-id/virtio-BURST$id")
	want="0 $((32 * 2048 - i * 8)) basic_target $(devnum "$disk") $((i * 8))"
	if [ "$(dmsetup table "burst$id")" != "$want" ]; then
		bad_table=$((bad_table + 1))
		fail "burst$id table" "expected '$want', got '$(dmsetup table "burst$id")'"
	fi
	# 1 MiB of random data through the map, compared with the disk's sectors
	head -c 1048576 /dev/urandom > /tmp/burst.data
	dd if=/tmp/burst.data of="/dev/mapper/burst$id" bs=64k oflag=direct status=none
	want_sum=$(sha256sum < /tmp/burst.data | cut -d' ' -f1)
	on_map=$(dd if="/dev/mapper/burst$id" bs=64k count=16 iflag=direct status=none | sha256sum | cut -d' ' -f1)
	on_disk=$(dd if="$disk" bs=512 skip=$((i * 8)) count=2048 iflag=direct status=none | sha256sum | cut -d' ' -f1)
	if [ "$on_map" = "$want_sum" ] && [ "$on_disk" = "$want_sum" ]; then
		bytes=$((bytes + 1048576))
	else
		bad_data=$((bad_data + 1))
		fail "burst$id data" "written $want_sum, map reads $on_map, disk reads $on_disk"
	fi
done
expect_eq "every table names its disk and offset" 0 "$bad_table"
expect_eq "every map's data is on its own disk" 0 "$bad_data"
info "$bytes bytes verified through $N maps and on their disks"
data daemon-hotplug-burst "bytes_verified=$bytes"
check "the daemon still runs" systemctl is-active --quiet basicdm
rm -f /tmp/burst.data
