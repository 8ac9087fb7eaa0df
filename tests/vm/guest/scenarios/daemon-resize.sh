# vm-options: --timeout 1500
# vm-cpu: waits (fio writes at a capped 100 IOPS while the disks grow)
# Volumes follow their backing, and never cut it.  A disk volume without
# 'sectors' grows online when QEMU grows its disk (block_resize): the same
# map device, a mounted ext4 stays mounted and is grown with resize2fs while
# fio writes and verifies through it, the journal says "resized" with both
# sizes, basicdmctl status shows the new one.  A disk that shrinks below the
# map leaves it as it is, and the journal says so.  'sectors' holds a map
# where it is, until the administrator asks for fewer.  A file volume's
# larger 'size' grows the file (sparse), its loop device and its map on
# reload; a smaller one is refused with file:line and the file is never
# truncated.  Each new length remakes the map's dm-stats region over it;
# "resized" and "shrunk" carry their MESSAGE_IDs, which the catalog explains.
. "$PAYLOAD/guest/ctl.sh"
install_root
# a staged install leaves the catalog database to the package manager
journalctl --update-catalog

write_config() { # FILE_SIZE FIXED_SECTORS
	cat > /etc/basicdm.conf <<-CONF
	defaults = { latency_histogram = "on"; };
	volumes = (
	  { name = "grow"; match = { ID_SERIAL = "GROW01"; }; offset = 2048; },
	  { name = "fixed"; match = { ID_SERIAL = "FIXED01"; }; sectors = $2; },
	  { name = "img"; file = "/var/lib/basicdm/img.img"; size = "$1"; }
	);
	CONF
}
size_sectors() { jv "$(vol_json "$1")" size_sectors; }
# resized_count NAME: "resized" events of volume NAME so far
resized_count() { journal_count BASICDM_VOLUME="$1" BASICDM_EVENT=resized; }
# region_lengths NAME: the length of each dm-stats region of basicdm on map
# NAME, one a line ("@stats_list": "ID: START+LENGTH STEP PROGRAM AUX ...")
region_lengths() {
	dmsetup message "$1" 0 "@stats_list basicdm" | sed -n 's/^[0-9]*: [0-9]*+\([0-9]*\) .*/\1/p'
}
resized_id=c74773ee187c4283bcd93fd4e78909c8
shrunk_id=cfa084db380b4714b376c5c20cfa9ff6

write_config 16M 16384
check "daemon starts" daemon_start
check "QMP: hot-add a 256 MiB disk GROW01" host disk-add d1 256 GROW01
check "QMP: hot-add a 32 MiB disk FIXED01" host disk-add d2 32 FIXED01
check "/dev/mapper/grow appears" wait_until 120 test -b /dev/mapper/grow
check "/dev/mapper/fixed appears" wait_until 120 test -b /dev/mapper/fixed
check "img is active" wait_until 60 is_state img active
grow_disk=$(readlink -f /dev/disk/by-id/virtio-GROW01)
fixed_disk=$(readlink -f /dev/disk/by-id/virtio-FIXED01)
expect_eq "grow maps the disk less its offset" $((256 * 2048 - 2048)) "$(sectors /dev/mapper/grow)"
grow_devnum=$(map_devnum grow)
expect_eq "grow's dm-stats region covers the map" $((256 * 2048 - 2048)) "$(region_lengths grow)"

# ---- a disk that grows, under a mounted file system and fio --verify ----
# 4 KiB blocks and a 16 MiB journal, as on any real disk (mke2fs gives a
# file system this small 1 KiB blocks and a tiny journal)
check "mkfs.ext4 on grow" mkfs.ext4 -q -b 4096 -J size=16 /dev/mapper/grow
mkdir -p /mnt/grow
check "mount grow" mount /dev/mapper/grow /mnt/grow
fs_blocks_before=$(stat -f -c %b /mnt/grow)
# The rate is capped so fio is still writing while the disk grows, however
# fast the emulator happens to be.
fio --name=grow --filename=/mnt/grow/fio.dat --size=16M --direct=1 --ioengine=libaio \
	--iodepth=4 --rw=randwrite --bs=4k --rate_iops=100 --verify=crc32c --verify_fatal=1 \
	--do_verify=1 --output=/tmp/fio-grow.out &
