# vm-options: --allow-reboot --timeout 1800
# The storage stack an administrator puts on top of basicdm, across two
# reboots in a row: LUKS2 on one file volume, opened at boot through
# /etc/crypttab; an LVM volume group on another, auto-activated at boot by
# LVM's own udev rules; ext4 on each, mounted from /etc/fstab; crypttab and
# fstab name everything by UUID=.  After each reboot: every layer sits on
# the basicdm map (never on the loop device under it), no ordering cycle,
# no failed unit, the file systems were shut down clean (neither fsck nor
# the kernel replayed a journal), and the data of every earlier boot reads
# back.
state=$BOOT_STATE
key=/etc/cryptsetup-keys.d/secret.key
# LVM complains of every descriptor it inherits, the result channel (fd 3) too
export LVM_SUPPRESS_FD_WARNINGS=1
mkdir -p "$state"

# has CHECK TEXT ERE: some line of TEXT matches ERE; lacks: none does.
has() {
	if printf '%s\n' "$2" | grep -qE -- "$3"; then
		pass "$1"
	else
		fail "$1" "no line matches '$3' in: $2"
	fi
}
lacks() {
	local hit
	hit=$(printf '%s\n' "$2" | grep -E -- "$3")
	if [ -z "$hit" ]; then
		pass "$1"
	else
		fail "$1" "$hit"
	fi
}

# ext4 on Debian's 6.1 kernel says "recovery complete" when it replays its
# journal at mount, and "N orphan inodes deleted" / "N truncates cleaned up"
# when it finishes what a crash left; e2fsck -p (what systemd-fsck runs)
# says "recovering journal".  The control proves that these are the words,
# on a crash image made by copying a mounted file system.
REPLAY_KERNEL='recovery complete|orphan|truncates? cleaned up|recovery required'
replay_control() {
	local img=$state/replay.img loop copy
	rm -f "$img" "$img.copy1" "$img.copy2"
	truncate -s 32M "$img"
	mkfs.ext4 -q "$img"
	loop=$(losetup -f --show "$img")
	mkdir -p /mnt/replay
	mount "$loop" /mnt/replay
	echo "committed" > /mnt/replay/file
	sync
	# a copy of a mounted ext4 is what a crash leaves: its journal needs recovery
	cp "$img" "$img.copy1"
	cp "$img" "$img.copy2"
	umount /mnt/replay
	losetup -d "$loop"
	klog_mark
	copy=$(losetup -f --show "$img.copy1")
	mount "$copy" /mnt/replay
	has "control: ext4 on $(uname -r) logs a journal replay as '$REPLAY_KERNEL'" \
		"$(klog_since | grep "EXT4-fs ($(basename "$copy"))")" "$REPLAY_KERNEL"
	umount /mnt/replay
	losetup -d "$copy"
	has "control: e2fsck -p on a crash image says 'recovering journal'" \
		"$(e2fsck -p "$img.copy2" 2>&1)" 'recovering journal'
	rm -f "$img" "$img.copy1" "$img.copy2"
}

# The boot is over but for this scenario's own unit: every job still
# queued waits on it (or on one that does).
boot_settled() {
	! systemctl list-jobs --no-legend --plain | awk '$4 == "running" && $2 != "basicdm-vm-run.service"' | grep -q .
}

# dm_kname NAME: the kernel name (dm-N) of device-mapper device NAME.
dm_kname() { basename "$(readlink -f "/dev/mapper/$1")"; }

# fsck_log UUID: what systemd-fsck printed this boot for the fstab line UUID=...
fsck_log() {
	journalctl -b -o cat -u "$(systemd-escape --template=systemd-fsck@.service --path "/dev/disk/by-uuid/$1")"
}

write_data() {
	local boot=$1 dir
	for dir in /srv/secret /srv/lvm; do
		head -c 4M /dev/urandom > "$dir/boot$boot.bin"
		sha256sum "$dir/boot$boot.bin" >> "$state/sums"
	done
	sync
}

