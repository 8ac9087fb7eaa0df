# vm-options: --allow-reboot --timeout 1800
# Only the map carries what is on it, never a device under it: a device
# under a volume (a file volume's loop device, a disk at offset 0) is a
# component in udev, as multipath marks its paths: not ready for systemd,
# its file-system signature hidden, skipped by LVM; /dev/disk/by-uuid and
# by-label, fstab UUID= lines and LVM's autoactivation use the map; the
# mark goes with the volume (deactivate, unplug) and comes back with it.
# Then a reboot with the disks present: LVM autoactivates on the maps, and
# a UUID= line in fstab never mounts the raw disk, even though basicdm
# starts only after systemd has seen every disk (a drop-in holds it back
# until then).
state=$BOOT_STATE
mkdir -p "$state"

# The kernel name of the one device under map NAME (loop0, vdb).
backing_of() { dmsetup deps -o blkdevname "$1" | sed -n 's/.*(\([^)]*\)).*/\1/p'; }
# The same as device-mapper names it: a map's name (pv) for a map.
dep_name() { dmsetup deps -o devname "$1" | sed -n 's/.*(\([^)]*\)).*/\1/p'; }
# The links udev made for DEV, one a line.
links_of() { udevadm info -q symlink --name "$1" | tr ' ' '\n'; }
# systemd's device unit for PATH, and one of its properties.
unit_of() { systemd-escape --path --suffix=device "$1"; }
unit_prop() { systemctl show -p "$2" --value "$(unit_of "$1")"; }
map_dev() { readlink -f "/dev/mapper/$1"; }
marker_of() { echo "/run/basicdm/backing/$(devnum "/dev/$1")"; }
# udev's inotify watch of device B (60-block.rules), as udevd records it
watch_of() { echo "/run/udev/watch/b$(devnum "/dev/$1")"; }

# What a user checks on a component B of volume NAME whose file system
# (UUID U, label L) is on the map.
assert_component() {
	local name=$1 b=$2 u=$3 l=$4 map
	map=$(map_dev "$name")
	expect_eq "$name: $b is not ready for systemd" 0 "$(prop "/dev/$b" SYSTEMD_READY)"
	expect_eq "$name: $b shows FSTYPE basicdm_member" basicdm_member "$(prop "/dev/$b" ID_FS_TYPE)"
	expect_eq "$name: $b has no ID_FS_UUID" "" "$(prop "/dev/$b" ID_FS_UUID)"
	expect_eq "$name: $b has no ID_FS_LABEL" "" "$(prop "/dev/$b" ID_FS_LABEL)"
	expect_eq "$name: udev says $b backs $name" "1 $name" \
		"$(prop "/dev/$b" BASICDM_BACKING) $(prop "/dev/$b" BASICDM_VOLUME)"
	check "$name: no by-uuid or by-label link on $b" \
		sh -c "! udevadm info -q symlink --name /dev/$b | grep -q 'disk/by-uuid\|disk/by-label'"
	expect_eq "$name: /dev/disk/by-uuid/$u is the map" "$map" "$(readlink -f "/dev/disk/by-uuid/$u")"
	expect_eq "$name: /dev/disk/by-label/$l is the map" "$map" "$(readlink -f "/dev/disk/by-label/$l")"
	expect_eq "$name: lsblk -f shows basicdm_member on $b, ext4 on the map" \
		"basicdm_member ext4" "$(lsblk -dno FSTYPE "/dev/$b") $(lsblk -dno FSTYPE "$map")"
	expect_eq "$name: systemd's by-uuid unit follows the map" \
		"active /sys/devices/virtual/block/${map#/dev/}" \
		"$(unit_prop "/dev/disk/by-uuid/$u" ActiveState) $(unit_prop "/dev/disk/by-uuid/$u" SysFSPath)"
	expect_eq "$name: systemd's unit of $b is not active" inactive "$(unit_prop "/dev/$b" ActiveState)"
	check "$name: udev does not watch $b for writes" sh -c "! test -L $(watch_of "$b")"
	info "$name: blkid -p /dev/$b still reads: $(blkid -p -o value -s TYPE "/dev/$b") (direct probing ignores udev)"
}

