# vm-options: --variant devel --allow-reboot --bare --debs --kernel-debs --timeout 3600
# vm-platforms: bookworm
# The root file system on a volume through package and kernel upgrades, as
# an admin does them: Debian 12 on 6.1 with the .debs installed (DKMS
# builds the module), / moved onto a volume at sector 0 of its disk
# (doc/root-on-a-volume.md) and booted with root=/dev/mapper/sysroot.
# There `apt remove` of either package is refused and changes nothing, an
# upgrade of basicdm and then its reinstall each make the initramfs again
# (its trigger), a second
# volume is mounted from fstab, and `apt install` of Debian 12's 6.12
# kernel and headers (from a local repository the host shares: the guest
# has no network) has DKMS build the module for 6.12 and the kernel's
# initramfs activate the root volume.  Reboot into 6.12 with root=UUID=:
# / is the map, adopted, the data volume mounted with what 6.1 wrote; then
# back to 6.1, whose initramfs the reinstall made: / is the map again.
state=$BOOT_STATE
mkdir -p "$state"
debs=/var/tmp/debs
ROOT=sysroot
ROOT_SERIAL=DKMSROOT01
# at sector 0: the disk under the map starts with the root's own file
# system, UUID and all, and still /dev/disk/by-uuid and root=UUID= must
# name the map (root-on-volume has the volume at 2048)
ROOT_OFFSET=0

# image_activates_root KVER WHO: WHO (in /tmp/apt.log) made KVER's
# initramfs with basicdm's hook, and the image holds what activates $ROOT
image_activates_root() {
	local img=/boot/initrd.img-$1 files
	# apt runs dpkg on a terminal of its own: its lines end in CR LF
	check "$2 ran basicdm's hook: 'the initramfs activates volume $ROOT'" \
		sh -c "tr -d '\r' < /tmp/apt.log | grep -q 'basicdm: the initramfs activates volume $ROOT\$'" ||
		info "apt's lines with basicdm:: $(grep 'basicdm:' /tmp/apt.log | cat -A | tr '\n' '|')"
	files=$(lsinitramfs "$img")
	for f in etc/basicdm/initramfs.conf usr/sbin/basicdmd scripts/local-top/basicdm; do
		check "$img holds $f" grep -q "^$f\$" <<<"$files"
	done
	check "$img holds basic_target.ko" grep -q "/basic_target\.ko" <<<"$files"
}

# refused_removal PACKAGE: `apt remove PACKAGE` fails, says why, and
# changes nothing: the package, the running daemon, this kernel's initramfs
refused_removal() {
	local pkg=$1 before
	before=$(sha256sum "/boot/initrd.img-$(uname -r)")
	if apt_do remove "$pkg"; then
		fail "apt remove $pkg is refused" "apt removed it: $(tail -n 5 /tmp/apt.log)"
		return 1
	fi
	pass "apt remove $pkg is refused"
	check "apt says why: / is on volume $ROOT" \
		grep -q "^$pkg: not removing $pkg: / or /usr is on basicdm volume $ROOT," /tmp/apt.log
	check "$pkg is still installed" ours_installed "$pkg"
	check "basicdm.service still active" systemctl is-active --quiet basicdm
	expect_eq "the initramfs is untouched" "$before" "$(sha256sum "/boot/initrd.img-$(uname -r)")"
}