setup() {
	install_root
	cat > /etc/basicdm.conf <<'CONF'
volumes = (
  { name = "crypt"; file = "/var/lib/basicdm/crypt.img"; size = "64M"; },
  { name = "pv"; file = "/var/lib/basicdm/pv.img"; size = "64M"; }
);
CONF
	# nothing below may reboot into a broken crypttab or fstab: stop at the first failure
	check "systemctl enable --now basicdm" systemctl enable --now basicdm || return
	check "/dev/basicdm/crypt and /dev/basicdm/pv" \
		wait_until 120 test -b /dev/basicdm/crypt -a -b /dev/basicdm/pv || return

	# LUKS2 (a cheap key derivation: the emulator is slow), opened by
	# systemd from /etc/crypttab, the volume named by its LUKS UUID
	mkdir -m 0700 /etc/cryptsetup-keys.d
	head -c 64 /dev/urandom > "$key"
	chmod 0400 "$key"
	check "cryptsetup luksFormat --type luks2 /dev/basicdm/crypt" \
		cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 \
		--pbkdf-force-iterations 1000 --key-file "$key" /dev/basicdm/crypt || return
	luks_uuid=$(cryptsetup luksUUID /dev/basicdm/crypt)
	echo "secret UUID=$luks_uuid $key luks" >> /etc/crypttab
	systemctl daemon-reload
	check "crypttab: systemctl start systemd-cryptsetup@secret" \
		systemctl start systemd-cryptsetup@secret.service || return
	check "mkfs.ext4 on /dev/mapper/secret" mkfs.ext4 -q -L secret /dev/mapper/secret || return

	# LVM on the map alone (--devices: the loop device under it carries
	# the same signatures)
	check "pvcreate --devices /dev/basicdm/pv" pvcreate --devices /dev/basicdm/pv /dev/basicdm/pv || return
	check "vgcreate stackvg" vgcreate --devices /dev/basicdm/pv stackvg /dev/basicdm/pv || return
	check "lvcreate stackvg/data" \
		lvcreate --devices /dev/basicdm/pv --yes -n data -l 100%FREE stackvg || return
	check "/dev/stackvg/data" wait_until 60 test -b /dev/stackvg/data || return
	check "mkfs.ext4 on /dev/stackvg/data" mkfs.ext4 -q -L lvdata /dev/stackvg/data || return

	udevadm settle
	mkdir -p /srv/secret /srv/lvm
	echo "UUID=$(blkid -s UUID -o value /dev/mapper/secret) /srv/secret ext4 defaults 0 2" >> /etc/fstab
	echo "UUID=$(blkid -s UUID -o value /dev/stackvg/data) /srv/lvm ext4 defaults 0 2" >> /etc/fstab
	# The emulator boots slowly, more so beside other VMs: systemd's 90 s for
	# a device to appear is not a measure of basicdm here.  The test's own
	# limit is the 600 s boot_settled wait below.
	mkdir -p /etc/systemd/system.conf.d
	printf '[Manager]\nDefaultTimeoutStartSec=600s\n' > /etc/systemd/system.conf.d/50-slow-emulator.conf
	# the next boots' consoles show the kernel's informational lines too: a
	# task blocked at boot is printed with its stack, for whoever reads the log
	echo 'kernel.printk = 7 4 1 7' > /etc/sysctl.d/50-basicdm-vm-console.conf
	info "crypttab: $(tr '\n' '|' < /etc/crypttab)"
	info "fstab: $(tr '\n' '|' < /etc/fstab)"
	systemctl daemon-reload
	check "mount /srv/secret" mount /srv/secret || return
	check "mount /srv/lvm" mount /srv/lvm || return
	write_data 1
	replay_control
	reboot_to 2
}

