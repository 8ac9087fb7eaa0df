# The disks users plug in: USB mass storage (on xHCI), SCSI (virtio-scsi)
# and NVMe, hot-added through QMP.  Each is matched by the serial udev
# reports for it, ID_SERIAL_SHORT first; then by the full ID_SERIAL that
# udev made for that bus, read back with udevadm as basicdm.conf(5) tells
# the administrator to.  Each maps the whole disk, the data lands on it,
# and pulling the disk takes the map away; the other volumes are untouched.
. "$PAYLOAD/guest/ctl.sh"
install_root

buses="usb scsi nvme"
serial_of() { echo "BUS${1^^}01"; }

{
	echo 'volumes = ('
	for bus in $buses; do
		printf '  { name = "%s"; match = { ID_SERIAL_SHORT = "%s"; }; },\n' "$bus" "$(serial_of "$bus")"
	done
	echo '  { name = "keep"; file = "/var/lib/basicdm/keep.img"; size = "8M"; }'
	echo ');'
} > /etc/basicdm.conf
mkdir -p /var/lib/basicdm
check "daemon starts, the bus volumes wait" daemon_start
keep_dev=$(map_devnum keep)

# disk_of SERIAL: the whole-disk node udev gave the disk with that ID_SERIAL_SHORT.
disk_of() {
	local d
	for d in /sys/class/block/*; do
		[ -e "$d/partition" ] && continue
		if udevadm info -q property -n "/dev/${d##*/}" 2>/dev/null | grep -qx "ID_SERIAL_SHORT=$1"; then
			echo "/dev/${d##*/}"
			return 0
		fi
	done
	return 1
}

declare -A id_serial
for bus in $buses; do
	serial=$(serial_of "$bus")
	check "$bus: hot-add a 32 MiB disk, serial $serial" host disk-add "d$bus" 32 "$serial" "bus=$bus"
	check "$bus: /dev/basicdm/$bus appears" wait_until 120 test -b "/dev/basicdm/$bus"
	check "$bus: active" wait_until 60 is_state "$bus" active
	disk=$(disk_of "$serial") || { fail "$bus: udev shows ID_SERIAL_SHORT=$serial" "no such disk"; continue; }
	info "$bus: $disk, $(udevadm info -q property -n "$disk" | grep -E '^(ID_BUS|ID_SERIAL|ID_SERIAL_SHORT)=' | tr '\n' ' ')"
	id_serial[$bus]=$(udevadm info -q property -n "$disk" | sed -n 's/^ID_SERIAL=//p')
	expect_eq "$bus: the map is the whole disk" \
		"0 $(sectors "$disk") basic_target $(devnum "$disk") 0" \
		"$(dmsetup table "$bus")"
	write_pattern "/dev/basicdm/$bus" 100 "bus-$bus"
	expect_eq "$bus: data lands on the disk" "bus-$bus" "$(read_sector "$disk" 100)"
	check "$bus: hot-remove" host disk-del "d$bus"
	check "$bus: the map goes away" wait_until 120 sh -c "! dmsetup info $bus >/dev/null 2>&1"
	check "$bus: /dev/basicdm/$bus goes away" wait_until 60 sh -c "! test -e /dev/basicdm/$bus"
	check "$bus: waiting again" wait_until 60 is_state "$bus" waiting
done

# The same disks, matched by the full ID_SERIAL udev made for each bus.
{
	echo 'volumes = ('
	for bus in $buses; do
		printf '  { name = "%s"; match = { ID_SERIAL = "%s"; }; },\n' "$bus" "${id_serial[$bus]:-unknown}"
	done
	echo '  { name = "keep"; file = "/var/lib/basicdm/keep.img"; size = "8M"; }'
	echo ');'
} > /etc/basicdm.conf
check "reload with ID_SERIAL matches" basicdmctl reload
for bus in $buses; do
	check "$bus: plug the disk back" host disk-add "d$bus" 32 "$(serial_of "$bus")" "bus=$bus"
	check "$bus: mapped again by ID_SERIAL=${id_serial[$bus]:-unknown}" wait_until 120 is_state "$bus" active
	expect_eq "$bus: with its data" "bus-$bus" "$(read_sector "/dev/basicdm/$bus" 100)"
done
for bus in $buses; do
	check "$bus: hot-remove again" host disk-del "d$bus"
	check "$bus: the map goes away again" wait_until 120 sh -c "! dmsetup info $bus >/dev/null 2>&1"
done
expect_eq "the file volume was never touched" "$keep_dev" "$(map_devnum keep)"
check "the daemon still runs" systemctl is-active --quiet basicdm
