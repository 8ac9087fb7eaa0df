# vm-options: --timeout 2000
# Attack the loaded basic_target: hundreds of random table lines (random
# argument counts, numbers huge, negative, hex and overflowing, garbage
# tokens, feature lists, present and missing devices, offsets past the end)
# and random messages to a live map, then suspend / reload / resume cycles,
# all while fio writes and verifies through the live map.  Every refused
# table leaves no device; the kernel log stays clean; no reference leaks:
# the backing loop device detaches and the module unloads.  Nothing is lost:
# fio verifies what it wrote, and a region written first reads back with its
# checksum, through the map and on the backing file.
# Rounds: 500 tables, 200 messages, 25 cycles; with vm_long (./dev test
# --long) 2000, 800 and 200.
# Random, but reproducible: the seed is printed; basicdm.seed=N replays one.
seed=$(vm_param seed)
seed=${seed:-20261124}
RANDOM=$seed
info "random seed $seed (replay with --param seed=$seed)"
if vm_long; then
	n_tables=2000 n_messages=800 n_cycles=200
else
	n_tables=500 n_messages=200 n_cycles=25
fi

FILE_SECT=$((64 * 2048))	# 64 MiB backing file
MAP_OFF=2048 MAP_LEN=$((32 * 2048))	# the live map: 32 MiB from sector 2048
FIO_MIB=16	# fio's region: the first 16 MiB of the map
SUM_SECT=$((16 * 2048))	# the checksummed region: map sectors 16..32 MiB

loop=$(new_loop /var/tmp/attack.img $FILE_SECT)
rm -f /var/tmp/attack-ro.img
truncate -s 8M /var/tmp/attack-ro.img
roloop=$(losetup -r -f --show /var/tmp/attack-ro.img)
majmin=$(devnum "$loop")
romajmin=$(devnum "$roloop")
loopname=${loop#/dev/}
touch /var/tmp/not-a-block-device
check "modprobe basic_target" modprobe basic_target
check "create the live map" dmsetup create live --table "0 $MAP_LEN basic_target $loop $MAP_OFF"
udevadm settle
map=/dev/mapper/live

# The checksummed region, written before anything else happens.
dd if=/dev/urandom of="$map" bs=1M seek=$((SUM_SECT / 2048)) count=$((SUM_SECT / 2048)) \
	oflag=direct status=none
sum_before=$(sum_of "$map" $((SUM_SECT / 2048)) $((SUM_SECT / 2048)))

# fio writes and verifies (verify_backlog: reads back every 32 blocks it
# wrote) until told to stop; the rate keeps it running, whatever the speed.
fio --name=attack --filename="$map" --direct=1 --ioengine=libaio --iodepth=4 \
	--rw=randwrite --bs=4k --size=${FIO_MIB}m --time_based --runtime=3600 \
	--rate_iops=100 --verify=crc32c --verify_backlog=32 --verify_fatal=1 \
	--output=/tmp/fio-attack.out &
fio_pid=$!
check "fio is writing through the live map" \
	wait_until 120 sh -c "[ \"\$(dmsetup status live | cut -d' ' -f6)\" -gt 50 ]"

# ---- random tables ------------------------------------------------------------------
# pick WORD...: one of the words in REPLY (no subshell: $RANDOM must advance here).
pick() {
	local a=("$@")
	REPLY=${a[RANDOM % ${#a[@]}]}
}
rand_number() {
	case $((RANDOM % 4)) in
	0) pick 0 1 7 100 2047 2048 8192 16383 16384 $((FILE_SECT - 1)) $FILE_SECT \
		$((FILE_SECT + 1)) $MAP_LEN $((FILE_SECT - MAP_OFF)) 4294967295 4294967296 \
		9223372036854775807 9223372036854775808 18446744073709551615 \
		18446744073709551616 99999999999999999999999999 ;;
	1) pick -1 -0 +5 0x10 0X1f 010 1e3 1.5 " 5" 5, 12abc abc "" - -9223372036854775808 \
		"$((RANDOM))$((RANDOM))$((RANDOM))$((RANDOM))$((RANDOM))" ;;
	*) REPLY=$(( (RANDOM * 32768 + RANDOM) % (FILE_SECT + 4096) )) ;;
	esac
}
rand_device() {
	case $((RANDOM % 3)) in
	0) pick "$loop" "$majmin" ;;
	1) pick "$roloop" "$romajmin" /dev/mapper/live /dev/nonexistent /dev/loop999 \
		/var/tmp/not-a-block-device /dev/null /dev/zero /dev/mapper/control /dev/vda \
		7:99999 0:0 259:99999 -1:0 abc:def "${majmin%%:*}:" ":${majmin#*:}" \
		4096:0 4095:1048575 "$majmin:0" "/dev/$(printf 'x%.0s' {1..300})" \
		"/dev/../dev/$loopname" "$loop/" "" ;;
	*) pick "$loop" "$majmin" "$loop" /dev/nonexistent ;;
	esac
}
rand_word() {
	pick trace TRACE Trace trace=on notrace bogus 0 1 "$loop" basic_target \
		"$RANDOM" "%s%s%n" "a,b" "--" "\\" "\"" "'" "x$((RANDOM))"
}
rand_features() {
	local n i out=""
	case $((RANDOM % 4)) in
	0) return ;;
	1) pick "1 trace" "1 TRACE" "0" "1 Trace" ;;
	*)
		pick 0 1 2 3 8 9 -1 x 4294967296 4294967297 18446744073709551617 01 "" 1trace
		out=$REPLY
		n=$((RANDOM % 5))
		for ((i = 0; i < n; i++)); do
			rand_word
			out+=" $REPLY"
		done
		REPLY=$out
		;;
	esac
	FEATURES=" $REPLY"
}
# rand_line START: one table line.
rand_line() {
	local start=$1 len target dev off line
	case $((RANDOM % 6)) in
	0) rand_number; len=$REPLY ;;
	*) len=$((1 + (RANDOM * 32768 + RANDOM) % FILE_SECT)) ;;
	esac
	pick basic_target basic_target basic_target basic_target basic_target BASIC_TARGET \
		basic_targe basic_target2 "basic_target basic_target"
	target=$REPLY
	rand_device
	dev=$REPLY
	rand_number
	off=$REPLY
	FEATURES=""
	rand_features
	case $((RANDOM % 8)) in
	0) line="$start $len $target" ;;
	1) line="$start $len $target $dev" ;;
	2)
		rand_word
		line="$start $len $target $dev $off$FEATURES $REPLY"
		;;
	*) line="$start $len $target $dev $off$FEATURES" ;;
	esac
	LINE_LEN=$len
	REPLY=$line
}

