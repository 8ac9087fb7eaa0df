# Offset: with offset K, logical sector S is backing sector K+S, both
# ways, nothing written outside the mapped range; the table round-trips.
K=1000
LEN=2000
loop=$(new_loop /var/tmp/offset.img 4096)
majmin=$(devnum "$loop")
check "create map with offset $K" dmsetup create off --table "0 $LEN basic_target $loop $K"
map=/dev/mapper/off

for s in 0 7 1999; do
	write_pattern "$map" "$s" "through-map-$s"
	expect_eq "map sector $s -> backing sector $((K + s))" "through-map-$s" \
		"$(read_sector "$loop" $((K + s)))"
done
for s in 3 1500; do
	write_pattern "$loop" $((K + s)) "through-backing-$s"
	expect_eq "backing sector $((K + s)) -> map sector $s" "through-backing-$s" \
		"$(read_sector "$map" "$s")"
done
expect_eq "backing sector K-1 untouched" "" "$(read_sector "$loop" $((K - 1)))"
expect_eq "backing sector K+LEN untouched" "" "$(read_sector "$loop" $((K + LEN)))"
expect_eq "map size is the table's length" "$LEN" "$(sectors "$map")"
check "reading past the map's end gives no data" \
	sh -c "[ -z \"\$(dd if=$map bs=512 skip=$LEN count=1 iflag=direct status=none)\" ]"

table=$(dmsetup table off)
expect_eq "dmsetup table prints the arguments back" "0 $LEN basic_target $majmin $K" "$table"
check "the printed table loads again" dmsetup create off-copy --table "$table"
expect_eq "the copy reads the same data" "through-map-7" "$(read_sector /dev/mapper/off-copy 7)"
check "create map with feature trace" dmsetup create off-trace --table "0 $LEN basic_target $loop $K 1 trace"
expect_eq "table with a feature round-trips" "0 $LEN basic_target $majmin $K 1 trace" \
	"$(dmsetup table off-trace)"

check "remove the maps" dmsetup remove --retry off off-copy off-trace
check "the loop device has no holders left" sh -c "[ -z \"\$(ls /sys/block/${loop#/dev/}/holders)\" ]"
losetup -d "$loop"