# On 6.1 and the disk the image booted from: installed, / moved onto a volume.
phase1() {
	mkdir -p "$debs"
	cp "$PAYLOAD"/deb/*.deb "$debs/"
	dpkg-deb -f "$(ls "$debs"/basicdm_*.deb)" Version > "$state/version"
	check "apt install ./basicdm_*.deb ./basic-target-dkms_*.deb" \
		apt_do install "$debs"/basicdm_*.deb "$debs"/basic-target-dkms_*.deb || return
	check "DKMS built the module for $(uname -r)" \
		sh -c "dkms status basic_target -k $(uname -r) | grep -q installed" || return

	cat > /etc/basicdm.conf <<CONF
volumes = (
  { name = "$ROOT"; match = { ID_SERIAL = "$ROOT_SERIAL"; }; offset = $ROOT_OFFSET; }
);
CONF
	check "systemctl restart basicdm" systemctl restart basicdm || return
	check "plug the disk for the root volume" host disk-add rootdisk 2600 "$ROOT_SERIAL" || return
	check "/dev/basicdm/$ROOT appears" wait_until 120 test -b "/dev/basicdm/$ROOT" || return
	echo 2 > "$state/phase"
	move_root_onto "$ROOT" || return
	check "the next boot: $(uname -r) with root=/dev/mapper/$ROOT" \
		boot_next "$(uname -r)" "root=/dev/mapper/$ROOT" || return
	reboot_to 2 "onto the root volume (root=/dev/mapper/$ROOT)"
}

# On 6.1 and the root volume: a data volume, then the new kernel through apt.
phase2() {
	local version new before
	root_on_volume "$(uname -r), root=/dev/mapper/$ROOT" "$ROOT" "$ROOT_SERIAL" "$ROOT_OFFSET"
	refused_removal basicdm
	refused_removal basic-target-dkms

	# An upgrade: the same package under a newer version, so that dpkg
	# runs the upgrade path of its scripts.
	version=$(cat "$state/version")
	new=$version+rootupgrade1
	dpkg-deb -R "$debs"/basicdm_"$version"_*.deb /tmp/basicdm-new &&
		sed -i "s/^Version: .*/Version: $new/" /tmp/basicdm-new/DEBIAN/control &&
		dpkg-deb -Zgzip -b /tmp/basicdm-new "$debs/basicdm_${new}_upgrade.deb" > /dev/null ||
		{ fail "a basicdm $new package" "dpkg-deb failed"; return; }
	before=$(sha256sum "/boot/initrd.img-$(uname -r)")
	check "apt install basicdm $new: an upgrade" apt_do install "$debs/basicdm_${new}_upgrade.deb" || return
	info "apt: $(grep -E 'initramfs|basicdm' /tmp/apt.log | tr '\n' '|' | cut -c1-400)"
	check "the initramfs of $(uname -r) is a new one" \
		sh -c "[ \"\$(sha256sum /boot/initrd.img-$(uname -r))\" != '$before' ]"
	image_activates_root "$(uname -r)" "basicdm's trigger"
	expect_eq "basicdmd --check: the images agree with the configuration" "" \
		"$(basicdmd --check 2>&1 | grep warning)"
	check "basicdm.service active after the upgrade" systemctl is-active --quiet basicdm
	check "basicdmctl status: $ROOT active" sh -c "basicdmctl status $ROOT | grep -q active"
	expect_eq "/ is still the map" "$(readlink -f /dev/mapper/$ROOT)" \
		"$(readlink -f "$(findmnt -n -o SOURCE /)")"
	uname -r > "$state/kver.upgraded"
	# A reinstall of that version: the same scripts run, and the trigger
	# makes the image again
	before=$(sha256sum "/boot/initrd.img-$(uname -r)")
	check "apt reinstall basicdm" apt_do reinstall "$debs/basicdm_${new}_upgrade.deb" || return
	check "the initramfs of $(uname -r) is made again" \
		sh -c "[ \"\$(sha256sum /boot/initrd.img-$(uname -r))\" != '$before' ]"
	image_activates_root "$(uname -r)" "the reinstall's trigger"
	check "basicdm.service active after the reinstall" systemctl is-active --quiet basicdm

	cat > /etc/basicdm.conf <<CONF
volumes = (
  { name = "$ROOT"; match = { ID_SERIAL = "$ROOT_SERIAL"; }; offset = $ROOT_OFFSET; },
  { name = "data"; file = "/var/lib/basicdm/data.img"; size = "64M"; }
);
CONF
	check "basicdmctl reload: the data volume comes up" basicdmctl reload || return
	check "mkfs.ext4 on the volume" mkfs.ext4 -q /dev/basicdm/data || return
	mkdir -p /srv/data
	echo "/dev/basicdm/data /srv/data ext4 defaults,x-systemd.device-timeout=120 0 2" >> /etc/fstab
	systemctl daemon-reload
	check "mount it" mount /srv/data || return
	echo "written on $(uname -r)" > /srv/data/proof
	dd if=/dev/urandom of=/srv/data/blob bs=1M count=8 status=none
	sha256sum /srv/data/blob > "$state/blob.sum"
	sync

	# The host's local repository stands in for the mirror.
	mount_share debs /mnt/debs || return
	kver=$(cat /mnt/debs/kver)
	mkdir -p /etc/apt/sources.list.d.offline
	mv /etc/apt/sources.list /etc/apt/sources.list.d/* /etc/apt/sources.list.d.offline/ 2>/dev/null
	echo "deb [trusted=yes] file:/mnt/debs ./" > /etc/apt/sources.list.d/kernel.list
	check "apt update" apt-get -q update || return
	# (the kernel's postinst makes its initrd with move_root_onto's
	# vm_initramfs_settings, kept by the copy)
	check "the VM's initramfs settings are in place" test -s /etc/initramfs-tools/conf.d/basicdm-vm.conf
	info "apt install linux-image-$kver linux-headers-$kver"
	check "apt install linux-image-$kver linux-headers-$kver" \
		apt_do install "linux-image-$kver" "linux-headers-$kver" || return
	info "apt: $(grep -i -E 'dkms|basic_target' /tmp/apt.log | tr '\n' '|' | cut -c1-400)"
	# where the install's minutes go: dpkg's own log has a time a step
	info "dpkg steps: $(grep -E ' (unpack|configure|trigproc) ' /var/log/dpkg.log | cut -d' ' -f2-4 | tr '\n' '|')"
	check "dkms built the module for $kver during the install" \
		sh -c "dkms status basic_target -k $kver | grep -q installed" || return
	check "modinfo -k $kver basic_target: built for $kver" \
		sh -c "modinfo -k $kver -F vermagic basic_target | grep -q '^$kver '"
	check "the new kernel's initrd is there" test -s "/boot/initrd.img-$kver" || return
	image_activates_root "$kver" "the kernel's postinst"
	expect_eq "basicdmd --check: every image agrees with the configuration" "" \
		"$(basicdmd --check 2>&1 | grep warning)"

	echo "$kver" > "$state/kver"
	check "the next boot is $kver, root=UUID=" boot_next "$kver" "root=UUID=$(cat "$state/uuid")" || return
	reboot_to 3 "into $kver"
}

# On 6.12 and the root volume.
phase3() {
	kver=$(cat "$state/kver")
	root_on_volume "$kver, root=UUID=" "$ROOT" "$ROOT_SERIAL" "$ROOT_OFFSET"
	expect_eq "booted $kver" "$kver" "$(uname -r)"
	check "basic_target loaded at boot" grep -q "^basic_target " /proc/modules
	# DKMS compresses it as the kernel's own modules are (.ko.xz on 6.12)
	from=$(modinfo -n basic_target)
	case ${from#/lib/modules/"$kver"/updates/dkms/} in
	basic_target.ko | basic_target.ko.xz | basic_target.ko.zst | basic_target.ko.gz)
		pass "loaded from DKMS's build for $kver" ;;
	*) fail "loaded from DKMS's build for $kver" "modinfo -n basic_target: $from" ;;
	esac
	check "systemd-modules-load ran cleanly" systemctl is-active --quiet systemd-modules-load
	check "basicdm.service is active" systemctl is-active --quiet basicdm
	check "/dev/basicdm/data came up" test -b /dev/basicdm/data
	check "its map is a basic_target" sh -c 'dmsetup table data | grep -q " basic_target "'
	expect_eq "the fstab entry is mounted from the volume" /dev/mapper/data "$(findmnt -n -o SOURCE /srv/data)"
	expect_eq "the file written before the upgrade" "written on $(cat "$state/kver.old")" \
		"$(cat /srv/data/proof)"
	check "8 MiB written on the old kernel read back" \
		sh -c "echo 3 > /proc/sys/vm/drop_caches && sha256sum -c --quiet $state/blob.sum"
	check "journal: data active this boot" \
		sh -c 'journalctl -b -u basicdm BASICDM_VOLUME=data BASICDM_EVENT=active -o cat | grep -q .'
	check "and writable" sh -c 'echo "written on $(uname -r)" > /srv/data/proof2 && sync'

	# back to the old kernel, with the initramfs the reinstall made
	kver=$(cat "$state/kver.upgraded")
	check "the next boot is $kver, root=UUID=" boot_next "$kver" "root=UUID=$(cat "$state/uuid")" || return
	reboot_to 4 "back into $kver"
}

# On 6.1 again, from the initramfs basicdm's reinstall made.
phase4() {
	root_on_volume "$(uname -r) again, the reinstall's initramfs" "$ROOT" "$ROOT_SERIAL" "$ROOT_OFFSET"
	expect_eq "basicdm is the upgraded one" "$(cat "$state/version")+rootupgrade1" \
		"$(dpkg-query -W -f='${Version}' basicdm)"
	expect_eq "the data volume mounted, with what 6.12 wrote" "written on $(cat "$state/kver")" \
		"$(cat /srv/data/proof2)"
}

case $(phase) in
1)
	uname -r > "$state/kver.old"
	phase1
	;;
2) phase2 ;;
3) phase3 ;;
4) phase4 ;;
esac
