# basicdmctl activate, deactivate and reload return once their change is
# visible, as a user checks it: `activate && mount` never races, the nodes
# are gone when deactivate returns, a deferred removal names what holds the
# map (a mount point, a device stacked on it), a reload's new volume is
# there when it returns, activate waits out udev's work on the disk, and
# udev's helper waits out basicdmd's load when udev's worker has no lock;
# --timeout fails with exit 6 naming what did not happen (a disk that is
# not plugged in), and --no-block returns at once.
. "$PAYLOAD/guest/ctl.sh"
install_root
mkdir -p /var/lib/basicdm /mnt/data
# disk and far share one disk that is not plugged in yet; far starts past its end
cat > /etc/basicdm.conf <<'CONF'
volumes = (
  { name = "data"; file = "/var/lib/basicdm/data.img"; size = "64M"; },
  { name = "spare"; file = "/var/lib/basicdm/spare.img"; size = "16M"; },
  { name = "disk"; match = { ID_SERIAL = "CTLWAIT01"; }; sectors = 16384; },
  { name = "far"; match = { ID_SERIAL = "CTLWAIT01"; }; offset = 70000; }
);
CONF
cp /etc/basicdm.conf /tmp/base.conf
check "daemon starts" daemon_start
check "data is active" wait_until 60 is_state data active
check "spare is active" wait_until 60 is_state spare active
check "mkfs.ext4 on /dev/basicdm/data" mkfs.ext4 -q /dev/basicdm/data
check "mkfs.ext4 on /dev/basicdm/spare" mkfs.ext4 -q /dev/basicdm/spare

# ---- deactivate / activate && mount, back to back ---------------------------------
rounds=6
for i in $(seq 1 $rounds); do
	out=$(basicdmctl deactivate data 2>&1)
	expect_eq "round $i: deactivate (not mounted): exit 0, not deferred" "0 data: inactive" "$? $out"
	check "round $i: no map, no /dev/mapper/data, no /dev/basicdm/data when it returns" \
		sh -c '! dmsetup info data >/dev/null 2>&1 && ! [ -e /dev/mapper/data ] &&
			! [ -L /dev/mapper/data ] && ! [ -e /dev/basicdm/data ] && ! [ -L /dev/basicdm/data ]'
	check "round $i: basicdmctl activate data && mount /dev/basicdm/data /mnt/data" \
		sh -c 'basicdmctl activate data && mount /dev/basicdm/data /mnt/data'
	check "round $i: the data of the rounds before" \
		sh -c "[ \"\$(cat /mnt/data/round 2>/dev/null || echo 0)\" = $((i - 1)) ]"
	echo "$i" > /mnt/data/round
	check "round $i: umount" umount /mnt/data
done

# ---- deactivate while mounted: deferred, the mount point named ------------------
check "activate data && mount" sh -c 'basicdmctl activate data && mount /dev/basicdm/data /mnt/data'
out=$(basicdmctl deactivate data 2>&1)
expect_eq "mounted: deactivate exits 0" 0 "$?"
expect_eq "mounted: deferred, and the mount point named" \
	"data: inactive (the map goes away when it is closed; it is mounted on /mnt/data)" "$out"
expect_eq "mounted: the map stays, its removal deferred" true "$(jv "$(vol_json data)" dm.deferred_remove)"
check "mounted: still readable" cat /mnt/data/round
check "umount" umount /mnt/data
check "the map goes at the umount" wait_until 60 no_map data
check "and its nodes" wait_until 60 nodes_gone data

# ---- held by a device stacked on it --------------------------------------------------
check "activate data" basicdmctl activate data
check "a dm-linear map on top of data" \
	dmsetup create ctlwait-top --table "0 $(sectors /dev/mapper/data) linear /dev/mapper/data 0"
out=$(basicdmctl deactivate data 2>&1)
expect_eq "stacked: deferred, the device on top named" \
	"data: inactive (the map goes away when it is closed; it is held by /dev/mapper/ctlwait-top)" "$out"
j=$(basicdmctl --json deactivate data | json_flat)
expect_eq "stacked --json: deferred" true "$(jv "$j" deferred)"
expect_eq "stacked --json: held_by" "held by /dev/mapper/ctlwait-top" "$(jv "$j" held_by)"
check "remove the map on top" dmsetup remove ctlwait-top
check "data's map goes with it" wait_until 60 no_map data
check "activate data" basicdmctl activate data
check "data: its nodes lead to the map" nodes_on_map data

# ---- reload: a volume added, one removed while mounted ------------------------------
check "mount spare" mount /dev/basicdm/spare /mnt/data
{ sed '/name = "spare"/d; $d' /tmp/base.conf
  echo '  ,{ name = "new"; file = "/var/lib/basicdm/new.img"; size = "8M"; }'
  echo ');'; } > /etc/basicdm.conf