fio_pid=$!
wait_until 120 sh -c "[ \"\$(dmsetup status grow | cut -d' ' -f6)\" -gt 100 ]" ||
	fail "fio started writing" "no writes counted within 120 s"

# FIXED01 first, and udev done with it, so that by the time grow's
# "resized" is in the journal the daemon has handled FIXED01's event too.
check "QMP: grow FIXED01 to 64 MiB" host disk-resize d2 64
check "the kernel sees FIXED01 at 64 MiB" wait_until 60 sh -c "[ \$(blockdev --getsz $fixed_disk) = $((64 * 2048)) ]"
udevadm settle --timeout=60
check "QMP: grow GROW01 to 512 MiB while fio writes" host disk-resize d1 512
check "journal: grow resized" wait_until 120 sh -c "[ \$(journalctl -q -u basicdm -o cat BASICDM_VOLUME=grow BASICDM_EVENT=resized | wc -l) = 1 ]"
check "journal: it names both sizes" \
	journal_grep "resized from $((256 * 2048 - 2048)) to $((512 * 2048 - 2048)) sectors" BASICDM_VOLUME=grow
check "fio was still writing during the grow" kill -0 "$fio_pid"
expect_eq "the map grew to the disk less its offset" $((512 * 2048 - 2048)) "$(sectors /dev/mapper/grow)"
expect_eq "the same map device" "$grow_devnum" "$(map_devnum grow)"
expect_eq "basicdmctl status shows the new size" $((512 * 2048 - 2048)) "$(size_sectors grow)"
expect_eq "one dm-stats region, made anew over the grown map" $((512 * 2048 - 2048)) "$(region_lengths grow)"
check "journal: resized carries its MESSAGE_ID" \
	sh -c "journalctl -q -u basicdm -o cat MESSAGE_ID=$resized_id BASICDM_VOLUME=grow BASICDM_EVENT=resized | grep -q ."
check "journalctl -x explains resized from the catalog" \
	sh -c "journalctl -x -q -u basicdm BASICDM_VOLUME=grow BASICDM_EVENT=resized | grep -q 'Subject: basicdm resized the map of volume grow'"
expect_eq "grow is active" active "$(vol_state grow)"
expect_eq "still mounted from the map" /dev/mapper/grow "$(findmnt -n -o SOURCE /mnt/grow)"
check "resize2fs grows the mounted file system online" resize2fs /dev/mapper/grow
check "the file system is larger" test "$(stat -f -c %b /mnt/grow)" -gt "$fs_blocks_before"
wait "$fio_pid"
rc=$?
expect_eq "fio exits 0 (every write verified)" 0 "$rc"
check "fio reports no I/O error" grep -q 'err= 0' /tmp/fio-grow.out
check "fio reports no verify failure" sh -c '! grep -qi "verify.*\(fail\|bad\)" /tmp/fio-grow.out'
[ "$rc" = 0 ] || info "$(tail -n 20 /tmp/fio-grow.out)"
check "the kernel logged no I/O error" sh -c '! dmesg | grep -qi "I/O error"'

# 'sectors' is the administrator's: FIXED01 grew, its map did not
expect_eq "fixed keeps its 16384 sectors" 16384 "$(sectors /dev/mapper/fixed)"
expect_eq "journal: no resized event for fixed" 0 "$(resized_count fixed)"

# ---- a disk that shrinks below its map: never cut ----
check "umount grow" umount /mnt/grow
check "e2fsck of the grown file system is clean" e2fsck -fn /dev/mapper/grow
check "QMP: shrink GROW01 to 384 MiB" host disk-resize d1 384
check "journal: grow shrunk, map left as it is" wait_until 120 sh -c "journalctl -q -u basicdm -o cat BASICDM_VOLUME=grow BASICDM_EVENT=shrunk | grep -q 'the map is left as it is'"
expect_eq "the map keeps its size" $((512 * 2048 - 2048)) "$(sectors /dev/mapper/grow)"
expect_eq "and its dm-stats region" $((512 * 2048 - 2048)) "$(region_lengths grow)"
check "journal: shrunk carries its MESSAGE_ID" \
	sh -c "journalctl -q -u basicdm -o cat MESSAGE_ID=$shrunk_id BASICDM_VOLUME=grow BASICDM_EVENT=shrunk | grep -q ."
