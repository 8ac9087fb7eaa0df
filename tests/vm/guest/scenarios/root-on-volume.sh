# vm-options: --allow-reboot --timeout 1800
# The root file system on a basicdm volume, moved there as
# doc/root-on-a-volume.md tells an administrator: a volume on a second
# disk matched by its serial, at an offset; the running root copied onto
# it; its fstab and a new initramfs made in a chroot of the copy.  Then two
# cold boots of the guest's own kernel and that initramfs, the first with
# root=/dev/basicdm/NAME, the second with root=UUID=.  Each boot checks
# what an administrator would: / is the basic_target map and nothing
# under it, the initramfs activated it and basicdm.service adopted it
# (one journal line each, no reload), udev and systemd see the map ready,
# the file system came up clean with the data of the boots before, no unit
# failed and no ordering cycle was broken.  The last boot also changes the
# volume's match without update-initramfs: basicdmd --check and basicdmctl
# check warn of the image's old definition.  Then the disk is pulled while
# the guest is off: the next boot stops in the initramfs, whose console
# line names the volume and the disk it waited for.
state=$BOOT_STATE
mkdir -p "$state"
NAME=sysroot
SERIAL=ROOTVOL01
OFFSET=2048

# udev property KEY of DEV ("" when it has none).
prop() { udevadm info -q property --name "$1" | sed -n "s/^$2=//p"; }
kver() { uname -r; }

phase1() {
	install_root
	install_module
	cat > /etc/basicdm.conf <<CONF
volumes = (
  { name = "$NAME"; match = { ID_SERIAL = "$SERIAL"; }; offset = $OFFSET; }
);
CONF
	check "systemctl enable --now basicdm" systemctl enable --now basicdm || return
	check "plug the disk for the root volume" host disk-add rootdisk 1600 "$SERIAL" || return
	check "/dev/basicdm/$NAME appears" wait_until 120 test -b "/dev/basicdm/$NAME" || return

	# the administrator's steps (doc/root-on-a-volume.md)
	check "mkfs.ext4 on the volume" mkfs.ext4 -q -L newroot "/dev/basicdm/$NAME" || return
	mkdir -p /mnt/newroot
	check "mount the volume" mount "/dev/basicdm/$NAME" /mnt/newroot || return
	echo 2 > "$state/phase"
	echo "written before the move" > "$state/boots"
	info "copying / onto the volume"
	check "cp -ax / onto the volume" cp -ax /. /mnt/newroot/ || return
	uuid=$(blkid -s UUID -o value "/dev/basicdm/$NAME")
	echo "$uuid" > /mnt/newroot/"$state"/uuid
	sed -i "s|^/dev/vda[[:space:]]\+/[[:space:]].*|UUID=$uuid / ext4 rw,errors=remount-ro 0 1|" \
		/mnt/newroot/etc/fstab
	check "the copy's fstab mounts / from the volume's file system" \
		grep -q "^UUID=$uuid / ext4" /mnt/newroot/etc/fstab || return
	# The initramfs with the modules this VM boots with, not most of them:
	# under emulation that is a minute instead of a quarter of an hour.
	echo MODULES=dep > /mnt/newroot/etc/initramfs-tools/conf.d/basicdm-vm.conf
	for d in dev proc sys run; do mount --bind "/$d" "/mnt/newroot/$d"; done
	if chroot /mnt/newroot update-initramfs -c -k "$(kver)" > /tmp/update-initramfs.log 2>&1; then
		pass "update-initramfs -c in the chroot of the copy"
	else
		fail "update-initramfs -c in the chroot of the copy" "$(tail -n 15 /tmp/update-initramfs.log)"
		return
	fi
	check "update-initramfs said the image activates $NAME" \
		grep -q "basicdm: the initramfs activates volume $NAME" /tmp/update-initramfs.log
	check "basicdmd --check in the copy: valid" chroot /mnt/newroot basicdmd --check
	expect_eq "basicdmd --check in the copy: the new image agrees with the configuration" "" \
		"$(chroot /mnt/newroot basicdmd --check 2>&1 | grep warning)"
	for d in run sys proc dev; do umount "/mnt/newroot/$d"; done
	cp "/mnt/newroot/boot/initrd.img-$(kver)" /boot/
	check "unmount the copy" umount /mnt/newroot || return
	check "the next boot: $(kver) with root=/dev/basicdm/$NAME" \
		boot_next "$(kver)" "root=/dev/basicdm/$NAME" || return
	reboot_to 2 "onto the volume (root=/dev/basicdm/$NAME)"
}

