# Faults around the daemon, each ending with the data checked:
# (1) the config is replaced (rename over) while a reload is running: the
#     daemon ends with the new config applied, consistently, and a volume in
#     use through all of it is not disturbed;
# (2) the module is missing at start: volumes fail with a message that says
#     so, in the journal and in basicdmctl status; they come up once the
#     module is back and the daemon is reloaded;
# (3) a backing file to be created on a full filesystem: a clear error, the
#     other volumes unaffected, and it comes up once space is freed and the
#     daemon reloaded.
. "$PAYLOAD/guest/ctl.sh"
install_root
mkdir -p /var/lib/basicdm
D=/var/lib/basicdm
# mkconf FILE NAME...: file volumes, 4 MiB each, "keep" 32 MiB.
mkconf() {
	local out=$1 n sep=
	shift
	{
		echo 'volumes = ('
		for n in "$@"; do
			printf '%s  { name = "%s"; file = "%s/%s.img"; size = "%s"; }\n' "$sep" "$n" "$D" "$n" \
				"$([ "$n" = keep ] && echo 32M || echo 4M)"
			sep=,
		done
		echo ');'
	} > "$out"
}
seq_names() { local p=$1 i; for ((i = $2; i <= $3; i++)); do printf '%s%02d ' "$p" "$i"; done; }
reloads() { journal_count BASICDM_RELOAD=1; }
status_is() { [ "$(systemctl show -p StatusText --value basicdm)" = "$1" ]; }
# table_dev NAME: the backing device of map NAME as maj:min
table_dev() { dmsetup table "$1" | cut -d' ' -f4; }
verified=0

# ---- (1) config renamed over during a reload ---------------------------------------------
# shellcheck disable=SC2046
mkconf /etc/basicdm.conf keep $(seq_names x 1 4)
check "(1) daemon starts" daemon_start
dd if=/dev/urandom of=/dev/mapper/keep bs=1M seek=16 count=8 oflag=direct status=none
keep_sum=$(sum_of /dev/mapper/keep 16 8)
keep_dev=$(map_devnum keep)
keep_events=$(journal_count BASICDM_VOLUME=keep)
fio --name=keep --filename=/dev/mapper/keep --direct=1 --ioengine=libaio --iodepth=4 \
	--rw=randwrite --bs=4k --size=8m --time_based --runtime=3600 --rate_iops=150 \
	--verify=crc32c --verify_backlog=32 --verify_fatal=1 --output=/tmp/fio-keep.out &
fio_pid=$!
exec 7</dev/mapper/keep	# and an open handle
check "(1) fio is writing to keep" \
	wait_until 120 sh -c "[ \"\$(dmsetup status keep | cut -d' ' -f6)\" -gt 50 ]"

before=$(reloads)
# The second config lands while the daemon is applying the first: the
# reload adds 40 volumes, and the file is renamed over as soon as the first
# new map shows in sysfs (a glob, no process to start: as soon as can be).
dm_count
n0=$DMN
# shellcheck disable=SC2046
mkconf /etc/basicdm.conf.new keep $(seq_names x 1 4) $(seq_names y 1 40)
mv /etc/basicdm.conf.new /etc/basicdm.conf
# shellcheck disable=SC2046
mkconf /etc/basicdm.conf.next keep $(seq_names y 1 12) $(seq_names z 1 4)
pid=$(systemctl show -p MainPID --value basicdm)
check "(1) reload (SIGHUP) with 40 volumes to add" kill -HUP "$pid"
end=$((SECONDS + 120))
dm_count
while [ "$DMN" -le "$n0" ] && [ $SECONDS -lt $end ]; do dm_count; done
mv /etc/basicdm.conf.next /etc/basicdm.conf
dm_count
at=$((DMN - n0))
check "(1) systemctl reload, on the replaced file" systemctl reload basicdm
info "(1) config renamed over with $at of 40 new maps made by the running reload"
data daemon-faults "rename_during_reload_at=$at/40"
check "(1) both reloads end" wait_until 180 sh -c "[ \$(journalctl -q -u basicdm -o cat BASICDM_RELOAD=1 | wc -l) -ge $((before + 2)) ]"
check "(1) every volume of the new config active" wait_until 180 status_is "17 active, 0 waiting, 0 failed"
# shellcheck disable=SC2046
want=$(echo keep $(seq_names y 1 12) $(seq_names z 1 4) | tr ' ' '\n' | sort | xargs)
expect_eq "(1) the maps are exactly the new config's" "$want" \
	"$(dmsetup ls --target basic_target | awk '{print $1}' | sort | xargs)"
