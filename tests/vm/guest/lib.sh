# Helpers for the guest scenarios: results go to the host on fd 3.
# shellcheck shell=bash

PAYLOAD=${payload:?}

say() { printf '%s\n' "$*" >&3; }
pass() { say "PASS $1"; }
info() { say "INFO $*"; }

# fail CHECK REASON...: the reason is folded onto one line.
fail() {
	local name=$1
	shift
	say "FAIL $name: $(printf '%s' "$*" | tr '\n' '|' | cut -c1-600)"
}

# check CHECK CMD...: passes when CMD succeeds; its output explains a
# failure.  Returns CMD's success, so a scenario can stop: check ... || return
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name" "$* -> $out"
		return 1
	fi
}

# vm_cmdline: the kernel command line this run was given: the boot's, or
# the one the host handed a guest restored from a checkpoint (run-payload).
vm_cmdline() { cat /run/basicdm-vm/cmdline 2>/dev/null || cat /proc/cmdline; }
# vm_param KEY: the value of basicdm.KEY=VALUE on it.
vm_param() { vm_cmdline | tr ' ' '\n' | sed -n "s/^basicdm\.$1=//p" | tail -n 1; }
# vm_flag KEY: true when basicdm.KEY is on it.
vm_flag() { vm_cmdline | tr ' ' '\n' | grep -qx "basicdm\.$1"; }
# vm_long: true when the long fault rounds were asked for (BASICDM_VM_LONG=1).
vm_long() { [ "$(vm_param long)" = 1 ]; }

# data FILE FIELDS...: one result line for the host (vmrun.py --data).
data() {
	local file=$1
	shift
	say "DATA $file $*"
}

# expect_eq CHECK EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected '$2', got '$3'"
	fi
}

# nap SECONDS: a delay without starting a process (read times out on a
# pipe that never has data).
exec {NAP_FD}<> <(:)
nap() { read -r -t "$1" -u "$NAP_FD" || true; }

# wait_until SECONDS CMD...: polls the condition itself, never a fixed
# delay.  The guest has one CPU: a condition that runs systemctl or
# journalctl ten times a second takes that CPU from the work it waits for,
# so the polls back off from 0.05 s to 1 s.
wait_until() {
	local timeout=$1 end delay=0.05
	shift
	end=$((SECONDS + timeout))
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -ge "$end" ] && return 1
		nap "$delay"
		case $delay in 0.05) delay=0.1 ;; 0.1) delay=0.2 ;; 0.2) delay=0.5 ;; *) delay=1 ;; esac
	done
}

# qmp JSON: runs a QMP command on the host and prints its reply.
qmp() {
	local reply
	say "QMP $1"
	read -r reply <&3
	printf '%s\n' "$reply"
}

# The kernel log since klog_mark was called.
klog_mark() { KLOG_MARK=$(dmesg | wc -l); }
klog_since() { dmesg | tail -n +"$((${KLOG_MARK:-0} + 1))"; }

check_kernel_log() {
	local bad
	bad=$(dmesg | grep -E 'WARNING:|BUG:|Oops|general protection|Call Trace|kernel panic|refcount_t|use-after-free|KASAN' | head -n 5)
	if [ -z "$bad" ]; then
		pass "$1"
	else
		fail "$1" "$bad"
	fi
}

# Installs the payload's module where modprobe and the dm-<target> alias
# find it, as `make -C module install` would.
install_module() {
	local kdir sum index
	kdir=/lib/modules/$(uname -r)
	mkdir -p "$kdir/updates/basicdm"
	cp "$PAYLOAD/module/basic_target.ko" "$kdir/updates/basicdm/"
	# depmod's output for this kernel and module, made by the host
	# (image/module-index.sh); depmod here when it is not there
	sum=$(sha256sum "$kdir/updates/basicdm/basic_target.ko")
	index=$PAYLOAD/module/index-$(uname -r)-${sum:0:16}
	if [ -f "$index/modules.dep.bin" ]; then
		# copied beside, then each file renamed into place, as depmod
		# does: udev's modprobe may be reading the old one at this moment.
		# Two processes, not two a file: this runs before every scenario.
		rm -rf "$kdir/.basicdm-index"
		mkdir "$kdir/.basicdm-index"
		cp "$index"/modules.* "$kdir/.basicdm-index/"
		mv -f "$kdir"/.basicdm-index/modules.* "$kdir/"
		rmdir "$kdir/.basicdm-index"
	else
		depmod -a
	fi
}