dm_count
dm_base=$DMN	# the live map
attempts=0 accepted=0 refused=0 leftover=0 unexpected=0
t0=$SECONDS
klog_mark
for ((t = 1; t <= n_tables; t++)); do
	name=atk$t
	ro=()
	((RANDOM % 5 == 0)) && ro=(--readonly)
	start=0
	((RANDOM % 12 == 0)) && { rand_number; start=$REPLY; }
	rand_line "$start"
	table=$REPLY
	if ((RANDOM % 8 == 0)); then
		# a second line, starting where the first ended (or not quite)
		s2=$LINE_LEN
		((RANDOM % 3 == 0)) && { rand_number; s2=$REPLY; }
		rand_line "$s2"
		table+=$'\n'$REPLY
	fi
	attempts=$((attempts + 1))
	# no udev sync: udev's work is not what is tested here, and waiting on
	# it for every refused table made this phase three times slower
	if printf '%s\n' "$table" | dmsetup create --noudevsync "$name" "${ro[@]}" >/dev/null 2>&1; then
		accepted=$((accepted + 1))
		# accepted: a basic_target map that says what it maps, and goes away
		first=$(dmsetup table "$name" 2>&1 | head -n 1)
		case $first in
		"0 "*" basic_target "*) ;;
		*)
			unexpected=$((unexpected + 1))
			fail "table $t accepted as a basic_target map" "'$table' -> '$first'"
			;;
		esac
		# and stays inside its device, whatever the numbers said
		while read -r _ len _ dev off _; do
			size=$(cat "/sys/dev/block/$dev/size" 2>/dev/null)
			if [ -z "$size" ] || [ ${#off} -gt 15 ] || [ $((off + len)) -gt "$size" ]; then
				unexpected=$((unexpected + 1))
				fail "table $t accepted inside its device" "'$table' -> $dev ($size sectors): $off + $len"
			fi
		done < <(dmsetup table "$name")
		dmsetup remove --noudevsync --retry "$name" >/dev/null 2>&1 ||
			fail "table $t: the accepted map is removed" "'$table'"
	else
		refused=$((refused + 1))
		# any device left shows in sysfs: a glob costs no process
		dm_count
		if [ "$DMN" != "$dm_base" ] || ((t % 50 == 0)); then
			if dmsetup info "$name" >/dev/null 2>&1 || { dm_count; [ "$DMN" != "$dm_base" ]; }; then
				leftover=$((leftover + 1))
				fail "refused table $t leaves no device" "'$table' left: $(dmsetup ls | xargs)"
				dmsetup remove --retry "$name" >/dev/null 2>&1
				dm_count
				dm_base=$DMN	# one failure, not one per table from here on
			fi
		fi
	fi
done
info "$attempts random tables in $((SECONDS - t0)) s: $accepted accepted, $refused refused"
data target-attack "tables=$attempts accepted=$accepted refused=$refused seconds=$((SECONDS - t0))"
check "at least 500 tables tried ($attempts)" test "$attempts" -ge 500
check "most random tables are refused" test "$refused" -gt "$accepted"
expect_eq "no refused table left a device" 0 "$leftover"
expect_eq "every accepted table is a basic_target map inside its device" 0 "$unexpected"
expect_eq "only the live map is left" "live" \
	"$(dmsetup ls | awk '$1 != "No" {print $1}' | xargs)"
check "refusals were explained in the kernel log" \
	sh -c "dmesg | tail -n +$((KLOG_MARK + 1)) | grep -q 'device-mapper: table: .*basic_target: '"
check_kernel_log "kernel log clean after the random tables"
check "fio is still running" kill -0 "$fio_pid"

# ---- random messages ----------------------------------------------------------------
# The target takes "trace on|off" and "stats reset" (any case) at any sector
# inside the map; everything else is refused.  Words with a backslash or an
# @ first are not predicted (dm core splits on escapes; @ is its own).
msg_word() {
	case $((RANDOM % 6)) in
	0) pick trace TRACE Trace ;;
	1) pick on off ON Off ;;
	2) pick stats STATS reset Reset ;;
	3) pick bogus 0 "$RANDOM" "trace_on" "on,off" "tr ace" "x" "%n%n%s" "'" "\\ on" \
		"@cancel_deferred_remove" "@stats_list" "$(printf 'y%.0s' {1..70})" ;;
	*)
		pick trace stats on off reset
		;;
	esac
}
want_trace=unknown
n_sent=0 ok_predicted=0 mismatches=0 unpredicted=0
t0=$SECONDS
for ((i = 1; i <= n_messages; i++)); do
	words=()
	case $((RANDOM % 10)) in
	0) words=(trace on) ;;
	1) words=(trace off) ;;
	2) words=(stats reset) ;;
	3)	# over-long: one word of 4-20 KiB, or 300 words
		if ((RANDOM % 2)); then
			words=("$(head -c $((4096 + RANDOM % 16384)) /dev/zero | tr '\0' 'z')")
		else
			for ((k = 0; k < 300; k++)); do words+=(trace); done
		fi
		;;
	*)
		nw=$((RANDOM % 5))
		for ((k = 0; k < nw; k++)); do
			msg_word
			words+=("$REPLY")
		done
		;;
	esac
	sector=0
	case $((RANDOM % 8)) in
	0) sector=$((MAP_LEN - 1)) ;;
	1) sector=$MAP_LEN ;;
	2) sector=18446744073709551615 ;;
	3) sector=$((RANDOM % MAP_LEN)) ;;
	esac
	# what the target should answer
	predict=refuse
	joined=${words[*]}
	case $joined in
	*\\* | @*) predict=unknown ;;
	esac
	if [ "$predict" = refuse ] && [ "${#words[@]}" = 2 ] && [ "$sector" -lt "$MAP_LEN" ] 2>/dev/null; then
		w=$(printf '%s %s' "${words[0]}" "${words[1]}" | tr 'A-Z' 'a-z')
		case $w in
		"trace on" | "trace off" | "stats reset") predict=accept ;;
		esac
	fi
	n_sent=$((n_sent + 1))
	if dmsetup message live "$sector" "${words[@]}" >/dev/null 2>&1; then got=accept; else got=refuse; fi
	case $predict in
	unknown) unpredicted=$((unpredicted + 1)) ;;
	"$got") ok_predicted=$((ok_predicted + 1)) ;;
	*)
		mismatches=$((mismatches + 1))
		fail "message $i answered as predicted" \
			"sector $sector '$(printf '%s' "$joined" | cut -c1-80)': expected $predict, got $got"
		;;
	esac
	if [ "$got" = accept ] && [ "$predict" = accept ]; then
		case $w in
		"trace on") want_trace=trace ;;
		"trace off") want_trace=notrace ;;
		esac
	fi