check "journalctl -x explains shrunk from the catalog" \
	sh -c "journalctl -x -q -u basicdm BASICDM_VOLUME=grow BASICDM_EVENT=shrunk | grep -q 'Subject: the backing of basicdm volume grow shrank'"
expect_eq "the same map device" "$grow_devnum" "$(map_devnum grow)"
expect_eq "journal: no second resized event" 1 "$(resized_count grow)"
check "QMP: GROW01 back to 512 MiB" host disk-resize d1 512
check "the kernel sees GROW01 at 512 MiB" wait_until 60 sh -c "[ \$(blockdev --getsz $grow_disk) = $((512 * 2048)) ]"
check "e2fsck still clean: nothing was cut" e2fsck -fn /dev/mapper/grow

# ---- fewer sectors, asked for: applied ----
write_config 16M 8192
check "basicdmctl reload: fixed to 8192 sectors" basicdmctl reload
expect_eq "fixed maps 8192 sectors" 8192 "$(sectors /dev/mapper/fixed)"
expect_eq "its dm-stats region too" 8192 "$(region_lengths fixed)"

# ---- a file volume's larger size ----
img=/var/lib/basicdm/img.img
img_devnum=$(map_devnum img)
loop=$(losetup -j "$img" -O NAME -n)
write_pattern /dev/mapper/img 100 "before-the-grow"
write_config 32M 8192
check "basicdmd --check accepts a larger size" basicdmd --check
check "basicdmctl reload: img to 32M" basicdmctl reload
expect_eq "the file is 32 MiB" $((32 << 20)) "$(stat -c %s "$img")"
check "sparse: far less than 32 MiB allocated" test "$(stat -c %b "$img")" -lt $((8 * 2048))
expect_eq "the same loop device" "$loop" "$(losetup -j "$img" -O NAME -n)"
expect_eq "its loop device took the size" $((32 * 2048)) "$(sectors "$loop")"
expect_eq "the map grew" $((32 * 2048)) "$(sectors /dev/mapper/img)"
expect_eq "the same map device" "$img_devnum" "$(map_devnum img)"
check "journal: img resized" journal_grep "resized from $((16 * 2048)) to $((32 * 2048)) sectors" BASICDM_VOLUME=img
expect_eq "img's dm-stats region covers the grown map" $((32 * 2048)) "$(region_lengths img)"
expect_eq "the data before the grow is there" "before-the-grow" "$(read_sector /dev/mapper/img 100)"
write_pattern /dev/mapper/img $((32 * 2048 - 1)) "last-sector"
expect_eq "the new last sector lands at the end of the file" "last-sector" \
	"$(dd if="$img" bs=512 skip=$((32 * 2048 - 1)) count=1 status=none | tr -d '\0' | sed 's/ *$//')"

# ---- a smaller size: refused, never truncated ----
write_config 8M 8192
refused "basicdmd --check refuses a size smaller than the file, with file:line" \
	"/etc/basicdm.conf:5: volume 'img': size is smaller than $img, which holds 33554432 bytes; basicdm never truncates a backing file: set size = \"32M\" or more" \
	basicdmd --check
refused "basicdmctl reload: refused with the fix" "never truncates a backing file" basicdmctl reload
check "journal: the reload was refused" journal_grep "refused, nothing changed" BASICDM_RELOAD_RESULT=refused
expect_eq "the file is still 32 MiB" $((32 << 20)) "$(stat -c %s "$img")"
expect_eq "the map is still 32 MiB" $((32 * 2048)) "$(sectors /dev/mapper/img)"
expect_eq "with its data" "last-sector" "$(read_sector /dev/mapper/img $((32 * 2048 - 1)))"
expect_eq "img is active" active "$(vol_state img)"

# ---- a restart after a larger size: the file and its map grow at start ----
write_config 48M 8192
check "systemctl restart basicdm" systemctl restart basicdm
check "img is active after the restart" wait_until 60 is_state img active
expect_eq "the file is 48 MiB" $((48 << 20)) "$(stat -c %s "$img")"
expect_eq "the adopted map grew with it" $((48 * 2048)) "$(sectors /dev/mapper/img)"
expect_eq "and its dm-stats region, one" $((48 * 2048)) "$(region_lengths img)"
expect_eq "the same map device" "$img_devnum" "$(map_devnum img)"
expect_eq "grow was adopted at its grown size" $((512 * 2048 - 2048)) "$(sectors /dev/mapper/grow)"
