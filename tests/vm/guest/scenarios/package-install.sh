# vm-options: --variant devel --allow-reboot --bare --debs --timeout 1500
# The Debian packages on a guest with DKMS and the kernel headers and
# nothing of ours: `apt install` of both .debs (offline: apt resolves from
# what is installed), a volume from an edited /etc/basicdm.conf, a reboot
# with its data, `apt install --reinstall` under an open map, then
# `apt remove`, `apt purge` and the DKMS package's removal: our files and
# units go, the backing file and its data stay.  The journal catalog is
# known to journalctl once installed (systemd's dpkg trigger) and forgotten
# once removed; the opt-in basicdm-metrics.timer is shipped disabled, and,
# once enabled, writes its file and survives the upgrade path.
state=$BOOT_STATE
mkdir -p "$state"
debs=/var/tmp/debs
img=/var/lib/basicdm/data.img
prom=/var/lib/prometheus/node-exporter/basicdm.prom

daemon_pid() { systemctl show -p MainPID --value basicdm; }

phase1() {
	mkdir -p "$debs"
	cp "$PAYLOAD"/deb/*.deb "$debs/"
	version=$(dpkg-deb -f "$(ls "$debs"/basicdm_*.deb)" Version)
	echo "$version" >"$state/version"
	info "packages: $(cd "$debs" && ls | tr '\n' ' ')"
	check "nothing of ours before" sh -c '! dpkg -s basicdm basic-target-dkms >/dev/null 2>&1 &&
		! modinfo basic_target >/dev/null 2>&1 && ! systemctl cat basicdm.service >/dev/null 2>&1'

	cd "$debs" || return
	if DEBIAN_FRONTEND=noninteractive apt install -y ./basicdm_*.deb ./basic-target-dkms_*.deb \
		>/tmp/install.log 2>&1; then
		info "apt install: $(grep -E '^(Setting up|Building|basicdm:)' /tmp/install.log | tr '\n' '|')"
		pass "apt install ./basicdm_*.deb ./basic-target-dkms_*.deb"
	else
		fail "apt install ./basicdm_*.deb ./basic-target-dkms_*.deb" "$(tail -n 15 /tmp/install.log)"
		return
	fi
	cd / || return
	check "both installed" sh -c 'dpkg -s basicdm basic-target-dkms | grep -c "^Status: install ok installed" | grep -qx 2'
	check "DKMS built and installed basic_target $version for $(uname -r)" \
		sh -c "dkms status -m basic_target -v '$version' -k '$(uname -r)' | grep -q ': installed'"
	expect_eq "the module's MODULE_VERSION is the packages'" "$version" "$(modinfo -F version basic_target)"
	check "modinfo finds DKMS's module" sh -c 'modinfo -n basic_target | grep -q /updates/dkms/'
	check "basicdm.service enabled at install" systemctl is-enabled --quiet basicdm
	check "not started: the shipped config declares no volume" sh -c '! systemctl is-active --quiet basicdm'
	check "apt said so" grep -q "declares no volume yet" /tmp/install.log
	check "no backing file created" sh -c '! ls /var/lib/basicdm/*.img 2>/dev/null'
	check "/etc/basicdm.conf is a conffile" \
		sh -c "dpkg-query -W -f='\${Conffiles}' basicdm | grep -q '^ /etc/basicdm.conf '"
	check "the shipped config is valid, no volume" sh -c 'basicdmd --check | grep -q ": 0 volumes, configuration valid"'
	for f in /usr/sbin/basicdmd /usr/sbin/basicdmctl /lib/systemd/system/basicdm.service \
		/lib/systemd/system-generators/basicdm-generator /usr/lib/modules-load.d/basicdm.conf \
		/lib/udev/basicdm-udev-backing /lib/udev/rules.d/60-basicdm.rules \
		/lib/udev/rules.d/60-basicdm-backing-early.rules /lib/udev/rules.d/61-basicdm-backing.rules \
		/usr/share/man/man8/basicdmd.8.gz /usr/share/man/man4/basic_target.4.gz \
		/usr/share/bash-completion/completions/basicdmctl \
		/lib/systemd/system/basicdm-metrics.service /lib/systemd/system/basicdm-metrics.timer \
		/usr/lib/systemd/catalog/basicdm.catalog; do
		check "installed: $f" test -e "$f"
	done
	check "the catalog is in journalctl's database (systemd's trigger)" \
		sh -c "[ \$(journalctl --list-catalog | grep -c ' basicdm: ') -eq 13 ]"
	expect_eq "basicdm-metrics.timer shipped disabled" disabled "$(systemctl is-enabled basicdm-metrics.timer)"
	check "and not started" sh -c '! systemctl is-active --quiet basicdm-metrics.timer'
	dpkg -L basicdm basic-target-dkms | sort >"$state/files"

	cat >>/etc/basicdm.conf <<-'CONF'

	volumes = (
	  { name = "data"; file = "/var/lib/basicdm/data.img"; size = "64M"; }
	);
	CONF
	cp /etc/basicdm.conf "$state/basicdm.conf"
	check "the edited config is valid" basicdmd --check
	check "systemctl start basicdm" systemctl start basicdm || return
	check "/dev/basicdm/data" wait_until 60 test -b /dev/basicdm/data || return
	check "journalctl -x explains the volume's events" \
		sh -c 'journalctl -x -q -u basicdm BASICDM_VOLUME=data BASICDM_EVENT=active | grep -q "Subject: basicdm volume data is active"'
	# the textfile collector's directory, as prometheus-node-exporter makes it
	mkdir -p /var/lib/prometheus/node-exporter
	check "systemctl enable --now basicdm-metrics.timer" systemctl enable --now basicdm-metrics.timer
	check "the timer writes basicdm.prom" wait_until 60 \
		grep -q '^basicdm_volume_state{volume="data",state="active"} 1$' "$prom"
	check "mkfs.ext4 on the volume" mkfs.ext4 -q /dev/basicdm/data || return
	mkdir -p /mnt/data
	check "a file written on it" sh -c 'mount /dev/basicdm/data /mnt/data &&
		echo "written before the reboot" >/mnt/data/proof && umount /mnt/data' || return
	sync
	reboot_to 2
}

phase2() {
	version=$(cat "$state/version")
	check "basic_target loaded at boot" grep -q "^basic_target " /proc/modules
	check "basicdm.service active after the reboot" systemctl is-active --quiet basicdm
	check "/dev/basicdm/data after the reboot" wait_until 60 test -b /dev/basicdm/data || return
	check "journal: data active this boot" \
		sh -c 'journalctl -b -u basicdm BASICDM_VOLUME=data BASICDM_EVENT=active -o cat | grep -q .'
	mkdir -p /mnt/data
	check "mount the volume" mount /dev/basicdm/data /mnt/data || return
	expect_eq "its data, from before the reboot" "written before the reboot" "$(cat /mnt/data/proof)"

	# A drop-in, to see purge take it with the rest of the configuration.
	printf '# local volumes go here\n' >/etc/basicdm.conf.d/local.conf

	# --reinstall runs the upgrade path of the maintainer scripts
	dev=$(map_devnum data)
	table=$(dmsetup table data)
	pid=$(daemon_pid)
	adopted=$(journal_count BASICDM_VOLUME=data BASICDM_EVENT=adopted)
	cd "$debs" || return
	if DEBIAN_FRONTEND=noninteractive apt install -y --reinstall ./basicdm_*.deb >/tmp/reinstall.log 2>&1; then
		pass "apt install --reinstall ./basicdm_*.deb"
	else
		fail "apt install --reinstall ./basicdm_*.deb" "$(tail -n 15 /tmp/reinstall.log)"
	fi
	cd / || return
	check "the daemon was restarted" sh -c "[ \"\$(systemctl show -p MainPID --value basicdm)\" != '$pid' ] &&
		systemctl is-active --quiet basicdm"
	check "journal: the new daemon adopted data" \
		wait_until 60 sh -c "[ \$(journalctl -q -u basicdm BASICDM_VOLUME=data BASICDM_EVENT=adopted -o cat | wc -l) -gt $adopted ]"
	expect_eq "the open map keeps its device number" "$dev" "$(map_devnum data)"
	expect_eq "and its table" "$table" "$(dmsetup table data)"
	check "still mounted, still readable" sh -c 'findmnt -n /mnt/data >/dev/null && grep -q "before the reboot" /mnt/data/proof'
	check "one loop device on the file" sh -c "[ \$(losetup -j $img | wc -l) = 1 ]"
	check "the edited /etc/basicdm.conf survived" cmp "$state/basicdm.conf" /etc/basicdm.conf
	check "basicdm-metrics.timer still enabled and active" \
		sh -c 'systemctl is-enabled --quiet basicdm-metrics.timer && systemctl is-active --quiet basicdm-metrics.timer'
	prev=$(stat -c %Y "$prom")
	check "and basicdm.prom still refreshed" wait_until 60 sh -c "[ \$(stat -c %Y $prom) -gt $prev ]"
	echo "written after the reinstall" >/mnt/data/proof2

	# remove: the daemon stops, the maps and the backing file stay
	check "apt remove basicdm" apt_do remove basicdm
	check "the daemon is stopped" sh -c '! pgrep -x basicdmd'
	expect_eq "the map stays, same device" "$dev" "$(map_devnum data)"
	check "still mounted" findmnt -n /mnt/data
	check "the backing file stays" test -f "$img"
	check "the program and the unit are gone" sh -c '! test -e /usr/sbin/basicdmd && ! test -e /lib/systemd/system/basicdm.service'
	check "the configuration stays until purge" test -f /etc/basicdm.conf
	check "basicdm-metrics.timer stopped" sh -c '! systemctl is-active --quiet basicdm-metrics.timer'
	check "basicdm.prom gone: node_exporter serves nothing stale" test ! -e "$prom"
	check "the catalog forgotten (systemd's trigger)" \
		sh -c '! journalctl --list-catalog | grep -q " basicdm: "'

	check "apt purge basicdm" apt_do purge basicdm
	check "nothing of basicdm left in dpkg" sh -c '! dpkg -s basicdm >/dev/null 2>&1'
	# directories (/lib, /usr/share/man/man8) are shared: files only
	missing=""
	while read -r f; do
		case $f in /etc/basicdm.conf* | /usr/src/* | /usr/share/doc/basic-target-dkms* | \
			/usr/share/man/man4/basic_target.4.gz) ;;
		*) if [ ! -d "$f" ] && { [ -e "$f" ] || [ -L "$f" ]; }; then missing="$missing $f"; fi ;;
		esac
	done <"$state/files"
	check "every file of basicdm gone" test -z "$missing"
	check "/etc/basicdm.conf and /etc/basicdm.conf.d gone" \
		sh -c '! test -e /etc/basicdm.conf && ! test -e /etc/basicdm.conf.d'
	systemctl daemon-reload
	check "no unit left" sh -c '! systemctl cat basicdm.service >/dev/null 2>&1 &&
		! ls /etc/systemd/system/*/basicdm.service 2>/dev/null &&
		! systemctl cat basicdm-metrics.timer >/dev/null 2>&1 &&
		! ls /etc/systemd/system/*/basicdm-metrics.timer 2>/dev/null'
	check "no udev rule left" sh -c '! ls /lib/udev/rules.d/*basicdm* /usr/lib/udev/rules.d/*basicdm* 2>/dev/null'
	check "the map is still there" test -b /dev/mapper/data
	check "the backing file is still there" test -f "$img"
	umount /mnt/data
	dmsetup remove data
	for loop in $(losetup -j "$img" | cut -d: -f1); do losetup -d "$loop"; done
	mkdir -p /mnt/check
	check "its data are still there" sh -c "mount -o ro,loop $img /mnt/check &&
		grep -q 'before the reboot' /mnt/check/proof && grep -q 'after the reinstall' /mnt/check/proof2"
	umount /mnt/check

	check "apt remove basic-target-dkms" apt_do remove basic-target-dkms
	check "dkms knows no basic_target" sh -c '! dkms status basic_target | grep -q .'
	check "no basic_target.ko in any kernel" sh -c '! find /lib/modules -name "basic_target.ko*" | grep -q .'
	check "modinfo no longer finds it" sh -c '! modinfo basic_target >/dev/null 2>&1'
	check "its sources gone" sh -c "! test -e /usr/src/basic_target-$version"
	check "the module unloads" rmmod basic_target
}

case $(phase) in
1) phase1 ;;
2) phase2 ;;
esac
