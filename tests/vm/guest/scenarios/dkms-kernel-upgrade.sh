# vm-options: --variant devel --allow-reboot --bare --kernel-debs --timeout 3600
# vm-platforms: bookworm
# DKMS across a kernel upgrade, as an admin does it: Debian 12 on 6.1 with
# basicdm installed, its module through DKMS, a volume mounted from
# fstab; then `apt install` Debian 12's 6.12 kernel and its headers (from a
# local repository the host shares: the guest has no network), DKMS builds
# the module for 6.12; reboot into 6.12: basic_target is loaded at boot,
# the volume comes up and is mounted, the data written on 6.1 is there.
state=$BOOT_STATE
mkdir -p "$state"

phase1() {
	# The userspace as `cmake --install` laid it out on the host (user-path
	# builds it in the guest; here it is not what is tested), the module
	# through DKMS from the sources it installed, as the README says.
	install_root
	check "the DKMS sources are installed" test -f /usr/src/basic_target-1.0.0/dkms.conf || return
	check "dkms add basic_target/1.0.0" dkms add basic_target/1.0.0 || return
	if dkms install basic_target/1.0.0 > /tmp/dkms.log 2>&1; then
		pass "dkms install basic_target/1.0.0, on $(uname -r)"
	else
		fail "dkms install basic_target/1.0.0" "$(tail -n 15 /tmp/dkms.log)"
		return
	fi
	check "dkms built the module for $(uname -r)" \
		sh -c "dkms status basic_target -k $(uname -r) | grep -q installed" || return

	cat > /etc/basicdm.conf <<'CONF'
volumes = (
  { name = "data"; file = "/var/lib/basicdm/data.img"; size = "64M"; }
);
CONF
	check "systemctl enable --now basicdm" systemctl enable --now basicdm || return
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
	# The initrd for the new kernel with the modules this VM needs, not
	# most of them: under emulation that is a minute instead of a quarter
	# of an hour (the kernel's postinst makes it, as on any machine).
	echo MODULES=dep > /etc/initramfs-tools/conf.d/basicdm-vm.conf
	info "apt install linux-image-$kver linux-headers-$kver"
	if DEBIAN_FRONTEND=noninteractive apt-get -y -q install "linux-image-$kver" "linux-headers-$kver" \
		> /tmp/apt.log 2>&1; then
		pass "apt install linux-image-$kver linux-headers-$kver"
	else
		fail "apt install linux-image-$kver linux-headers-$kver" "$(tail -n 15 /tmp/apt.log)"
		return
	fi
	info "apt: $(grep -i -E 'dkms|basic_target' /tmp/apt.log | tr '\n' '|' | cut -c1-400)"
	check "dkms built the module for $kver during the install" \
		sh -c "dkms status basic_target -k $kver | grep -q installed" || return
	check "modinfo -k $kver basic_target: built for $kver" \
		sh -c "modinfo -k $kver -F vermagic basic_target | grep -q '^$kver '"
	check "the new kernel's initrd is there" test -s "/boot/initrd.img-$kver" || return

	echo "$kver" > "$state/kver"
	check "the next boot is $kver" boot_next "$kver" || return
	reboot_to 2 "into $kver"
}

phase2() {
	kver=$(cat "$state/kver")
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
}

case $(phase) in
1)
	uname -r > "$state/kver.old"
	phase1
	;;
2) phase2 ;;
esac
