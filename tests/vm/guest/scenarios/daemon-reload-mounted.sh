# vm-options: --timeout 1500
# A table-changing reload under a mounted file system: suspend, load,
# resume must not make systemd unmount it (basicdm.conf(5): the map keeps
# its links and its readiness for systemd through a reload).  Volume a is
# mounted from /etc/fstab by /dev/basicdm/a, volume b by UUID= (so its
# /dev/disk/by-uuid link is what the mount unit needs); one unit is bound to
# each device.  Twenty reloads that switch `trace` run under writers on both
# mounts, then ten more with change events triggered on the maps meanwhile
# (the kind a udev watch or an administrator makes).  Then the two races
# made deterministic:
#  - an event that udev processes while b's map is suspended: stock Debian
#    12 rules drop by-uuid and by-label then, and the UUID= mount is stopped;
#  - a spurious "add" processed after a's resume but queued before it: stock
#    Debian 12 rules restore the "suspended" flag the previous event saved
#    and make the map not ready, and the mount and the bound unit stop.
# udev's processed events are recorded throughout: none may lack a link or
# say SYSTEMD_READY=0, even for a moment.
#
# Both volumes start at sector 2048 of their file, so the loop device below
# shows no file system and the by-uuid link can only name the map.
install_root
mkdir -p /var/lib/basicdm /mnt/a /mnt/b

# conf TRACE: the config with trace on (true) or off (false) for both volumes.
conf() {
	cat > /etc/basicdm.conf <<CONF
volumes = (
  { name = "a"; file = "/var/lib/basicdm/a.img"; size = "80M"; offset = 2048; trace = $1; },
  { name = "b"; file = "/var/lib/basicdm/b.img"; size = "80M"; offset = 2048; trace = $1; }
);
CONF
}
conf false
check "daemon starts" daemon_start || return
check "/dev/basicdm/a and /dev/basicdm/b exist" wait_until 60 sh -c 'test -b /dev/basicdm/a && test -b /dev/basicdm/b' || return
check "mkfs.ext4 on a" mkfs.ext4 -q -L reload-a /dev/basicdm/a || return
check "mkfs.ext4 on b" mkfs.ext4 -q -L reload-b /dev/basicdm/b || return
udevadm settle
uuid=$(blkid -s UUID -o value /dev/mapper/b)
dm_a=$(readlink -f /dev/mapper/a)
dm_b=$(readlink -f /dev/mapper/b)
check "by-uuid link of b names its map" wait_until 60 sh -c "[ \"\$(readlink -f /dev/disk/by-uuid/$uuid)\" = $dm_b ]" || return

cat >> /etc/fstab <<FSTAB
/dev/basicdm/a /mnt/a ext4 defaults 0 2
UUID=$uuid /mnt/b ext4 defaults 0 2
FSTAB
dev_a=$(systemd-escape --path --suffix=device /dev/basicdm/a)
dev_u=$(systemd-escape --path --suffix=device "/dev/disk/by-uuid/$uuid")
# bound-a as the admin guide's backup unit is (BindsTo= the volume's device);
# bound-b as crypttab binds its unit
for u in a:"$dev_a" b:"$dev_u"; do
	cat > "/etc/systemd/system/bound-${u%%:*}.service" <<UNIT