done
info "$n_sent random messages in $((SECONDS - t0)) s: $ok_predicted as predicted, $unpredicted unpredicted"
data target-attack "messages=$n_sent predicted=$ok_predicted unpredicted=$unpredicted"
check "at least 200 messages sent ($n_sent)" test "$n_sent" -ge 200
expect_eq "every predicted answer came" 0 "$mismatches"
[ "$want_trace" != unknown ] &&
	expect_eq "trace state is the last trace message's" "$want_trace" \
		"$(dmsetup status live | awk '{print $NF}')"
check "fio is still running" kill -0 "$fio_pid"

# ---- suspend / reload / resume under fio ---------------------------------------------
plain="0 $MAP_LEN basic_target $majmin $MAP_OFF"
traced="$plain 1 trace"
cycles=0 bad_cycles=0
t0=$SECONDS
for ((c = 1; c <= n_cycles; c++)); do
	if ((c % 2)); then want=$traced; else want=$plain; fi
	if dmsetup suspend live && dmsetup load live --table "$want" && dmsetup resume live; then
		got=$(dmsetup table live)
		if [ "$got" = "$want" ]; then
			cycles=$((cycles + 1))
		else
			bad_cycles=$((bad_cycles + 1))
			fail "cycle $c: table" "expected '$want', got '$got'"
		fi
	else
		bad_cycles=$((bad_cycles + 1))
		fail "cycle $c: suspend, load, resume" "failed"
		dmsetup resume live
	fi
	kill -0 "$fio_pid" 2>/dev/null || { fail "fio runs through the cycles" "fio ended at cycle $c"; break; }
