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
# check warn of the image's old definition, and the initramfs's pass over
# a copy that does not load names its file, line and reason.  Then the
# disk is pulled while the guest is off: the next boot stops in the
# initramfs, whose console line names the volume and the disk it waited
# for.  On Debian 13 /usr is separate, on a second volume of the same
# disk (USR, after the root's 512 MiB): the initramfs activates both, it
# mounts /usr from the map, and every boot checks /usr as it checks /.
state=$BOOT_STATE
mkdir -p "$state"
NAME=sysroot
SERIAL=ROOTVOL01
OFFSET=2048
USR=
if [ "$(. /etc/os-release && echo "$VERSION_CODENAME")" = trixie ]; then
	USR=sysusr
	ROOT_SECTORS=$((512 * 2048))
	USR_OFFSET=$((OFFSET + ROOT_SECTORS))
fi

kver() { uname -r; }

# usr_on_volume LABEL: on Debian 13, /usr is volume $USR's map, with the
# checks / has.
usr_on_volume() {
	[ -z "$USR" ] ||
		volume_mounted_at "$1" /usr "$USR" "$SERIAL" "$USR_OFFSET" "$(cat "$state/usr-uuid")"
}

phase1() {
	install_root
	install_module
	if [ -n "$USR" ]; then
		cat > /etc/basicdm.conf <<CONF
volumes = (
  { name = "$NAME"; match = { ID_SERIAL = "$SERIAL"; }; offset = $OFFSET; sectors = $ROOT_SECTORS; },
  { name = "$USR"; match = { ID_SERIAL = "$SERIAL"; }; offset = $USR_OFFSET; }
);
CONF
	else
		cat > /etc/basicdm.conf <<CONF
volumes = (
  { name = "$NAME"; match = { ID_SERIAL = "$SERIAL"; }; offset = $OFFSET; }
);
CONF
	fi
	check "systemctl enable --now basicdm" systemctl enable --now basicdm || return
	check "plug the disk for the root volume" host disk-add rootdisk 1600 "$SERIAL" || return
	check "/dev/basicdm/$NAME appears" wait_until 120 test -b "/dev/basicdm/$NAME" || return
	[ -z "$USR" ] || check "/dev/basicdm/$USR appears" wait_until 120 test -b "/dev/basicdm/$USR" || return

	echo 2 > "$state/phase"
	echo "written before the move" > "$state/boots"
	move_root_onto "$NAME" $USR || return
	check "the next boot: $(kver) with root=/dev/basicdm/$NAME" \
		boot_next "$(kver)" "root=/dev/basicdm/$NAME" || return
	reboot_to 2 "onto the volume (root=/dev/basicdm/$NAME)"
}


phase3() {
	root_on_volume "boot 2 (root=UUID=)" "$NAME" "$SERIAL" "$OFFSET"
	usr_on_volume "boot 2 (root=UUID=)"
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

	# A copy that does not load, met by the initramfs's own pass (the
	# binary the image holds; its boot script panics with these lines, as
	# for the missing disk below): the problem by file and line, on the
	# console, and nothing touched.
	printf 'volumes = (\n  { name = "%s"; device = "/dev/vdb"; }\n  oops\n);\n' "$NAME" > /tmp/broken.conf
	maps=$(dmsetup ls | sort)
	klog_mark
	out=$(basicdmd --initramfs --config /tmp/broken.conf --timeout 5)
	expect_eq "basicdmd --initramfs, a copy that does not load: exit status" 1 "$?"
	expect_eq "its console line names the file, the line and why" \
		"basicdm: cannot load the configuration: /tmp/broken.conf:3: syntax error" "$out"
	check "the kernel's log has it too" \
		sh -c 'printf "%s" "$1" | grep -q "/tmp/broken.conf:3: syntax error"' - "$(klog_since)"
	expect_eq "no map made or removed" "$maps" "$(dmsetup ls | sort)"

	# The disk taken out while the machine is off: the initramfs waits as
	# long as rootdelay= says (initramfs-tools' own wait for a root device;
	# 30 s without it), names the volume and what it waits for, and stops
	# in its shell.  The runner ends the run with that check (expect-stop).
	check "pull the disk while the guest is off" host disk-pull rootdisk || return
	check "the next boot is to stop in the initramfs" \
		host expect-stop "basicdm: volume '$NAME' waited 5 s for a disk that matches ID_SERIAL=$SERIAL\$" || return
	check "the next boot: root=/dev/basicdm/$NAME rootdelay=5, without the disk" \
		boot_next "$(kver)" "root=/dev/basicdm/$NAME" rootdelay=5 || return
	reboot_to 4 "without the root volume's disk"
}

case $(phase) in
1) phase1 ;;
2)
	root_on_volume "boot 1 (root=/dev/basicdm/$NAME)" "$NAME" "$SERIAL" "$OFFSET"
	usr_on_volume "boot 1 (root=/dev/basicdm/$NAME)"
	expect_eq "boot 1: the data written before the move" "written before the move" "$(cat "$state/boots")"
	echo "written on boot 1" >> "$state/boots"
	sync
	check "the next boot: root=UUID=" boot_next "$(kver)" "root=UUID=$(cat "$state/uuid")" || exit 0
	reboot_to 3 "onto the volume (root=UUID=)"
	;;
3) phase3 ;;
esac