bad=0
for n in $want; do
	loops=$(losetup -j "$D/$n.img" -O NAME -n)
	if [ "$(printf '%s\n' "$loops" | grep -c .)" != 1 ] ||
		[ "$(devnum "$loops")" != "$(table_dev "$n")" ]; then
		bad=$((bad + 1))
		fail "(1) $n maps its own file's loop device" "loops: $loops, table: $(dmsetup table "$n")"
	fi
done
expect_eq "(1) every map on its own file's one loop device" 0 "$bad"
leftover=0
# shellcheck disable=SC2046
for n in $(seq_names x 1 4) $(seq_names y 13 24); do
	[ -z "$(losetup -j "$D/$n.img")" ] || leftover=$((leftover + 1))
done
expect_eq "(1) the removed volumes' loop devices are released" 0 "$leftover"
expect_eq "(1) keep: same device number" "$keep_dev" "$(map_devnum keep)"
expect_eq "(1) keep: no journal event" "$keep_events" "$(journal_count BASICDM_VOLUME=keep)"
kill -INT "$fio_pid"
wait "$fio_pid"
rc=$?
expect_eq "(1) fio on keep: stopped by us, no error" 128 "$rc"
check "(1) fio on keep: err= 0, every block verified" grep -q 'err= 0' /tmp/fio-keep.out
[ "$rc" = 128 ] || info "$(tail -n 20 /tmp/fio-keep.out)"
expect_eq "(1) keep: the open handle still reads" 0 \
	"$(dd bs=4k count=1 status=none <&7 >/dev/null; echo $?)"
exec 7<&-
expect_eq "(1) keep: data intact" "$keep_sum" "$(sum_of /dev/mapper/keep 16 8)"
verified=$((verified + 8))
check "(1) the daemon still runs" systemctl is-active --quiet basicdm

# ---- (2) the module missing at start ---------------------------------------------------------
daemon_stop
for n in $(dmsetup ls --target basic_target | awk '{print $1}'); do dmsetup remove --retry "$n"; done
check "(2) all loop devices released" wait_until 60 sh -c '[ -z "$(losetup -n -l -O NAME)" ]'
check "(2) rmmod basic_target" rmmod basic_target
ko=/lib/modules/$(uname -r)/updates/basicdm/basic_target.ko
mv "$ko" /root/basic_target.ko.hidden
depmod -a
check "(2) modprobe basic_target now fails" sh -c '! modprobe basic_target 2>/dev/null'
# a device volume too: a loop device set up here, with data on it
rm -f /var/tmp/devvol.img
head -c $((16 * 1048576)) /dev/urandom > /var/tmp/devvol.img
devloop=$(losetup -f --show /var/tmp/devvol.img)
devvol_sum=$(sum_of /var/tmp/devvol.img 1 8)
cat > /etc/basicdm.conf <<CONF
volumes = (
  { name = "keep"; file = "$D/keep.img"; size = "32M"; },
  { name = "m01"; file = "$D/m01.img"; size = "4M"; },
  { name = "devvol"; device = "$devloop"; offset = 2048; }
);
CONF
check "(2) the daemon starts without the module" daemon_start
check "(2) all three volumes failed" wait_until 60 status_is "0 active, 0 waiting, 3 failed"
for n in keep m01 devvol; do
	check "(2) journal: $n failed, the target named" sh -c \
		"journalctl -q -u basicdm -o cat BASICDM_VOLUME=$n BASICDM_EVENT=failed | grep -q 'no basic_target target'"
	check "(2) basicdmctl status $n: failed, the module named" sh -c \
		"basicdmctl status $n | grep -q 'modprobe basic_target'"
