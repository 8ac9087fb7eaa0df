# Discard and write-zeroes reach the backing device; queue limits stack.
# The backing file is filled with 0xff; the loop driver turns a discard into
# a punched hole (the file's allocated blocks shrink) and write-zeroes into
# zeroed ranges.
img=/var/tmp/discard.img
rm -f "$img"
head -c $((16 * 1024 * 1024)) /dev/zero | tr '\0' '\377' > "$img"
loop=$(losetup -f --show "$img")
# offset 2048 sectors = 1 MiB into the file
check "create map" dmsetup create pass --table "0 $((8 * 2048)) basic_target $loop 2048"
map=/dev/mapper/pass
dm=$(basename "$(readlink -f "$map")")

ff_count() { dd if="$img" bs=1M skip="$1" count=1 status=none | tr -d '\377' | wc -c; }
zero_count() { dd if="$img" bs=1M skip="$1" count=1 status=none | tr -d '\0' | wc -c; }

expect_eq "map advertises discard like its backing device" \
	"$(cat /sys/block/${loop#/dev/}/queue/discard_max_bytes)" \
	"$(cat /sys/block/$dm/queue/discard_max_bytes)"
expect_eq "map advertises write-zeroes like its backing device" \
	"$(cat /sys/block/${loop#/dev/}/queue/write_zeroes_max_bytes)" \
	"$(cat /sys/block/$dm/queue/write_zeroes_max_bytes)"

dmsetup message pass 0 stats reset
blocks_before=$(stat -c %b "$img")
check "blkdiscard 1 MiB at map offset 1 MiB" blkdiscard -o $((1024 * 1024)) -l $((1024 * 1024)) "$map"
expect_eq "file MiB 2 (map MiB 1) reads as zeroes" 0 "$(zero_count 2)"
expect_eq "file MiB 1 (map MiB 0) still 0xff" 0 "$(ff_count 1)"
expect_eq "file MiB 3 (map MiB 2) still 0xff" 0 "$(ff_count 3)"
blocks_after=$(stat -c %b "$img")
check "the discard punched a hole: $blocks_before -> $blocks_after blocks" \
	test $((blocks_before - blocks_after)) -ge 2048
set -- $(dmsetup status pass)
check "status counts the discard (${9} bios, ${10} sectors)" \
	test "${9}" -ge 1 -a "${10}" -eq 2048

check "blkdiscard -z (write zeroes) 1 MiB at map offset 4 MiB" \
	blkdiscard -z -o $((4 * 1024 * 1024)) -l $((1024 * 1024)) "$map"
expect_eq "file MiB 5 reads as zeroes" 0 "$(zero_count 5)"
expect_eq "file MiB 6 still 0xff" 0 "$(ff_count 6)"
set -- $(dmsetup status pass)
check "status counts the write-zeroes, not as a data write (wz=${11} sectors=${12} writes=${6})" \
	test "${11}" -ge 1 -a "${12}" -eq 2048 -a "${6}" -eq 0

check "secure erase is refused, as by the backing device" \
	sh -c "! blkdiscard -s -o 0 -l 4096 $map 2>/dev/null"

dmsetup remove --retry pass
losetup -d "$loop"

# Logical block size stacks: a 4096-byte-sector backing device gives a
# 4096-byte-sector map.
loop4k=$(losetup -f --show -b 4096 "$img")
check "create map over a 4k-sector device" dmsetup create pass4k --table "0 8192 basic_target $loop4k 0"
expect_eq "map logical block size is 4096" 4096 "$(blockdev --getss /dev/mapper/pass4k)"
check "create map at an offset not 4k-aligned is refused" \
	sh -c "! dmsetup create pass4k-bad --table '0 8192 basic_target $loop4k 1' 2>/dev/null"
dmsetup remove --retry pass4k
losetup -d "$loop4k"
