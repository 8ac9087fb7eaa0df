# vm-options: --allow-reboot --timeout 1500
# Backing files wherever the administrator names them, under the shipped,
# sandboxed unit: /srv/images, /var/lib/ceo and the tutorial's /tmp/disk1
# come up, one of them mounted from /etc/fstab across a reboot.  Where a
# file cannot be used, basicdmd --check, basicdmctl check, a reload and the
# journal say so with the fix, and nothing running changes: a file under
# /home (ProtectHome=), a directory configured after the daemon started,
# a file on a file system mounted read-only.
. "$PAYLOAD/guest/ctl.sh"
state=$BOOT_STATE
mkdir -p "$state"

# devnums: every map's "name maj:min", to prove nothing was touched
devnums() { dmsetup info -c --noheadings -o name,major,minor | sort | tr '\n' ' '; }

base_config() {
	cat <<'CONF'
volumes = (
  { name = "srv"; file = "/srv/images/srv.img"; size = "32M"; },
  { name = "ceo"; file = "/var/lib/ceo/ceo.img"; size = "16M"; },
  { name = "tmp"; file = "/tmp/disk1"; size = "8M"; },
  { name = "state"; file = "/var/lib/basicdm/state.img"; size = "8M"; }
CONF
}

phase1() {
	install_root
	mkdir -p /srv/images /var/lib/ceo
	{ base_config; echo ');'; } > /etc/basicdm.conf
	systemctl daemon-reload
	check "the generator opened the three directories" sh -c \
		"systemctl cat basicdm.service | grep -qx 'ReadWritePaths=\"-/srv/images\"' &&
		 systemctl cat basicdm.service | grep -qx 'ReadWritePaths=\"-/var/lib/ceo\"' &&
		 systemctl cat basicdm.service | grep -qx 'ReadWritePaths=\"-/tmp\"'"
	check "and nothing for the state directory" sh -c "! systemctl cat basicdm.service | grep -q 'ReadWritePaths=.*/var/lib/basicdm'"
	check "basicdmd --check" basicdmd --check
	check "basicdmctl check" basicdmctl check
	check "systemctl enable --now basicdm" systemctl enable --now basicdm || return
	expect_eq "all four active" "StatusText=4 active, 0 waiting, 0 failed" "$(systemctl show -p StatusText basicdm)"
	check "/srv/images/srv.img created sparse" test -f /srv/images/srv.img
	check "/tmp/disk1 created" test -f /tmp/disk1
	check "no read-only error in the journal" sh -c "! journalctl -u basicdm | grep -q 'Read-only file system'"
	score=$(systemd-analyze security basicdm.service 2>/dev/null | sed -n 's/.*Overall exposure level for basicdm.service: \([0-9.]*\).*/\1/p')
	info "systemd-analyze security basicdm.service: $score"
	check "exposure $score is 2.0 or lower" awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }'

	check "mkfs.ext4 on /dev/basicdm/srv" mkfs.ext4 -q /dev/basicdm/srv || return
	mkdir -p /mnt/srv
	echo "/dev/basicdm/srv /mnt/srv ext4 defaults,x-systemd.device-timeout=120 0 2" >> /etc/fstab
	systemctl daemon-reload
	check "mount it from fstab" mount /mnt/srv || return
	echo "kept in /srv/images" > /mnt/srv/proof
	sync
	before=$(devnums)

	# ---- a file under /home: never reachable ----
	mkdir -p /home/me
	{ base_config; echo '  , { name = "home"; file = "/home/me/h.img"; size = "8M"; }'; echo ');'; } > /etc/basicdm.conf
	refused "--check: /home cannot be reached, move the file" \
		"/etc/basicdm.conf:6: volume 'home': /home/me/h.img is under /home, which basicdm.service cannot reach (ProtectHome=yes); move the file elsewhere, e.g. under /srv" \
		basicdmd --check
	refused "basicdmctl check says the same" "which basicdm.service cannot reach (ProtectHome=yes)" basicdmctl check
	refused "basicdmctl reload: refused" "which basicdm.service cannot reach (ProtectHome=yes)" basicdmctl reload
	check "the journal says it" journal_grep "volume 'home': /home/me/h.img is under /home"
	expect_eq "nothing changed" "$before" "$(devnums)"

	# ---- a directory configured after the daemon started ----
	mkdir -p /srv/new
	{ base_config; echo '  , { name = "new"; file = "/srv/new/n.img"; size = "8M"; }'; echo ');'; } > /etc/basicdm.conf
	refused "--check: the generator has not opened /srv/new yet" \
		"basicdm.service may not write in /srv/new yet; run 'systemctl daemon-reload'" basicdmd --check
	refused "basicdmctl reload: refused, with the fix" \
		"run 'systemctl daemon-reload && systemctl restart basicdm' (the maps stay up)" basicdmctl reload
	expect_eq "nothing changed" "$before" "$(devnums)"
	check "no file was created" test ! -e /srv/new/n.img
	systemctl daemon-reload
	check "after daemon-reload, --check passes" basicdmd --check
	refused "the running daemon still cannot write there" "systemctl restart basicdm" basicdmctl reload
	check "systemctl restart basicdm" systemctl restart basicdm
	check "new is active" wait_until 60 is_state new active
	for v in srv ceo tmp state; do
		expect_eq "$v: adopted, same device" "$(grep -o "$v [0-9]*:[0-9]*" <<<"$before" | head -n 1)" \
			"$(grep -o "$v [0-9]*:[0-9]*" <<<"$(devnums)" | head -n 1)"
	done
	check "/mnt/srv stayed mounted" mountpoint -q /mnt/srv

	# ---- a file on a file system mounted read-only ----
	mkdir -p /var/tmp/rofs-src /mnt/rofs
	truncate -s 4M /var/tmp/rofs-src/ro.img
	mkfs.ext4 -q -d /var/tmp/rofs-src /var/tmp/rofs.ext4 16M
	mount -o ro,loop /var/tmp/rofs.ext4 /mnt/rofs
	{ base_config; echo '  , { name = "new"; file = "/srv/new/n.img"; size = "8M"; }'
	  echo '  , { name = "ro"; file = "/mnt/rofs/ro.img"; }'; echo ');'; } > /etc/basicdm.conf
	refused "--check: mounted read-only, set read_only" \
		"/mnt/rofs/ro.img is on a file system mounted read-only; set 'read_only = true', or mount it read-write" \
		basicdmd --check
	refused "basicdmctl reload: refused" "set 'read_only = true'" basicdmctl reload
	sed -i 's|file = "/mnt/rofs/ro.img"; }|file = "/mnt/rofs/ro.img"; read_only = true; }|' /etc/basicdm.conf
	check "with read_only = true, --check passes" basicdmd --check
	check "and the reload applies" basicdmctl reload
	check "ro is active" wait_until 60 is_state ro active
	expect_eq "ro is read-only" 1 "$(blockdev --getro /dev/basicdm/ro)"

	# the read-only mount does not come back after the reboot: leave it out
	{ base_config; echo '  , { name = "new"; file = "/srv/new/n.img"; size = "8M"; }'; echo ');'; } > /etc/basicdm.conf
	check "reload without ro" basicdmctl reload
	umount /mnt/rofs
	reboot_to 2
}

phase2() {
	check "the boot is not in emergency mode" sh -c "! systemctl is-active --quiet emergency.target"
	check "the daemon is up" systemctl is-active --quiet basicdm
	for v in srv ceo tmp state new; do
		check "$v: active after the boot" wait_until 120 is_state "$v" active
	done
	check "/mnt/srv mounted at boot" mountpoint -q /mnt/srv
	expect_eq "its data" "kept in /srv/images" "$(cat /mnt/srv/proof 2>&1)"
	check "no failed unit" sh -c '[ -z "$(systemctl list-units --failed --no-legend)" ]'
	check "no read-only error in this boot's journal" sh -c "! journalctl -b -u basicdm | grep -q 'Read-only file system'"
}

case $(phase) in
1) phase1 ;;
2) phase2 ;;
esac
