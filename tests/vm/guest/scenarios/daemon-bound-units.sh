# vm-options: --allow-reboot --source --timeout 1800
# Units bound to a volume: the admin guide's "Run a backup when the backup disk
# is plugged in" (doc/admin-guide.md), its unit file and its fstab line copied from it.
# A boot without the disk: the nofail line does not hold the boot up.  Then
# the unit starts at every plug and stops at every pull, the disk mounted
# from fstab under it; the map of a disk pulled while mounted goes once
# systemd has unmounted it.
# The volume matches the disk's ID_SERIAL (a virtio disk has no
# ID_SERIAL_SHORT, the admin guide's choice for a USB disk).
state=$BOOT_STATE
mkdir -p "$state"
unit=/etc/systemd/system/backup.service
# The guide's device timeout is 5 s.  The test's is long enough that the
# boot's wait for the absent disk is still pending when this scenario runs,
# after local-fs.target: so "the boot did not wait for it" does not depend
# on how fast the emulator boots.
timeout=600

# guide_block FILE: the admin guide's fenced block that starts with "# FILE".
guide_block() {
	awk -v head="# $1" '/^ *```/ { if (on) exit; fence = 1; next }
		fence && !on && $0 ~ "^ *" head "$" { on = 1 }
		on { sub(/^   /, ""); print }
		{ fence = 0 }' /mnt/source/doc/admin-guide.md
}

# backup_is STATE: the unit's ActiveState, for wait_until.
backup_is() { [ "$(systemctl show -P ActiveState backup.service)" = "$1" ]; }

mounted() { [ "$(findmnt -n -o SOURCE /mnt/backup)" = /dev/mapper/backup ]; }

# backup_jobs: the ids of the queued jobs of backup.service, its mount, its
# fsck and its device; no_backup_job: there is none.
backup_jobs() { systemctl list-jobs --no-legend --plain | awk '$2 ~ /backup/ { print $1 }'; }
no_backup_job() { [ -z "$(backup_jobs)" ]; }

# copied TEXT: the copy on the disk holds data/file with TEXT.
copied() { [ "$(tar -xOf /mnt/backup/data.tar data/file 2>/dev/null)" = "$1" ]; }

plug() {
	check "$1: QMP: plug in the disk with serial BACKUP01" host disk-add b1 64 BACKUP01
	check "$1: /dev/basicdm/backup appears" wait_until 120 test -b /dev/basicdm/backup
}

# pull WHEN: pulls the disk; the unit stops, the mount and the map go.
pull() {
	check "$1: QMP: pull the disk" host disk-del b1
	check "$1: backup.service stops (BindsTo=)" wait_until 120 backup_is inactive
	check "$1: /mnt/backup is unmounted" wait_until 120 sh -c '! findmnt -n /mnt/backup'
	check "$1: the map goes at that last close" wait_until 120 sh -c '! dmsetup info backup'
	check "$1: /dev/basicdm/backup is gone" sh -c '! test -e /dev/basicdm/backup'
}

# Boot 1: the volume, the unit and the fstab line, as the admin guide sets them
# up; the disk has never been plugged in.  (A reboot after a PCI hot-plug
# and unplug stalls the emulated machine's next boot for minutes, with a
# hung-task trace: the reboot comes first.)
setup() {
	mkdir -p /mnt/source
	mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 source /mnt/source
	guide_block "$unit" > "$state/backup.service"
	guide_block /etc/fstab | grep -v '^#' > "$state/fstab"
	check "the admin guide has the unit, bound to the volume's device" \
		grep -qx 'BindsTo=dev-basicdm-backup.device' "$state/backup.service"
	check "the admin guide has the fstab line, with nofail and a device timeout" \
		grep -q 'nofail,x-systemd.device-timeout=5s' "$state/fstab"
	info "unit: $(tr '\n' '|' < "$state/backup.service")"
	info "fstab: $(cat "$state/fstab")"

	install_root
	cat > /etc/basicdm.conf <<'CONF'
volumes = (
  { name = "backup"; match = { ID_SERIAL = "BACKUP01"; }; }
);
CONF
	check "systemctl enable --now basicdm" systemctl enable --now basicdm || return
	mkdir -p /mnt/backup /srv/data
	sed "s/x-systemd.device-timeout=5s/x-systemd.device-timeout=${timeout}s/" "$state/fstab" >> /etc/fstab
	cp "$state/backup.service" "$unit"
	systemctl daemon-reload
	check "systemctl enable backup.service" systemctl enable backup.service || return
	reboot_to 2 "without the disk"
}