done
info "$cycles suspend/reload/resume cycles in $((SECONDS - t0)) s"
data target-attack "cycles=$cycles seconds=$((SECONDS - t0))"
expect_eq "$n_cycles cycles done" "$n_cycles" "$cycles"

# ---- nothing lost ---------------------------------------------------------------------
kill -INT "$fio_pid"
wait "$fio_pid"
rc=$?
# fio exits 128 when stopped by a signal, 1 on an error or a failed verify
expect_eq "fio stopped by us, not by an error" 128 "$rc"
check "fio reports no I/O or verify error" grep -q 'err= 0' /tmp/fio-attack.out
check "fio reports no verify failure" sh -c '! grep -qiE "verify.*(fail|bad)|bad magic|crc32c: wanted" /tmp/fio-attack.out'
written=$(awk -F'io=' '/WRITE:/ {split($2, a, "[ ,(]"); print a[1]; exit}' /tmp/fio-attack.out)
info "fio wrote and verified $written through the live map"
data target-attack "fio_written=$written"
[ "$rc" = 128 ] || info "$(tail -n 20 /tmp/fio-attack.out)"
check "kernel logged no I/O error" sh -c '! dmesg | grep -qi "I/O error"'
sum_map=$(sum_of "$map" $((SUM_SECT / 2048)) $((SUM_SECT / 2048)))
expect_eq "the checksummed 16 MiB read back through the map" "$sum_before" "$sum_map"
sum_file=$(dd if=/var/tmp/attack.img bs=512 skip=$((MAP_OFF + SUM_SECT)) count=$SUM_SECT \
	iflag=direct status=none | sha256sum | cut -d' ' -f1)
expect_eq "and on the backing file" "$sum_before" "$sum_file"
check_kernel_log "kernel log clean after messages and cycles"

# ---- no reference leaks -----------------------------------------------------------------
check "remove the live map" dmsetup remove --retry live
expect_eq "no map left" "" "$(dmsetup ls | awk '$1 != "No" {print $1}')"
expect_eq "no holders on $loopname" "" "$(ls /sys/block/"$loopname"/holders)"
check "losetup -d $loop" losetup -d "$loop" "$roloop"
check "the loop device lets go of the file" \
	wait_until 60 sh -c "[ -z \"\$(losetup -j /var/tmp/attack.img)\" ] && ! test -e /sys/block/$loopname/loop"
check "rmmod basic_target" rmmod basic_target
rm -f /var/tmp/attack.img /var/tmp/attack-ro.img