out=$(basicdmctl reload 2>&1)
expect_eq "reload: exit 0" 0 "$?"
expect_eq "reload: the plan, and the removal still mounted" \
	"configuration reloaded: 1 added, 1 removed, 0 reloaded, 0 replaced, 3 unchanged
spare: removed (the map goes away when it is closed; it is mounted on /mnt/data)" "$out"
check "reload: /dev/basicdm/new is there when it returns" test -b /dev/basicdm/new
check "reload: new's nodes lead to its map" nodes_on_map new
expect_eq "reload: new is active" active "$(vol_state new)"
check "umount spare" umount /mnt/data
check "spare's map goes at the umount" wait_until 60 no_map spare

# a new volume that cannot come up: the reload says so, with the reason
check "a map named bad that basicdm did not make" dmsetup create bad --table "0 8 zero"
{ sed '$d' /etc/basicdm.conf
  echo '  ,{ name = "bad"; file = "/var/lib/basicdm/bad.img"; size = "8M"; }'
  echo ');'; } > /tmp/bad.conf
cp /tmp/bad.conf /etc/basicdm.conf
out=$(basicdmctl reload 2>&1)
expect_eq "reload of a failing volume: exit 1" 1 "$?"
check "reload of a failing volume: the reason" grep -qx \
	"bad: a map named bad exists that basicdm did not create (UUID none)" <<<"$out"
check "remove the map named bad" dmsetup remove bad
sed -i '/name = "bad"/d' /etc/basicdm.conf
check "reload without bad" basicdmctl reload

# ---- --no-block: returns once the daemon accepted ---------------------------------
out=$(basicdmctl --no-block deactivate data 2>&1)
expect_eq "--no-block deactivate: exit 0" 0 "$?"
expect_eq "--no-block deactivate: the daemon's word" "data: inactive" "$out"
check "data: gone in the end" wait_until 60 nodes_gone data
out=$(basicdmctl --no-block activate data 2>&1)
expect_eq "--no-block activate: exit 0" 0 "$?"
check "--no-block activate: returned with data activating or active" \
	grep -qxE "data: (activating|active)" <<<"$out"
check "data: active in the end" wait_until 60 nodes_on_map data
check "disk: deactivate (it has no map)" basicdmctl deactivate disk
start=$(date +%s%N)
out=$(basicdmctl --no-block --timeout 30 activate disk 2>&1)
expect_eq "--no-block activate, no disk: exit 0" 0 "$?"
expect_eq "--no-block activate, no disk: waiting" "disk: waiting for its backing device" "$out"
check "--no-block activate, no disk: did not wait for it" test $(($(date +%s%N) - start)) -lt 20000000000
expect_eq "disk: waiting" waiting "$(vol_state disk)"

# ---- a match volume whose disk is not plugged in ----------------------------------
check "disk: deactivate" basicdmctl deactivate disk
start=$(date +%s%N)
out=$(basicdmctl activate --timeout 3 disk 2>&1)
rc=$?
took=$((($(date +%s%N) - start) / 1000000))
info "activate --timeout 3 with no disk took $took ms"
expect_eq "no disk: activate --timeout 3 exits 6" 6 "$rc"
expect_eq "no disk: what did not happen, and the fix" \
	"basicdmctl: disk: not active within 3 s: still waiting for its backing device (ID_SERIAL=CTLWAIT01); it stays activated and comes up when the device is plugged in (a longer --timeout waits for that)" "$out"
check "no disk: it waited the 3 s" test "$took" -ge 3000
expect_eq "no disk: the volume stays activated" waiting "$(vol_state disk)"
j=$(basicdmctl --json activate --timeout 1 disk | json_flat)
expect_eq "no disk --json: error" wait-timeout "$(jv "$j" error)"
expect_eq "no disk --json: ok" false "$(jv "$j" ok)"

# activate waits for a disk plugged in meanwhile
check "disk: deactivate" basicdmctl deactivate disk
basicdmctl activate --timeout 300 disk >/tmp/activate.out 2>&1 &
waiter=$!
check "activate waits: disk is waiting" wait_until 60 is_state disk waiting
check "the waiting activate has not returned" kill -0 "$waiter"
check "QMP: hot-add CTLWAIT01" host disk-add w1 32 CTLWAIT01
wait "$waiter"
expect_eq "activate returns 0 once the disk is plugged in" 0 "$?"
expect_eq "and says so" "disk: active" "$(cat /tmp/activate.out)"
check "disk: its nodes lead to the map" nodes_on_map disk