# What every boot on the volume checks; $1 says which boot.
on_the_volume() {
	local boot=$1 map uuid disk unit
	uuid=$(cat "$state/uuid")
	map=$(readlink -f "/dev/mapper/$NAME")
	expect_eq "$boot: / is mounted from the map" "$map" "$(readlink -f "$(findmnt -n -o SOURCE /)")"
	expect_eq "$boot: / is the map's device" "$(map_devnum "$NAME")" "$(findmnt -n -o MAJ:MIN / | tr -d ' ')"
	disk=$(lsblk -ndo NAME,SERIAL | awk -v s="$SERIAL" '$2 == s { print $1 }')
	check "$boot: the map is basic_target on the disk at sector $OFFSET" \
		sh -c "dmsetup table $NAME | grep -Eq '^0 [0-9]+ basic_target $(lsblk -ndo MAJ:MIN "/dev/$disk" | tr -d ' ') $OFFSET( |\$)'"
	expect_eq "$boot: /dev/disk/by-uuid/$uuid is the map" "$map" "$(readlink -f "/dev/disk/by-uuid/$uuid")"
	expect_eq "$boot: the disk under it is a component" "0 basicdm_member" \
		"$(prop "/dev/$disk" SYSTEMD_READY) $(prop "/dev/$disk" ID_FS_TYPE)"
	check "$boot: udev does not hold the map back from systemd (no SYSTEMD_READY=0)" \
		test "$(prop "$map" SYSTEMD_READY)" != 0
	unit=$(systemd-escape --path --suffix=device "/dev/basicdm/$NAME")
	expect_eq "$boot: $unit is active" active "$(systemctl is-active "$unit")"
	check "$boot: basicdmctl status says $NAME is active" \
		sh -c "basicdmctl status $NAME | grep -q '^ *State: active since '"
	expect_eq "$boot: the journal has the initramfs's activation, once" 1 \
		"$(journalctl -b -q -o cat -t basicdmd | grep -c "^$NAME: activated by the initramfs")"
	expect_eq "$boot: basicdm.service adopted the map, once" 1 \
		"$(journal -b BASICDM_VOLUME="$NAME" BASICDM_EVENT=adopted | wc -l)"
	expect_eq "$boot: nor reloaded, nor made anew" "" \
		"$(journal -b BASICDM_VOLUME="$NAME" | grep -E 'reloaded|created|removed')"
	expect_eq "$boot: the file system needed no recovery" "" \
		"$(journalctl -k -b -q -o cat | grep -E "EXT4-fs \($(basename "$map")\).*(recovery|orphan|error)")"
	expect_eq "$boot: no failed unit" "" "$(systemctl list-units --failed --no-legend --plain)"
	expect_eq "$boot: no ordering cycle" "" "$(journalctl -b -q -o cat | grep -i 'ordering cycle')"
}

phase3() {
	on_the_volume "boot 2 (root=UUID=)"
	expect_eq "boot 2: the data of both earlier boots" \
		"written before the move|written on boot 1" "$(tr '\n' '|' < "$state/boots" | sed 's/|$//')"
	# the match changed without update-initramfs: the next boot would wait for the old disk
	cp /etc/basicdm.conf /tmp/basicdm.conf.good
	sed -i "s/$SERIAL/ROOTVOL02/" /etc/basicdm.conf
	out=$(basicdmd --check 2>&1)
	check "basicdmd --check warns that the initramfs holds the old match" \
		sh -c "printf '%s' \"\$1\" | grep -q \"warning: /boot/initrd.img-$(kver): activates volume '$NAME'.*ID_SERIAL = .*$SERIAL.*update-initramfs -u\"" - "$out"
	out=$(basicdmctl check 2>&1)
	check "basicdmctl check warns too" \
		sh -c "printf '%s' \"\$1\" | grep -q \"warning: .*activates volume '$NAME'.*update-initramfs -u\"" - "$out"
	cp /tmp/basicdm.conf.good /etc/basicdm.conf
	expect_eq "put back: no warning" "" "$( (basicdmd --check; basicdmctl check) 2>&1 | grep warning)"

	# The disk taken out while the machine is off: the initramfs waits its
	# 30 s, names the volume and what it waits for, and stops in its shell.
	# The runner ends the run with that check (expect-stop).
	check "pull the disk while the guest is off" host disk-pull rootdisk || return
	check "the next boot is to stop in the initramfs" \
		host expect-stop "basicdm: volume '$NAME' waited [0-9]+ s for a disk that matches ID_SERIAL=$SERIAL\$" || return
	check "the next boot: root=/dev/basicdm/$NAME, without the disk" \
		boot_next "$(kver)" "root=/dev/basicdm/$NAME" || return
	reboot_to 4 "without the root volume's disk"
}

case $(phase) in
1) phase1 ;;
2)
	on_the_volume "boot 1 (root=/dev/basicdm/$NAME)"
	expect_eq "boot 1: the data written before the move" "written before the move" "$(cat "$state/boots")"
	echo "written on boot 1" >> "$state/boots"
	sync
	check "the next boot: root=UUID=" boot_next "$(kver)" "root=UUID=$(cat "$state/uuid")" || exit 0
	reboot_to 3 "onto the volume (root=UUID=)"
	;;
3) phase3 ;;
esac