done
info "(2) $(basicdmctl status keep | grep -i reason)"
expect_eq "(2) no map" "" "$(dmsetup ls --target basic_target | awk '$1 != "No" {print $1}')"
expect_eq "(2) no loop device left for the file volumes" "" "$(losetup -j $D/keep.img; losetup -j $D/m01.img)"
mv /root/basic_target.ko.hidden "$ko"
depmod -a
check "(2) the module is back: modprobe basic_target" modprobe basic_target
check "(2) basicdmctl reload" basicdmctl reload
check "(2) all three active" wait_until 120 status_is "3 active, 0 waiting, 0 failed"
expect_eq "(2) keep: data intact" "$keep_sum" "$(sum_of /dev/mapper/keep 16 8)"
expect_eq "(2) devvol: the device's data, from sector 2048" "$devvol_sum" "$(sum_of /dev/mapper/devvol 0 8)"
verified=$((verified + 16))

# ---- (3) a backing file on a full filesystem -------------------------------------------------
daemon_stop
mkdir -p $D/small
check "(3) a 24 MiB tmpfs" mount -t tmpfs -o size=24m tmpfs $D/small
dd if=/dev/zero of=$D/small/filler bs=1M status=none 2>/dev/null
check "(3) and it is full" sh -c "[ \$(stat -f -c %f $D/small) -eq 0 ]"
cat > /etc/basicdm.conf <<CONF
volumes = (
  { name = "keep"; file = "$D/keep.img"; size = "32M"; },
  { name = "m01"; file = "$D/m01.img"; size = "4M"; },
  { name = "devvol"; device = "$devloop"; offset = 2048; },
  { name = "big"; file = "$D/small/big.img"; size = "16M"; }
);
CONF
check "(3) the daemon starts" daemon_start
check "(3) big failed, the others active" wait_until 60 status_is "3 active, 0 waiting, 1 failed"
expect_eq "(3) basicdmctl: big failed" failed "$(vol_state big)"
check "(3) journal: big failed, no room" sh -c \
	"journalctl -q -u basicdm -o cat BASICDM_VOLUME=big BASICDM_EVENT=failed | grep -q 'no room'"
info "(3) $(basicdmctl status big | grep -i reason)"
check "(3) no half-made backing file left" test ! -e $D/small/big.img
expect_eq "(3) keep: data intact" "$keep_sum" "$(sum_of /dev/mapper/keep 16 8)"
expect_eq "(3) devvol: data intact" "$devvol_sum" "$(sum_of /dev/mapper/devvol 0 8)"
rm -f $D/small/filler
check "(3) space freed, systemctl reload" daemon_reload
check "(3) big active" wait_until 120 status_is "4 active, 0 waiting, 0 failed"
head -c 8388608 /dev/urandom > /tmp/big.data
dd if=/tmp/big.data of=/dev/mapper/big bs=1M oflag=direct status=none
expect_eq "(3) big: 8 MiB written read back" "$(sha256sum < /tmp/big.data | cut -d' ' -f1)" \
	"$(sum_of /dev/mapper/big 0 8)"
expect_eq "(3) and are in its backing file" "$(sha256sum < /tmp/big.data | cut -d' ' -f1)" \
	"$(head -c 8388608 $D/small/big.img | sha256sum | cut -d' ' -f1)"
expect_eq "(3) keep: data still intact" "$keep_sum" "$(sum_of /dev/mapper/keep 16 8)"
verified=$((verified + 8 + 16 + 8))
info "$verified MiB verified"
data daemon-faults "mib_verified=$verified"
check "the daemon still runs" systemctl is-active --quiet basicdm
rm -f /tmp/big.data