[Unit]
BindsTo=${u#*:}
After=${u#*:}
[Service]
ExecStart=/bin/sleep infinity
UNIT
done
systemctl daemon-reload
check "mnt-a.mount starts from fstab" systemctl start mnt-a.mount || return
check "mnt-b.mount starts from fstab (UUID=)" systemctl start mnt-b.mount || return
check "bound units start" systemctl start bound-a.service bound-b.service || return
expect_eq "mnt-a.mount is the map" /dev/mapper/a "$(findmnt -no SOURCE /mnt/a)"
expect_eq "mnt-b.mount is the map" /dev/mapper/b "$(findmnt -no SOURCE /mnt/b)"

udevadm monitor --udev --property --subsystem-match=block > /tmp/udev-monitor & wm=$!
check "udev monitor listening" wait_until 60 grep -q '^UDEV - ' /tmp/udev-monitor

units="mnt-a.mount mnt-b.mount bound-a.service bound-b.service $dev_a $dev_u"
# snapshot: every watched unit's state and its last (re)start
unit_state() {
	systemctl show -p ActiveState,InvocationID,ActiveEnterTimestampMonotonic,InactiveEnterTimestampMonotonic "$1" |
		sort | tr '\n' ' '
}
declare -A before
for u in $units; do
	before[$u]=$(unit_state "$u")
	info "$u: ${before[$u]}"
done

# The writers: 1 MiB records, each synced through the file system, the
# same pattern every time; a write error stops the writer and is recorded.
head -c 1048576 /dev/urandom > /tmp/record
writer() {
	local dir=$1 i=0
	while [ ! -e /tmp/stop-writers ]; do
		if ! dd if=/tmp/record of="$dir/rec.$((i % 40))" bs=64k conv=fsync status=none 2>>"/tmp/writer-err.${dir##*/}"; then
			echo "write $i failed" >>"/tmp/writer-err.${dir##*/}"
			return 1
		fi
		i=$((i + 1))
		echo "$i" > "/tmp/writer-count.${dir##*/}"
	done
}
rm -f /tmp/stop-writers /tmp/writer-err.* /tmp/writer-count.*
writer /mnt/a & wa=$!
writer /mnt/b & wb=$!
info "set up after ${SECONDS} s"
check "writers are writing" wait_until 60 test -s /tmp/writer-count.a -a -s /tmp/writer-count.b

# reloads N LABEL: N reloads that each switch trace (basicdmctl returns once
# the reload is applied); after each one the tables say so and the by-uuid
# link still names b's map.
trace=false
table_trace() { if dmsetup table "$1" | grep -q ' 1 trace$'; then echo true; else echo false; fi; }
reloads() {
	local n=$1 label=$2 i bad="" out
	for i in $(seq 1 "$n"); do
		if [ "$trace" = false ]; then trace=true; else trace=false; fi
		conf "$trace"
		out=$(basicdmctl reload 2>&1)
		case $out in
		*" 0 removed, 2 reloaded, 0 replaced,"*) ;;
		*) bad="reload $i: $out"; break ;;
		esac
		[ "$(table_trace a) $(table_trace b)" = "$trace $trace" ] ||
			{ bad="reload $i: tables say trace $(table_trace a) $(table_trace b), not $trace"; break; }
		udevadm settle
		[ "$(readlink -f "/dev/disk/by-uuid/$uuid")" = "$dm_b" ] ||
			{ bad="reload $i: by-uuid link is '$(readlink "/dev/disk/by-uuid/$uuid")'"; break; }
		findmnt -n /mnt/a >/dev/null || { bad="reload $i: /mnt/a is gone"; break; }
		findmnt -n /mnt/b >/dev/null || { bad="reload $i: /mnt/b is gone"; break; }
	done
	if [ -z "$bad" ]; then pass "$label"; else fail "$label" "$bad"; fi
}
reloads_before=$(journal_count BASICDM_EVENT=reloaded)
reloads 20 "20 reloads switching trace: tables changed, by-uuid link and mounts kept"

# The same with change events on the maps during the reloads.
( while [ ! -e /tmp/stop-triggers ]; do
	udevadm trigger -c change "$dm_b" "$dm_a"
	sleep 0.05
done ) & wt=$!
reloads 10 "10 reloads under triggered change events: by-uuid link and mounts kept"
touch /tmp/stop-triggers
wait "$wt"
expect_eq "journal: every reload reloaded both maps" $(((20 + 10) * 2)) \
	$(($(journal_count BASICDM_EVENT=reloaded) - reloads_before))

info "reloads done after ${SECONDS} s"

# Deterministic, b: an event that udev processes while the map is suspended.
check "dmsetup suspend b" dmsetup suspend b
udevadm trigger -c change "$dm_b"
udevadm settle
suspended_link=$(readlink -f "/dev/disk/by-uuid/$uuid")
suspended_label=$(readlink -f /dev/disk/by-label/reload-b)
suspended_ready=$(udevadm info -q property "$dm_b" | sed -n 's/^SYSTEMD_READY=//p')
check "dmsetup resume b" dmsetup resume b
expect_eq "event while b is suspended: by-uuid link still names the map" "$dm_b" "$suspended_link"
expect_eq "event while b is suspended: by-label link still names the map" "$dm_b" "$suspended_label"
expect_eq "event while b is suspended: SYSTEMD_READY stays 1" 1 "$suspended_ready"

