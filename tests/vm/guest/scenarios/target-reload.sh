# Suspend, move, reload with another offset, resume, while fio writes
# and verifies: suspend must quiesce every bio, so data copied while
# suspended is complete, and nothing fails or reads back wrong.
REGION=$((32 * 2048))	# 32 MiB in sectors
loop=$(new_loop /var/tmp/reload.img $((3 * REGION)))
offsets=(0 $REGION $((2 * REGION)) 0)
check "create map at offset 0" dmsetup create mv --table "0 $REGION basic_target $loop 0"
map=/dev/mapper/mv
udevadm settle

# The write rate is capped so fio is still running while the map moves,
# however fast the emulator happens to be.
fio --name=reload --filename="$map" --direct=1 --ioengine=libaio --iodepth=8 \
	--rw=randwrite --bs=4k --size=$((REGION / 2))k --rate_iops=300 \
	--verify=crc32c --verify_fatal=1 --do_verify=1 --output=/tmp/fio-reload.out &
fio_pid=$!
wait_until 120 sh -c "[ \"\$(dmsetup status mv | cut -d' ' -f6)\" -gt 100 ]" ||
	fail "fio started writing" "no writes counted within 120 s"

moved=0
for ((i = 1; i < ${#offsets[@]}; i++)); do
	from=${offsets[i - 1]} to=${offsets[i]}
	kill -0 "$fio_pid" 2>/dev/null || break
	dmsetup suspend mv || { fail "suspend $i" "dmsetup suspend failed"; break; }
	dd if="$loop" of="$loop" bs=1M skip=$((from / 2048)) seek=$((to / 2048)) \
		count=$((REGION / 2048)) iflag=direct oflag=direct conv=notrunc status=none
	dmsetup load mv --table "0 $REGION basic_target $loop $to" &&
		dmsetup resume mv || { fail "reload $i" "load/resume failed"; break; }
	expect_eq "reload $i: table names offset $to" "$to" "$(dmsetup table mv | cut -d' ' -f5)"
	kill -0 "$fio_pid" 2>/dev/null && moved=$((moved + 1))
done
check "at least 2 moves happened while fio was running ($moved)" test "$moved" -ge 2
wait "$fio_pid"
rc=$?
expect_eq "fio exits 0 (all writes verified)" 0 "$rc"
check "fio reports no I/O error" grep -q 'err= 0' /tmp/fio-reload.out
check "fio reports no verify failure" sh -c '! grep -qi "verify.*\(fail\|bad\)" /tmp/fio-reload.out'
check "kernel logged no I/O error" sh -c '! dmesg | grep -qi "I/O error"'
[ "$rc" = 0 ] || info "$(tail -n 20 /tmp/fio-reload.out)"

# After the last move the map reads what it read before the first: verify
# the whole written region again through the map.
check "fio verify-only pass over the final map" \
	fio --name=reload --filename="$map" --direct=1 --ioengine=libaio --iodepth=8 \
	--rw=randwrite --bs=4k --size=$((REGION / 2))k \
	--verify=crc32c --verify_fatal=1 --verify_only --output=/tmp/fio-reverify.out
check "remove" dmsetup remove mv
losetup -d "$loop"