# boot_checks N: boot N (2 or 3) came up with the whole stack, and the
# previous boots shut it down clean.
boot_checks() {
	local b="boot $1:" luks_uuid dev
	check "$b the boot settles (no job left but this scenario's)" wait_until 600 boot_settled
	# why a job did not finish, if one did not: said before the checks fail on it
	info "$b timed out or failed this boot: $(journalctl -b -o cat | grep -E 'timed out|Dependency failed|emergency' | tr '\n' '|')"
	expect_eq "$b no failed unit" "" "$(systemctl list-units --failed --no-legend --plain)"
	expect_eq "$b no ordering cycle" "" "$(journalctl -b -o cat | grep -i 'ordering cycle')"
	check "$b local-fs.target and cryptsetup.target reached" \
		systemctl is-active --quiet local-fs.target cryptsetup.target
	check "$b basicdm.service active" systemctl is-active --quiet basicdm
	for v in crypt pv; do
		check "$b journal: volume $v active this boot" \
			sh -c "journalctl -b -u basicdm BASICDM_VOLUME=$v BASICDM_EVENT=active -o cat | grep -q ."
	done

	# crypttab, UUID=: opened at boot, on the map
	luks_uuid=$(awk '$1 == "secret" { sub(/^UUID=/, "", $2); print $2 }' /etc/crypttab)
	check "$b systemd-cryptsetup@secret active" systemctl is-active --quiet systemd-cryptsetup@secret.service
	info "$b cryptsetup status secret: $(cryptsetup status secret | tr -s ' ' | tr '\n' '|')"
	info "$b /dev/disk/by-uuid/$luks_uuid -> $(readlink -f "/dev/disk/by-uuid/$luks_uuid")"
	expect_eq "$b dm-crypt secret sits on the basicdm map crypt (dmsetup deps)" \
		"(crypt)" "$(dmsetup deps -o devname secret | sed 's/.*: *//')"

	# LVM: activated by its own udev rule (lvm-activate-VG), on the map
	has "$b LVM's udev rule activated stackvg (lvm-activate-stackvg)" \
		"$(journalctl -b -u lvm-activate-stackvg.service -o cat)" 'now active'
	info "$b lvs -o+devices: $(lvs -o+devices stackvg 2>&1 | tr -s ' ' | tr '\n' '|')"
	expect_eq "$b stackvg/data sits on the basicdm map pv (dmsetup deps)" \
		"(pv)" "$(dmsetup deps -o devname stackvg-data | sed 's/.*: *//')"
	lacks "$b lvs names no loop device for stackvg/data" \
		"$(lvs --noheadings -o devices stackvg/data 2>/dev/null)" 'loop'

	# fstab, UUID=: mounted from the layer on top
	expect_eq "$b /srv/secret mounted from /dev/mapper/secret" /dev/mapper/secret \
		"$(findmnt -n -o SOURCE /srv/secret)"
	expect_eq "$b /srv/lvm mounted from /dev/mapper/stackvg-data" /dev/mapper/stackvg-data \
		"$(findmnt -n -o SOURCE /srv/lvm)"

	# the previous shutdown was clean: nothing replayed a journal
	for dev in secret stackvg-data; do
		local fsck kernel
		fsck=$(fsck_log "$(blkid -s UUID -o value "/dev/mapper/$dev")")
		kernel=$(dmesg | grep "EXT4-fs ($(dm_kname "$dev"))")
		info "$b fsck of $dev: $(printf '%s' "$fsck" | tr '\n' '|')"
		info "$b kernel on $dev: $(printf '%s' "$kernel" | tr '\n' '|')"
		has "$b systemd-fsck found $dev clean" "$fsck" 'clean,'
		lacks "$b systemd-fsck recovered no journal on $dev" "$fsck" 'recovering journal'
		has "$b the kernel mounted ext4 on $dev" "$kernel" 'mounted filesystem'
		lacks "$b the kernel replayed no journal on $dev" "$kernel" "$REPLAY_KERNEL"
	done

	check "$b the data of every earlier boot reads back ($(wc -l < "$state/sums") files)" \
		sha256sum --quiet -c "$state/sums"
}

case $(phase) in
1) setup ;;
2)
	boot_checks 2
	write_data 2
	reboot_to 3 again
	;;
3) boot_checks 3 ;;
esac