# Deterministic, a: the event processed while suspended leaves its flags in
# udev's database; a spurious "add" queued before the resume's own event is
# processed after the resume, with those flags.  udev's queue is held so the
# order is certain (dmsetup must not wait on udev meanwhile).
check "dmsetup suspend a" dmsetup suspend a
udevadm trigger -c change "$dm_a"
udevadm settle
check "hold udev's queue" udevadm control --stop-exec-queue
udevadm trigger -c add "$dm_a"
check "dmsetup resume a" dmsetup resume --noudevsync a
check "release udev's queue" udevadm control --start-exec-queue
udevadm settle

touch /tmp/stop-writers
wait "$wa"; ra=$?
wait "$wb"; rb=$?
expect_eq "writer on a saw no error" "0:" "$ra:$(cat /tmp/writer-err.a 2>/dev/null)"
expect_eq "writer on b saw no error" "0:" "$rb:$(cat /tmp/writer-err.b 2>/dev/null)"
info "records written: a $(cat /tmp/writer-count.a), b $(cat /tmp/writer-count.b)"

# udev's view: every processed event of a map kept its link and readiness
kill -INT "$wm"
wait "$wm"
# events DEVNAME: one line per processed event of DEVNAME, "ACTION SEQNUM
# SYSTEMD_READY DEVLINKS..." as the udev monitor recorded it
events() {
	awk -v dev="$1" '
		function out() { if (d == dev) print act, seq, (ready == "" ? "-" : ready), links }
		/^UDEV / { out(); d = ""; links = ""; ready = ""; seq = ""; act = $3; next }
		/^DEVNAME=/ { d = substr($0, 9) }
		/^DEVLINKS=/ { links = substr($0, 10) }
		/^SYSTEMD_READY=/ { ready = substr($0, 15) }
		/^SEQNUM=/ { seq = substr($0, 8) }
		END { out() }' /tmp/udev-monitor
}
# bad_events LINK: the events on stdin without LINK or with SYSTEMD_READY=0
bad_events() { awk -v need="$1" '{ l = " " $0 " " } index(l, " " need " ") == 0 || $3 == "0"' | tr '\n' ';'; }
events "$dm_a" > /tmp/events.a
events "$dm_b" > /tmp/events.b
info "udev processed $(wc -l < /tmp/events.a) events of a, $(wc -l < /tmp/events.b) of b"
expect_eq "the spurious add after a's resume was processed ready" "1" \
	"$(awk '$1 == "add" { r = $3 } END { print r }' /tmp/events.a)"
expect_eq "every processed event of a: /dev/basicdm/a, not SYSTEMD_READY=0" "" \
	"$(bad_events /dev/basicdm/a < /tmp/events.a)"
expect_eq "every processed event of b: its by-uuid link, not SYSTEMD_READY=0" "" \
	"$(bad_events "/dev/disk/by-uuid/$uuid" < /tmp/events.b)"

# systemd's view: nothing restarted, nothing stopped, nothing unmounted
for u in $units; do
	expect_eq "$u never restarted or stopped" "${before[$u]}" "$(unit_state "$u")"
done
check "no Unmounting/Unmounted in the journal" \
	sh -c '! journalctl -b -q -o cat -u mnt-a.mount -u mnt-b.mount | grep -E "Unmount"'
for u in bound-a.service bound-b.service; do
	check "$u still active" systemctl is-active --quiet "$u"
done

# the data: every record reads back, and fsck is clean after a plain umount
check "drop caches" sh -c 'sync; echo 3 > /proc/sys/vm/drop_caches'
sum=$(sha256sum < /tmp/record)
for m in a b; do
	bad=$(for f in "/mnt/$m"/rec.*; do [ "$(sha256sum < "$f")" = "$sum" ] || echo "$f"; done)
	expect_eq "every record on $m verifies" "" "$bad"
done
check "umount both" umount /mnt/a /mnt/b
check "e2fsck -fn a is clean" e2fsck -fn /dev/mapper/a
check "e2fsck -fn b is clean" e2fsck -fn /dev/mapper/b
check "udev took 60-basicdm.rules without complaint" \
	sh -c '! journalctl -b -q -o cat -u systemd-udevd | grep 60-basicdm'
info "scenario done after ${SECONDS} s"