# B is an ordinary device again: its own file system (UUID U) shows.
is_unmarked() {
	[ "$(prop "/dev/$1" ID_FS_UUID)" = "$2" ] && [ -z "$(prop "/dev/$1" BASICDM_BACKING)" ] &&
		[ -z "$(prop "/dev/$1" SYSTEMD_READY)" ]
}
# An event on device B that reads what is on it now: the map's writes pass
# by B's page cache, so drop what B cached before (a reboot does the same).
probe_again() {
	blockdev --flushbufs "/dev/$1"
	udevadm trigger --settle --action=change "/dev/$1"
}

# mbr_entry DEV N START SECTORS: MBR partition N (1-4), type 0x83, written
# byte by byte (the image has no partitioning tool).
le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
mbr_entry() {
	# shellcheck disable=SC2059  # the format is the bytes
	printf "\\x00\\x00\\x00\\x00\\x83\\x00\\x00\\x00$(le32 "$3")$(le32 "$4")" |
		dd of="$1" bs=1 seek=$((446 + 16 * ($2 - 1))) conv=notrunc status=none
	printf '\x55\xaa' | dd of="$1" bs=1 seek=510 conv=notrunc status=none
}
# mbr_id DEV ID: the disk identifier, so each disk's partitions have their own PARTUUID.
mbr_id() {
	# shellcheck disable=SC2059
	printf "$(le32 "$2")" | dd of="$1" bs=1 seek=440 conv=notrunc status=none
}

# B is marked and its signature hidden (after an event that saw it).
is_marked() {
	[ "$(prop "/dev/$1" BASICDM_BACKING)" = 1 ] && [ -z "$(prop "/dev/$1" ID_FS_UUID)" ] &&
		[ "$(prop "/dev/$1" SYSTEMD_READY)" = 0 ]
}

