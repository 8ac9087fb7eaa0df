# vm-options: --variant devel --allow-reboot --source --bare --timeout 1500
# The user's path on a Debian guest with nothing of ours in it: install as
# the README says for other distributions (CMake, DKMS; package-install
# covers the Debian packages), write /etc/basicdm.conf, enable the
# service, put a filesystem on a volume in /etc/fstab, reboot; then the
# module was loaded at boot, the volume mounted, hotplug works, and reload,
# stop and start behave.
state=$BOOT_STATE
mkdir -p "$state"

phase1() {
	mkdir -p /mnt/source /root/basicdm
	mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 source /mnt/source
	# the source as a user gets it: not the host's build folders (./dev's
	# build, build-sanitize, build-fuzz: 130 MB, half a minute over 9p)
	tar -C /mnt/source --exclude='./build*' --exclude=./.git -cf - . | tar -C /root/basicdm -xf -
	cd /root/basicdm || return

	# The README's CMake install block (the route for other
	# distributions), verbatim.
	awk '/^### Other distributions: CMake/ {on = 1} on && /^```sh$/ {body = 1; next} body && /^```$/ {exit} body' \
		README.md > /tmp/install.sh
	check "the README has an install block" test -s /tmp/install.sh
	info "install: $(tr '\n' ';' < /tmp/install.sh)"
	if bash -ex /tmp/install.sh > /tmp/install.log 2>&1; then
		pass "install as the README says"
	else
		fail "install as the README says" "$(tail -n 15 /tmp/install.log)"
		return
	fi
	check "dkms built the module for $(uname -r)" sh -c "dkms status basic_target | grep -q 'installed'"
	check "modinfo finds it" modinfo basic_target
	check "basicdm.service installed" systemctl cat basicdm.service
	check "udev rule installed" test -f /lib/udev/rules.d/60-basicdm.rules
	check "modules-load.d entry installed" grep -qx basic_target /usr/lib/modules-load.d/basicdm.conf
	check "nothing has loaded basic_target yet" sh -c '! grep -q "^basic_target " /proc/modules'
	check "systemd-modules-load loads it from the installed modules-load.d entry" \
		sh -c 'systemctl restart systemd-modules-load && grep -q "^basic_target " /proc/modules'
	check "the example config became /etc/basicdm.conf" cmp conf/basicdm.conf /etc/basicdm.conf
	check "the example config is valid" basicdmd --check
	check "man basicdmd" test -f /usr/share/man/man8/basicdmd.8.gz -o -f /usr/share/man/man8/basicdmd.8

	cat > /etc/basicdm.conf <<'CONF'
volumes = (
  { name = "data"; file = "/var/lib/basicdm/data.img"; size = "64M"; },
  { name = "archive"; match = { ID_SERIAL = "ARCHIVE01"; }; offset = 2048; }
);
CONF
	# nothing below may reboot into a broken fstab: stop at the first failure
	check "systemctl enable --now basicdm" systemctl enable --now basicdm || return
	check "/dev/basicdm/data" test -b /dev/basicdm/data || return
	check "mkfs.ext4 on the volume" mkfs.ext4 -q /dev/basicdm/data || return
	mkdir -p /srv/data
	echo "/dev/basicdm/data /srv/data ext4 defaults,x-systemd.device-timeout=120 0 2" >> /etc/fstab
	systemctl daemon-reload
	check "mount it" mount /srv/data || return
	echo "written before the reboot" > /srv/data/proof
	sync
	reboot_to 2
}

phase2() {
	# systemd-modules-load and basicdm's modprobe@basic_target race to load
	# it; either way it must be there, and modules-load must not fail on it
	check "basic_target loaded at boot" grep -q "^basic_target " /proc/modules
	check "systemd-modules-load ran cleanly" systemctl is-active --quiet systemd-modules-load
	check "systemd-modules-load reported no error for basic_target" \
		sh -c "! journalctl -b -u systemd-modules-load -o cat | grep -i 'basic_target' | grep -qiv 'inserted'"
	info "systemd-modules-load: $(journalctl -b -u systemd-modules-load -o cat | tr '\n' '|')"
	check "basicdm.service is enabled" systemctl is-enabled --quiet basicdm
	check "basicdm.service is active" systemctl is-active --quiet basicdm
	check "/dev/basicdm/data after boot" test -b /dev/basicdm/data
	expect_eq "the fstab entry is mounted from the volume" /dev/mapper/data "$(findmnt -n -o SOURCE /srv/data)"
	expect_eq "the file written before the reboot" "written before the reboot" "$(cat /srv/data/proof)"
	check "journal: data active this boot" \
		sh -c 'journalctl -b -u basicdm BASICDM_VOLUME=data BASICDM_EVENT=active -o cat | grep -q .'

	check "QMP: hot-add a disk with serial ARCHIVE01" host disk-add a1 32 ARCHIVE01
	check "/dev/basicdm/archive appears" wait_until 120 test -b /dev/basicdm/archive
	check "journalctl -u basicdm BASICDM_VOLUME=archive: attached" \
		sh -c 'journalctl -u basicdm BASICDM_VOLUME=archive BASICDM_EVENT=attached -o cat | grep -q .'
	check "journalctl -u basicdm BASICDM_VOLUME=archive: active" \
		wait_until 30 sh -c 'journalctl -u basicdm BASICDM_VOLUME=archive BASICDM_EVENT=active -o cat | grep -q .'
	check "QMP: hot-remove it" host disk-del a1
	check "/dev/basicdm/archive goes away" wait_until 120 sh -c '! test -e /dev/basicdm/archive'
	check "journal: archive removed" \
		wait_until 30 sh -c 'journalctl -u basicdm BASICDM_VOLUME=archive BASICDM_EVENT=removed -o cat | grep -q .'

	data_dev=$(map_devnum data)
	sed -i 's|^);|  ,{ name = "extra"; file = "/var/lib/basicdm/extra.img"; size = "8M"; }\n);|' /etc/basicdm.conf
	check "the edited config is valid" basicdmd --check
	check "systemctl reload basicdm" systemctl reload basicdm
	check "the new volume comes up" wait_until 120 test -b /dev/basicdm/extra
	expect_eq "data untouched by the reload" "$data_dev" "$(map_devnum data)"

	check "systemctl stop basicdm" systemctl stop basicdm
	check "the maps stay, the filesystem stays mounted" \
		sh -c 'test -b /dev/basicdm/data && findmnt -n /srv/data >/dev/null && cat /srv/data/proof >/dev/null'
	check "systemctl start basicdm" systemctl start basicdm
	check "journal: data adopted" \
		sh -c 'journalctl -b -u basicdm BASICDM_VOLUME=data BASICDM_EVENT=adopted -o cat | grep -q .'
	expect_eq "data keeps its device number" "$data_dev" "$(map_devnum data)"

	exposure=$(systemd-analyze security basicdm.service 2>/dev/null |
		sed -n 's/.*Overall exposure level for basicdm.service: \([0-9.]*\).*/\1/p')
	info "systemd-analyze security basicdm.service: $exposure"
	check "sandbox exposure $exposure is 3.0 or lower" awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 3.0) }'
}

case $(phase) in
1) phase1 ;;
2) phase2 ;;
esac