# a volume that cannot come up on the disk: activate fails with the reason
expect_eq "far failed on the plugged disk" failed "$(vol_state far)"
out=$(basicdmctl activate far 2>&1)
expect_eq "activate far: exit 1" 1 "$?"
check "activate far: the reason" grep -qE \
	"^basicdmctl: cannot activate far: offset 70000 is past the end of /dev/vd[a-z]+ \(65536 sectors\)$" <<<"$out"

# ---- a disk that udev is working on --------------------------------------------------
# Probes open a disk O_EXCL for a moment (basicdm-udev-backing's in-use test
# of a device not yet marked among them); a table loaded meanwhile would fail
# with EBUSY.  The daemon takes udev's lock on the disk (flock, udev's
# block-device protocol) for the load, so it waits for the event instead.
node=$(readlink -f /dev/disk/by-id/virtio-CTLWAIT01)
check "disk: deactivate" basicdmctl deactivate disk
check "udev is done with it" udevadm settle --timeout 120
cat > /run/zz-hold.pl <<PERL
use Fcntl;
sysopen(my \$disk, "$node", O_RDONLY | O_EXCL) or exit 0;
open(my \$flag, ">", "/run/zz-held") or exit 0;
close(\$flag);
sleep 2;
PERL
mkdir -p /run/udev/rules.d
echo "ACTION==\"change\", KERNEL==\"${node#/dev/}\", IMPORT{program}=\"/usr/bin/perl /run/zz-hold.pl\"" \
	> /run/udev/rules.d/99-zz-hold.rules
udevadm control --reload
check "a change event: a rule holds $node O_EXCL" udevadm trigger --action=change "$node"
check "the rule holds it" wait_until 60 test -e /run/zz-held
out=$(basicdmctl activate disk 2>&1)
expect_eq "activate while udev holds the disk: exit 0, active" "0 disk: active" "$? $out"
check "disk: its nodes lead to the map" nodes_on_map disk
rm -f /run/udev/rules.d/99-zz-hold.rules /run/zz-held
udevadm control --reload
check "udev is done with it" udevadm settle --timeout 120

# ---- udev's helper when udev's worker has no lock -------------------------------------
# udev's worker runs the rules under the disk's lock, shared, but runs them
# without it when it could not open the disk (a loop device being cleared,
# which basicdmd may bind again at once for a volume).  The helper then
# takes the lock itself: while basicdmd holds it exclusively to mark the
# device and load its map, the helper waits, so its O_EXCL test never makes
# the load fail.  Here the helper is run as udev runs it, while a program
# holds the lock as basicdmd does.
cat > /run/zz-lock.pl <<PERL
use Fcntl qw(:flock);
open(my \$disk, "<", "$node") or die "$node: \$!";
flock(\$disk, LOCK_EX) or die "flock: \$!";
open(my \$flag, ">", "/run/zz-locked") or die;
close(\$flag);
select(undef, undef, undef, 0.05) until -e "/run/zz-release";
PERL
perl /run/zz-lock.pl &
locker=$!
check "a program holds $node's lock, exclusive" wait_until 60 test -e /run/zz-locked
num=$(devnum "$node")
env -i ACTION=change SUBSYSTEM=block DEVNAME="$node" DEVPATH="$(udevadm info -q path -n "$node")" \
	MAJOR="${num%%:*}" MINOR="${num##*:}" /usr/lib/udev/basicdm-udev-backing > /run/zz-answer &
helper=$!
# shellcheck disable=SC2317  # called by wait_until
helper_has_disk_open() {
	local fd
	for fd in "/proc/$helper"/fd/*; do
		[ "$(readlink "$fd")" = "$node" ] && return 0
	done
	return 1
}
check "the helper opens $node for its lock" wait_until 60 helper_has_disk_open
check "and waits: no answer while the lock is held" sh -c "! test -s /run/zz-answer"
check "still waiting" helper_has_disk_open
touch /run/zz-release
wait "$locker"
expect_eq "the program lets go of the lock" 0 "$?"
wait "$helper"
expect_eq "then the helper answers" 0 "$?"
expect_eq "its answer: the disk is mapped, for the volume disk" "disk mapped" \
	"$(sed -n 's/^BASICDM_VOLUME=//p' /run/zz-answer) $(sed -n 's/^BASICDM_STATE=//p' /run/zz-answer)"
rm -f /run/zz-lock.pl /run/zz-locked /run/zz-release /run/zz-answer

# ---- usage ---------------------------------------------------------------------------
expect_eq "--timeout 0: exit 2" 2 "$(rc basicdmctl --timeout 0 activate data)"
expect_eq "--timeout abc: exit 2" 2 "$(rc basicdmctl --timeout abc activate data)"
expect_eq "--timeout infinity: exit 0" 0 "$(rc basicdmctl --timeout infinity activate data)"
check "the daemon still runs" systemctl is-active --quiet basicdm