phase1() {
	install_root
	check "the rules and their helper are installed" \
		test -x /usr/lib/udev/basicdm-udev-backing -a -f /usr/lib/udev/rules.d/61-basicdm-backing.rules
	cat > /etc/basicdm.conf <<'CONF'
volumes = (
  { name = "files"; file = "/var/lib/basicdm/files.img"; size = "64M"; },
  { name = "disk"; match = { ID_SERIAL = "COMP01"; }; },
  { name = "pv"; file = "/var/lib/basicdm/pv.img"; size = "64M"; },
  { name = "pvdisk"; device = "/dev/disk/by-id/virtio-PVD01"; offset = 2048; },
  { name = "race"; device = "/dev/disk/by-id/virtio-RACE01"; },
  { name = "part"; match = { ID_PART_ENTRY_NAME = "comp-media"; }; },
  { name = "whole"; match = { ID_SERIAL = "WHOLE01"; }; }
);
CONF
	# enabled: after the reboot, udev's helper claims the disks from the config
	check "systemctl enable basicdm" systemctl enable --quiet basicdm
	check "daemon starts" daemon_start || return

	# ---- a file volume: its loop device ----
	check "/dev/mapper/files" wait_until 120 test -b /dev/mapper/files || return
	local loop uf
	loop=$(backing_of files)
	check "files: the daemon marked its loop device $loop" test -f "$(marker_of "$loop")"
	check "files: mkfs.ext4 on the map" mkfs.ext4 -q -L files-lab /dev/mapper/files
	uf=$(blkid -o value -s UUID /dev/mapper/files)
	# any later event of the loop device sees the signature: it stays hidden
	probe_again "$loop"
	expect_eq "files: blkid -p on $loop reads the file system too" ext4 \
		"$(blkid -p -o value -s TYPE "/dev/$loop")"
	assert_component files "$loop" "$uf" files-lab
	expect_eq "files: what is on it is kept for the matcher" "$uf" \
		"$(prop "/dev/$loop" BASICDM_BACKING_FS_UUID)"

	# a stopped daemon leaves its map, and the device under it stays not ready
	check "files: systemctl stop basicdm" daemon_stop
	probe_again "$loop"
	expect_eq "files: held by the map, $loop stays not ready with the daemon stopped" "0 mapped" \
		"$(prop "/dev/$loop" SYSTEMD_READY) $(prop "/dev/$loop" BASICDM_STATE)"
	expect_eq "files: by-uuid still names the map" "$(map_dev files)" \
		"$(readlink -f "/dev/disk/by-uuid/$uf")"
	info "files: with the daemon stopped, $loop has the links: $(links_of "/dev/$loop" | tr '\n' ' ')"
	check "daemon starts again" daemon_start
	check "files: the restarted daemon marks $loop again and udev hides its signature" \
		wait_until 120 is_marked "$loop"
	assert_component files "$loop" "$uf" files-lab
	echo "$uf" > "$state/uuid-files"

	# ---- a disk at offset 0, hot-plugged ----
	check "QMP: hot-add disk COMP01" host disk-add d1 64 COMP01
	check "/dev/mapper/disk" wait_until 120 test -b /dev/mapper/disk || return
	local disk ud
	disk=$(backing_of disk)
	check "disk: mkfs.ext4 on the map" mkfs.ext4 -q -L disk-lab /dev/mapper/disk
	ud=$(blkid -o value -s UUID /dev/mapper/disk)
	probe_again "$disk"
	assert_component disk "$disk" "$ud" disk-lab
	echo "$ud" > "$state/uuid-disk"

	# deactivated, the disk is an ordinary disk again: the mark goes with the map
	check "disk: basicdmctl deactivate disk" basicdmctl deactivate disk
	check "disk: the map goes" wait_until 120 sh -c '! test -e /dev/mapper/disk'
	check "disk: $disk is unmarked, its own file system shows" wait_until 120 is_unmarked "$disk" "$ud"
	check "disk: its marker is gone" sh -c "! test -e $(marker_of "$disk")"
	check "disk: udev watches $disk for writes again" wait_until 60 test -L "$(watch_of "$disk")"
	expect_eq "disk: by-uuid names $disk now" "/dev/$disk" "$(readlink -f "/dev/disk/by-uuid/$ud")"
	check "disk: systemd's unit of $disk is active" \
		wait_until 60 sh -c "[ \"\$(systemctl show -p ActiveState --value $(unit_of "/dev/$disk"))\" = active ]"
	check "disk: basicdmctl activate disk" basicdmctl activate disk
	check "disk: the map is back" wait_until 120 test -b /dev/mapper/disk
	check "disk: $disk is marked again" wait_until 120 is_marked "$disk"
	assert_component disk "$disk" "$ud" disk-lab

	# pulled and plugged back: the mark goes and comes back
	local marker
	marker=$(marker_of "$disk")
	check "QMP: hot-remove COMP01" host disk-del d1
	check "disk: the map goes with the disk" wait_until 120 sh -c '! test -e /dev/mapper/disk'
	check "disk: its marker is gone" wait_until 60 sh -c "! test -e $marker"
	check "QMP: plug COMP01 back" host disk-add d1 64 COMP01
	check "disk: the map is back" wait_until 120 test -b /dev/mapper/disk
	disk=$(backing_of disk)
	check "disk: the plugged-in $disk is marked" wait_until 120 is_marked "$disk"
	assert_component disk "$disk" "$ud" disk-lab

	# ---- a partition volume: the partition is marked, not its disk ----
	check "QMP: hot-add disk PART01 with two GPT partitions" \
		host disk-add d5 32 PART01 gpt=comp-media:8,comp-other:8
	local pdisk part other up
	check "/dev/mapper/part, on PART01's partition comp-media" wait_until 120 test -b /dev/mapper/part || return
	part=$(backing_of part)
	pdisk=$(basename "$(readlink -f /dev/disk/by-id/virtio-PART01)")
	other=$(basename "$(readlink -f /dev/disk/by-partlabel/comp-other)")
	expect_eq "part: the map is sized to the partition" 16384 "$(blockdev --getsz /dev/mapper/part 2>&1)"
	check "part: mkfs.ext4 on the map" mkfs.ext4 -q -L part-lab /dev/mapper/part
	up=$(blkid -o value -s UUID /dev/mapper/part)
	probe_again "$part"
	assert_component part "$part" "$up" part-lab
	expect_eq "part: its partition entry stays, with by-partlabel" "/dev/$part" \
		"$(readlink -f /dev/disk/by-partlabel/comp-media)"
	check "part: the disk $pdisk is not marked" sh -c "[ -z \"\$(udevadm info -q property --name /dev/$pdisk | grep '^BASICDM_BACKING=')\" ]"
	check "part: the other partition $other is not marked" \
		sh -c "[ -z \"\$(udevadm info -q property --name /dev/$other | grep '^BASICDM_BACKING=')\" ]"

	# ---- a disk volume whose map holds a partition table: the disk's partitions are components ----
	check "QMP: hot-add disk WHOLE01" host disk-add d6 32 WHOLE01
	check "/dev/mapper/whole" wait_until 120 test -b /dev/mapper/whole || return
	local whole uw
	whole=$(backing_of whole)
	mbr_id /dev/mapper/whole $((0xb001))
	mbr_entry /dev/mapper/whole 1 2048 16384
	check "whole: mkfs.ext4 inside the map's partition" \
		mkfs.ext4 -q -F -L whole-lab -E offset=1048576 /dev/mapper/whole 8M
	uw=$(blkid -p -o value -s UUID -O 1048576 /dev/mapper/whole)
	# the kernel reads a mapped disk's partition table only when it is plugged
	check "QMP: unplug WHOLE01" host disk-del d6
	check "whole: the map goes" wait_until 120 sh -c '! test -e /dev/mapper/whole'
	check "QMP: plug WHOLE01 back" host disk-add d6 32 WHOLE01
	check "whole: the map is back" wait_until 120 test -b /dev/mapper/whole
	whole=$(backing_of whole)
	check "whole: ${whole}1 appears" wait_until 120 test -b "/dev/${whole}1"
	udevadm settle
	expect_eq "whole: blkid -p reads ext4 on ${whole}1" ext4 "$(blkid -p -o value -s TYPE "/dev/${whole}1")"
	expect_eq "whole: ${whole}1 is a component of whole" "1 whole 0 basicdm_member" \
		"$(prop "/dev/${whole}1" BASICDM_BACKING) $(prop "/dev/${whole}1" BASICDM_VOLUME) $(prop "/dev/${whole}1" SYSTEMD_READY) $(prop "/dev/${whole}1" ID_FS_TYPE)"
	check "whole: no /dev/disk/by-uuid link for the file system in ${whole}1" \
		sh -c "! test -e /dev/disk/by-uuid/$uw"

	# ---- fstab lines written with UUID= ----
	mkdir -p /mnt/files /mnt/disk /mnt/race
	{
		echo "UUID=$uf /mnt/files ext4 nofail,x-systemd.device-timeout=600 0 0"
		echo "UUID=$ud /mnt/disk ext4 nofail,x-systemd.device-timeout=600 0 0"
	} >> /etc/fstab
	systemctl daemon-reload
	check "fstab UUID= line: mount /mnt/files" mount /mnt/files
	check "fstab UUID= line: mount /mnt/disk" mount /mnt/disk
	expect_eq "the UUID= line mounts the map (files)" /dev/mapper/files "$(findmnt -no SOURCE /mnt/files)"
	expect_eq "the UUID= line mounts the map (disk)" /dev/mapper/disk "$(findmnt -no SOURCE /mnt/disk)"
	echo files > /mnt/files/proof
	echo disk > /mnt/disk/proof

	# ---- LVM: a PV on a file volume at offset 0, another on a disk volume at 2048 ----
	check "QMP: hot-add disk PVD01" host disk-add d2 64 PVD01
	check "/dev/mapper/pvdisk" wait_until 120 test -b /dev/mapper/pvdisk || return
	check "/dev/mapper/pv" test -b /dev/mapper/pv || return
	# at offset 0 the loop device carries the same PV label: only --devices
	# (or the devices file, or a filter) keeps LVM's commands off it
	check "pvcreate --devices /dev/basicdm/pv" pvcreate -q --devices /dev/basicdm/pv /dev/basicdm/pv
	check "vgcreate vgfile on the map" vgcreate -q --devices /dev/basicdm/pv vgfile /dev/basicdm/pv
	check "lvcreate vgfile/lv" lvcreate -q -y --devices /dev/basicdm/pv -n lv -L 16M vgfile
	check "pvcreate on the disk volume at offset 2048" pvcreate -q --devices /dev/basicdm/pvdisk /dev/basicdm/pvdisk
	check "vgcreate vgdisk" vgcreate -q --devices /dev/basicdm/pvdisk vgdisk /dev/basicdm/pvdisk
	check "lvcreate vgdisk/lv" lvcreate -q -y --devices /dev/basicdm/pvdisk -n lv -L 16M vgdisk
	info "plain pvs on a stock lvm.conf: $(pvs 2>&1 3>&- | tr '\n' '|')"
	probe_again "$(backing_of pv)"
	expect_eq "pv: its loop device is no LVM2_member to udev" basicdm_member \
		"$(prop "/dev/$(backing_of pv)" ID_FS_TYPE)"
	check "vgchange -an, so the boot activates them" vgchange -q -an vgfile vgdisk

	# ---- the boot race: a disk present at boot, basicdm held back ----
	check "QMP: hot-add disk RACE01" host disk-add d3 32 RACE01
	check "QMP: hot-add the control disk CTL01" host disk-add d4 16 CTL01
	check "/dev/mapper/race" wait_until 120 test -b /dev/mapper/race || return
	check "race: mkfs.ext4 on the map" mkfs.ext4 -q /dev/mapper/race
	check "control disk: mkfs.ext4 -L before" mkfs.ext4 -q -L before /dev/disk/by-id/virtio-CTL01
	local ur
	ur=$(blkid -o value -s UUID /dev/mapper/race)
	echo "$ur" > "$state/uuid-race"
	echo "UUID=$ur /mnt/race ext4 nofail,x-systemd.device-timeout=600 0 0" >> /etc/fstab
	cat > /usr/local/sbin/basicdm-race-gate <<GATE
#!/bin/sh
# basicdm.service starts only once systemd has handled the udev events of
# every disk there at boot: a UUID= line for RACE01 had every chance to
# mount the raw disk before its map exists.  The barrier: udev has
# processed all events, then one more change of the control disk, whose
# new label link systemd must have seen, after all the others.
udevadm settle --timeout=300
e2label /dev/disk/by-id/virtio-CTL01 gate
udevadm trigger --settle --action=change /dev/disk/by-id/virtio-CTL01
barrier=\$(systemd-escape --path --suffix=device /dev/disk/by-label/gate)
# bounded by the clock, not by a count of tries: a loaded emulator makes
# each try slow
deadline=\$((\$(date +%s) + 300))
until [ "\$(systemctl show -p ActiveState --value "\$barrier")" = active ] ||
	[ "\$(date +%s)" -ge \$deadline ]; do
	sleep 0.1
done
{
	echo "barrier=\$(systemctl show -p ActiveState --value "\$barrier")"
	echo "mount=\$(systemctl show -p ActiveState --value mnt-race.mount)"
	echo "mounted=\$(findmnt -no SOURCE /mnt/race)"
	echo "uuid_unit=\$(systemctl show -p ActiveState --value "\$(systemd-escape --path --suffix=device /dev/disk/by-uuid/$ur)")"
	echo "link=\$(readlink -f /dev/disk/by-uuid/$ur)"
	udevadm info -q property --name /dev/disk/by-id/virtio-RACE01 |
		grep -E '^(SYSTEMD_READY|BASICDM_BACKING|BASICDM_STATE)='
} > $state/gate
GATE
	chmod 755 /usr/local/sbin/basicdm-race-gate
	mkdir -p /etc/systemd/system/basicdm.service.d
	printf '[Service]\nExecStartPre=+/usr/local/sbin/basicdm-race-gate\n' \
		> /etc/systemd/system/basicdm.service.d/race.conf
	# the next boot's console shows the kernel's informational lines too: a
	# task blocked at boot is printed with its stack, for whoever reads the log
	echo 'kernel.printk = 7 4 1 7' > /etc/sysctl.d/50-basicdm-vm-console.conf
	systemctl daemon-reload
	sync
	reboot_to 2 "with the disks COMP01, PVD01, RACE01 and CTL01 present"
}