# Boot 2, without the disk: the boot did not wait for it.  Then the disk
# comes, gets its file system, and the unit runs at every plug and stops at
# every pull.
boot_without_disk() {
	local t0 lfs
	# this scenario runs after local-fs.target (basicdm-vm-run.service)
	check "boot: local-fs.target reached" systemctl is-active --quiet local-fs.target
	info "boot: jobs: $(systemctl list-jobs --no-legend --plain | tr -s ' ' | tr '\n' '|')"
	check "boot: ... while the mount of /mnt/backup still waits for the disk" \
		sh -c 'systemctl list-jobs --no-legend --plain | grep -q "^[0-9]* *mnt-backup.mount *start"'
	check "boot: local-fs.target is not ordered after the nofail mount" \
		sh -c '! systemctl show -P After local-fs.target | tr " " "\n" | grep -qx mnt-backup.mount'
	expect_eq "boot: that wait ends after x-systemd.device-timeout=${timeout}s" 10min \
		"$(systemctl show -P JobRunningTimeoutUSec dev-basicdm-backup.device)"
	expect_eq "boot: no failed unit" "" "$(systemctl list-units --failed --no-legend --plain)"
	t0=$(systemctl show -P UserspaceTimestampMonotonic)
	lfs=$(systemctl show -P ActiveEnterTimestampMonotonic local-fs.target)
	info "boot: local-fs.target after $(awk -v a="$lfs" -v b="$t0" 'BEGIN { printf "%.1f", (a - b) / 1e6 }') s of userspace"
	# the disk about to come is blank: the boot must not fsck and mount it
	backup_jobs | xargs -r systemctl cancel

	plug "first plug"
	# backup.service is wanted by the device: this plug starts it, and its
	# fsck and mount try the blank disk (and hold it open) before they
	# fail.  The admin formats a new disk before enabling the unit; here
	# the boot without the disk came first, so let that attempt end.
	check "first plug: the device unit is active" \
		wait_until 120 systemctl is-active --quiet dev-basicdm-backup.device
	check "first plug: the blank disk's start attempt is over" wait_until 120 no_backup_job
	systemctl reset-failed
	check "mkfs.ext4 -L backup /dev/basicdm/backup" mkfs.ext4 -q -L backup /dev/basicdm/backup || return
	echo "copy 1" > /srv/data/file
	check "the disk is in already: systemctl start backup.service" systemctl start backup.service
	check "it mounted the disk from its fstab line" mounted
	check "it made the first copy" copied "copy 1"
	pull "first pull, the disk mounted"
	check "journal: basicdmd marked the open map not ready" \
		sh -c 'journalctl -u basicdm -o cat | grep -q "backup: the map is still open and goes at its last close; marked not ready"'

	for round in 2 3; do
		echo "copy $round" > /srv/data/file
		plug "plug $round"
		check "plug $round: backup.service starts (WantedBy=)" wait_until 120 backup_is active
		expect_eq "plug $round: it ran to its end" success "$(systemctl show -P Result backup.service)"
		check "plug $round: it made a new copy" copied "copy $round"
		pull "pull $round"
	done
	expect_eq "the unit ran once per plug" 3 \
		"$(journalctl -b -u backup.service -o cat | grep -c '^Finished backup.service')"
}

case $(phase) in
1) setup ;;
2) boot_without_disk ;;
esac