# sectors FILE|DEV: size in 512-byte sectors.
sectors() { blockdev --getsz "$1"; }

# devnum DEV: the block device's number, "major:minor" (lsblk pads it).
devnum() { lsblk -dno MAJ:MIN "$1" | tr -d ' '; }

# sum_of FILE|DEV SKIP COUNT: the SHA-256 of COUNT MiB from SKIP MiB on,
# read with direct I/O (what is on the device, not in the page cache).
sum_of() { dd if="$1" bs=1M skip="$2" count="$3" iflag=direct status=none | sha256sum | cut -d' ' -f1; }

# dm_count: sets DMN to the number of device-mapper devices there are.  A
# glob on sysfs, no process started: cheap enough to poll in a tight loop
# while maps are being made.
# shellcheck disable=SC2034  # DMN is read by the scenarios
dm_count() {
	local d=(/sys/devices/virtual/block/dm-*)
	DMN=${#d[@]}
	[ -e "${d[0]}" ] || DMN=0
}

# A loop device over a new file of $2 sectors; prints the loop device.
new_loop() {
	local file=$1 nsect=$2
	rm -f "$file"
	truncate -s $((nsect * 512)) "$file"
	losetup -f --show "$file"
}

# write_pattern DEV SECTOR TEXT: one 512-byte sector holding TEXT, direct I/O.
write_pattern() {
	printf '%-512s' "$3" | dd of="$1" bs=512 seek="$2" count=1 oflag=direct status=none conv=notrunc
}
# read_sector DEV SECTOR: the sector's text, trailing blanks dropped.
read_sector() {
	dd if="$1" bs=512 skip="$2" count=1 iflag=direct status=none | tr -d '\0' | sed 's/ *$//'
}

# host REQUEST...: asks vmrun.py on the host (disk-add ID MIB SERIAL, disk-del ID).
host() {
	local reply
	say "HOST $*"
	read -r reply <&3
	[ "$reply" = OK ] || { printf '%s\n' "$reply" >&2; return 1; }
}

# mount_share TAG DIR: mounts the host's 9p share TAG (vmrun.py --share,
# --source, the "nextboot" share) on DIR.
mount_share() {
	mkdir -p "$2"
	mountpoint -q "$2" || mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 "$1" "$2"
}

# boot_next KVER [PARAM...]: the next reboot boots this guest's own
# /boot/vmlinuz-KVER and /boot/initrd.img-KVER (the runner boots QEMU's
# -kernel, not a boot loader): they are handed to the host through the
# "nextboot" share.  PARAMs are added to the kernel's command line, a
# root= replacing the runner's.  That boot is a cold one: the disks the
# scenario plugged are there from power-on.  Needs --allow-reboot; the
# scenario reboots afterwards (reboot_to).
boot_next() {
	local kver=$1
	shift
	mount_share nextboot /mnt/nextboot &&
		cp "/boot/vmlinuz-$kver" "/boot/initrd.img-$kver" /mnt/nextboot/ &&
		sync &&
		host next-boot "vmlinuz-$kver" "initrd.img-$kver" "$@"
}

# A scenario that reboots the guest (vm-options: --allow-reboot) runs again
# from its start at every boot: the image's runner hands each boot to
# entry, which runs the same scenario.  BOOT_STATE is a folder on the
# guest's disk, which outlives the reboot, for what one boot leaves to the
# next; its file "phase" tells each boot which part of the scenario is its
# own.  The scenario ends with: case $(phase) in 1) ... ;; 2) ... ;; esac
BOOT_STATE=/var/lib/basicdm-test

# phase: the phase this boot runs, 1 on the first boot.
phase() { cat "$BOOT_STATE/phase" 2>/dev/null || echo 1; }

# reboot_to PHASE [HOW]: reboots the guest, and the next boot runs phase
# PHASE; HOW says for the log what is special about that boot ("into
# KVER", "without the disk").  Never returns: the reboot ends the scenario.
# A boot of another kernel is asked for first, with boot_next.
reboot_to() {
	mkdir -p "$BOOT_STATE"
	echo "$1" > "$BOOT_STATE/phase"
	info "rebooting${2:+ $2} (phase $1 next)"
	systemctl reboot
	# the reboot ends this script; nothing to do until then
	sleep infinity
}

# vm_initramfs_settings ROOT: initramfs-tools' settings for this VM under
# ROOT (a copy of /), kept by the boots and upgrades after: the modules it
# boots with, not most of them, and zstd's fastest level; under emulation
# an image then takes a minute, not a quarter of an hour.
vm_initramfs_settings() {
	printf 'MODULES=dep\nCOMPRESSLEVEL=1\n' > "$1/etc/initramfs-tools/conf.d/basicdm-vm.conf"
}

# move_root_onto NAME [USR]: doc/root-on-a-volume.md's steps on this
# guest, each a check: a file system made on volume NAME (mapped, not
# mounted), / copied onto it, the copy's fstab mounting / by that file
# system's UUID, and the copy's initramfs for the running kernel made in a
# chroot of it, which says it activates NAME and which basicdmd --check
# there finds in step with the configuration.  With USR, /usr goes onto
# volume USR instead, a separate /usr mounted by the copy's fstab, and the
# initramfs says it activates USR too.  The copy's $BOOT_STATE/uuid (and
# usr-uuid) holds the UUID, and the new initramfs is put in this /boot
# too, for boot_next.  What the next boot must find in $BOOT_STATE is
# written before the call.  Returns non-zero after a failed check.
move_root_onto() {
	local name=$1 usr=${2:-} kver uuid usr_uuid d log=/tmp/update-initramfs.log
	kver=$(uname -r)
	check "mkfs.ext4 on the volume" mkfs.ext4 -q -L newroot "/dev/basicdm/$name" || return
	mkdir -p /mnt/newroot
	check "mount the volume" mount "/dev/basicdm/$name" /mnt/newroot || return
	if [ -n "$usr" ]; then
		check "mkfs.ext4 on volume $usr" mkfs.ext4 -q -L newusr "/dev/basicdm/$usr" || return
		mkdir /mnt/newroot/usr
		check "mount volume $usr on the copy's /usr" mount "/dev/basicdm/$usr" /mnt/newroot/usr ||
			return
	fi
	info "copying / onto the volume${usr:+, /usr onto $usr}"
	check "cp -ax / onto the volume" cp -ax /. /mnt/newroot/ || return
	uuid=$(blkid -s UUID -o value "/dev/basicdm/$name")
	echo "$uuid" > "/mnt/newroot$BOOT_STATE/uuid"
	sed -i "s|^/dev/vda[[:space:]]\+/[[:space:]].*|UUID=$uuid / ext4 rw,errors=remount-ro 0 1|" \
		/mnt/newroot/etc/fstab
	check "the copy's fstab mounts / from the volume's file system" \
		grep -q "^UUID=$uuid / ext4" /mnt/newroot/etc/fstab || return
	if [ -n "$usr" ]; then
		usr_uuid=$(blkid -s UUID -o value "/dev/basicdm/$usr")
		echo "$usr_uuid" > "/mnt/newroot$BOOT_STATE/usr-uuid"
		echo "UUID=$usr_uuid /usr ext4 defaults 0 2" >> /mnt/newroot/etc/fstab
	fi
	vm_initramfs_settings /mnt/newroot
	for d in dev proc sys run; do mount --bind "/$d" "/mnt/newroot/$d"; done
	if chroot /mnt/newroot update-initramfs -c -k "$kver" > "$log" 2>&1; then
		pass "update-initramfs -c -k $kver in a chroot of the copy"
	else
		fail "update-initramfs -c -k $kver in a chroot of the copy" "$(tail -n 15 "$log")"
	fi
	check "update-initramfs said the image activates $name" \
		grep -q "basicdm: the initramfs activates volume $name\$" "$log" &&
		{ [ -z "$usr" ] || check "update-initramfs said the image activates $usr" \
			grep -q "basicdm: the initramfs activates volume $usr\$" "$log"; } &&
		check "basicdmd --check in the copy: valid" chroot /mnt/newroot basicdmd --check &&
		expect_eq "basicdmd --check in the copy: the new image agrees with the configuration" "" \
			"$(chroot /mnt/newroot basicdmd --check 2>&1 | grep warning)" &&
		cp "/mnt/newroot/boot/initrd.img-$kver" /boot/
	local ok=$?
	for d in run sys proc dev; do umount "/mnt/newroot/$d"; done
	[ -z "$usr" ] || check "unmount the copy's /usr" umount /mnt/newroot/usr || return
	check "unmount the copy" umount /mnt/newroot && return $ok
}

# volume_mounted_at LABEL MOUNTPOINT NAME SERIAL OFFSET UUID: what every
# boot with MOUNTPOINT on volume NAME (a disk of that serial, at sector
# OFFSET, UUID its file system, as move_root_onto made it) checks; LABEL
# says which boot.  MOUNTPOINT is the basic_target map and nothing under
# it, udev and systemd see the map ready, the initramfs activated it and
# basicdm.service adopted it (one journal line each, no reload), and its
# file system came up clean.
volume_mounted_at() {
	local boot=$1 mnt=$2 name=$3 serial=$4 offset=$5 uuid=$6 map disk unit
	map=$(readlink -f "/dev/mapper/$name")
	expect_eq "$boot: $mnt is mounted from map $name" "$map" "$(readlink -f "$(findmnt -n -o SOURCE "$mnt")")"
	expect_eq "$boot: $mnt is the map's device" "$(map_devnum "$name")" \
		"$(findmnt -n -o MAJ:MIN "$mnt" | tr -d ' ')"
	disk=$(lsblk -ndo NAME,SERIAL | awk -v s="$serial" '$2 == s { print $1 }')
	check "$boot: $name is basic_target on the disk at sector $offset" \
		sh -c "dmsetup table $name | grep -Eq '^0 [0-9]+ basic_target $(devnum "/dev/$disk") $offset( |\$)'"
	expect_eq "$boot: /dev/disk/by-uuid/$uuid is map $name" "$map" "$(readlink -f "/dev/disk/by-uuid/$uuid")"
	expect_eq "$boot: the disk under $name is a component" "0 basicdm_member" \
		"$(prop "/dev/$disk" SYSTEMD_READY) $(prop "/dev/$disk" ID_FS_TYPE)"
	check "$boot: udev does not hold map $name back from systemd (no SYSTEMD_READY=0)" \
		test "$(prop "$map" SYSTEMD_READY)" != 0
	unit=$(systemd-escape --path --suffix=device "/dev/basicdm/$name")
	expect_eq "$boot: $unit is active" active "$(systemctl is-active "$unit")"
	check "$boot: basicdmctl status says $name is active" \
		sh -c "basicdmctl status $name | grep -q '^ *State: active since '"
	expect_eq "$boot: the journal has the initramfs's activation of $name, once" 1 \
		"$(journalctl -b -q -o cat -t basicdmd | grep -c "^$name: activated by the initramfs")"
	expect_eq "$boot: basicdm.service adopted $name, once" 1 \
		"$(journal -b BASICDM_VOLUME="$name" BASICDM_EVENT=adopted | wc -l)"
	expect_eq "$boot: $name neither reloaded nor made anew" "" \
		"$(journal -b BASICDM_VOLUME="$name" | grep -E 'reloaded|created|removed')"
	expect_eq "$boot: $mnt's file system needed no recovery" "" \
		"$(journalctl -k -b -q -o cat | grep -E "EXT4-fs \($(basename "$map")\).*(recovery|orphan|error)")"
}

# root_on_volume LABEL NAME SERIAL OFFSET: / on volume NAME, its file
# system's UUID in $BOOT_STATE/uuid (volume_mounted_at's checks), and the
# boot as a whole: no unit failed and no ordering cycle was broken.
root_on_volume() {
	volume_mounted_at "$1" / "$2" "$3" "$4" "$(cat "$BOOT_STATE/uuid")"
	expect_eq "$1: no failed unit" "" "$(systemctl list-units --failed --no-legend --plain)"
	expect_eq "$1: no ordering cycle" "" "$(journalctl -b -q -o cat | grep -i 'ordering cycle')"
}

# Installs the project as `cmake --install` laid it out on the host (the
# module itself comes from install_module).
install_root() {
	# tar keeps /lib -> usr/lib (merged /usr) where cp would trip over it
	tar -C "$PAYLOAD/root" -cf - . | tar -C / -xf - --keep-directory-symlink --no-same-owner
	systemctl daemon-reload
	udevadm control --reload
}

# daemon_start: the installed basicdm.service; returns once it has sent
# READY=1 (systemctl waits for the start job of a Type=notify unit).
daemon_start() {
	systemctl start basicdm
}

daemon_stop() {
	systemctl stop basicdm
	# a transient unit that failed stays loaded: clear it for the next start
	systemctl reset-failed basicdm 2>/dev/null || true
}

# journal FIELD=VALUE...: the daemon's journal lines with those fields.
journal() { journalctl -q -u basicdm -o cat "$@" 2>/dev/null; }
journal_count() { journal "$@" | wc -l; }
# journal_grep REGEX [FIELD=VALUE...]: some matching line contains REGEX.
journal_grep() {
	local re=$1
	shift
	journal "$@" | grep -q -- "$re"
}

# daemon_reload: SIGHUP, then wait until the daemon says the reload is over.
daemon_reload() {
	local before
	before=$(journal_count BASICDM_RELOAD=1)
	systemctl kill -s HUP basicdm
	wait_until 120 sh -c "[ \$(journalctl -q -u basicdm -o cat BASICDM_RELOAD=1 | wc -l) -gt $before ]"
}

# apt_do ARGS...: apt as an administrator runs it (offline), its output in
# /tmp/apt.log, its end on stderr when it fails (a check's reason).
apt_do() {
	DEBIAN_FRONTEND=noninteractive apt -y "$@" >/tmp/apt.log 2>&1 ||
		{ tail -n 15 /tmp/apt.log >&2; return 1; }
}

# ours_installed PACKAGE: dpkg has it installed and configured.
ours_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# udev property KEY of DEV ("" when it has none).
prop() { udevadm info -q property --name "$1" | sed -n "s/^$2=//p"; }

# The DM device number of map NAME, "major:minor".
map_devnum() { dmsetup info -c --noheadings -o major,minor "$1" | tr -d ' '; }

# refused NAME PATTERN CMD...: CMD fails and its output says PATTERN.
refused() {
	local name=$1 pattern=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		fail "$name" "succeeded: $out"
	elif grep -qF -- "$pattern" <<<"$out"; then
		pass "$name"
	else
		fail "$name" "$out"
	fi
}
# cpu_usage: "MICROSECONDS NAME" of CPU time so far for each service and
# scope, and "busy" for the whole guest (the kernel's own work included).
cpu_usage() {
	# one awk for all the files: this runs twice around every scenario,
	# and a process costs the guest 30 ms
	awk '/^usage_usec / { n = FILENAME; sub(/\/cpu.stat$/, "", n); sub(/.*\//, "", n)
			sub(/\.service$/, "", n); print $2, n }
		/^cpu / && FILENAME == "/proc/stat" { printf "%.0f busy\n", ($2 + $3 + $4 + $7 + $8) * 10000 }' \
		/sys/fs/cgroup/*.scope/cpu.stat /sys/fs/cgroup/*.slice/*.service/cpu.stat /proc/stat 2>/dev/null
}

# cpu_report BEFORE: one line of where the guest's CPU went since BEFORE
# (cpu_usage's output): "busy 232 s: systemd-udevd 100, basicdm-vm-run 93, ..."
cpu_report() {
	cpu_usage | awk -v before="$1" '
		BEGIN { while ((getline l < before) > 0) { split(l, f, " "); b[f[2]] = f[1] } }
		{ d = ($1 - b[$2]) / 1e6; if ($2 == "busy") busy = d; else if (d >= 0.5) printf "%.0f %s\n", d, $2 }
		END { printf "%.0f busy\n", busy }' |
		sort -rn | awk '$2 == "busy" { head = "busy " $1 " s" ; next } { list = list sep $2 " " $1; sep = ", " }
			END { print head (list ? ": " list : "") }'
}