phase2() {
	local uf ud ur race line
	uf=$(cat "$state/uuid-files")
	ud=$(cat "$state/uuid-disk")
	ur=$(cat "$state/uuid-race")

	# ---- the boot race, as the gate saw it before basicdm started ----
	info "gate: $(tr '\n' ' ' < "$state/gate")"
	check "gate: systemd had handled every disk's event" grep -qx barrier=active "$state/gate"
	check "gate: the raw RACE01 disk was claimed and not ready" \
		sh -c "grep -qx SYSTEMD_READY=0 $state/gate && grep -qx BASICDM_STATE=claimed $state/gate"
	check "gate: systemd's by-uuid unit of the race fs was not plugged" \
		grep -qx uuid_unit=inactive "$state/gate"
	check "gate: nothing mounted /mnt/race from the raw disk" \
		sh -c "grep -qx mounted= $state/gate && ! grep -qx mount=active $state/gate"
	check "race: /mnt/race mounted once the map was there" \
		wait_until 300 sh -c '[ "$(findmnt -no SOURCE /mnt/race)" = /dev/mapper/race ]'
	race=$(backing_of race)
	expect_eq "race: systemd's unit of the raw disk $race never became active" 0 \
		"$(unit_prop "/dev/$race" ActiveEnterTimestampMonotonic)"
	expect_eq "race: mnt-race.mount mounted once" 1 \
		"$(journalctl -b -u mnt-race.mount -o cat | grep -c '^Mounted ')"
	rm -f /etc/systemd/system/basicdm.service.d/race.conf
	systemctl daemon-reload

	# ---- fstab UUID= lines at boot ----
	check "files: /mnt/files mounted from the map at boot" \
		wait_until 300 sh -c '[ "$(findmnt -no SOURCE /mnt/files)" = /dev/mapper/files ]'
	check "disk: /mnt/disk mounted from the map at boot" \
		wait_until 300 sh -c '[ "$(findmnt -no SOURCE /mnt/disk)" = /dev/mapper/disk ]'
	expect_eq "files: the data" files "$(cat /mnt/files/proof)"
	expect_eq "disk: the data" disk "$(cat /mnt/disk/proof)"
	check "files: its loop device is marked after the boot" is_marked "$(backing_of files)"
	check "disk: the disk is marked after the boot" is_marked "$(backing_of disk)"
	expect_eq "disk: by-uuid names the map after the boot" "$(map_dev disk)" \
		"$(readlink -f "/dev/disk/by-uuid/$ud")"
	expect_eq "files: by-uuid names the map after the boot" "$(map_dev files)" \
		"$(readlink -f "/dev/disk/by-uuid/$uf")"

	# ---- LVM autoactivated on the maps ----
	check "vgfile/lv autoactivated at boot" wait_until 300 test -b /dev/vgfile/lv
	check "vgdisk/lv autoactivated at boot" wait_until 300 test -b /dev/vgdisk/lv
	expect_eq "dmsetup deps: vgfile-lv sits on the map pv" pv "$(dep_name vgfile-lv)"
	expect_eq "dmsetup deps: vgdisk-lv sits on the map pvdisk" pvdisk "$(dep_name vgdisk-lv)"
	info "lvs -o+devices: $(lvs --noheadings -o lv_name,vg_name,devices 2>&1 3>&- | tr '\n' '|')"
	expect_eq "lvs -o devices names the maps" "/dev/basicdm/pv(0) /dev/basicdm/pvdisk(0)" \
		"$(lvs --noheadings -o devices vgfile vgdisk 2>/dev/null 3>&- | xargs -n1 | sort | xargs)"
	for line in $(cat /run/lvm/pvs_online/* 2>/dev/null | grep -E '^[0-9]+:[0-9]+$'); do
		info "pvs_online: $line"
	done
	check "/run/lvm/pvs_online holds the maps pv and pvdisk" \
		sh -c "cat /run/lvm/pvs_online/* | grep -qx '$(map_devnum pv)' &&
		       cat /run/lvm/pvs_online/* | grep -qx '$(map_devnum pvdisk)'"
	check "/run/lvm/pvs_online holds no device under a map" \
		sh -c "! cat /run/lvm/pvs_online/* | grep -qx '$(devnum "/dev/$(backing_of pv)")'"
	info "failed units: $(systemctl list-units --failed --plain --no-legend | tr '\n' '|')"
	check "no failed unit in the boot" sh -c '[ -z "$(systemctl list-units --failed --plain --no-legend)" ]'
}

case $(phase) in
1) phase1 ;;
2) phase2 ;;
esac
