# Status counters equal the I/O done, "stats reset" zeroes them, and
# "trace on|off" switches the per-bio log.  Field order: basic_target.rst.
loop=$(new_loop /var/tmp/status.img 65536)
check "create map" dmsetup create st --table "0 65536 basic_target $loop 0"
map=/dev/mapper/st
dm=$(basename "$(readlink -f "$map")")
udevadm settle

# counter NAME: one field of `dmsetup status st`
counter() {
	local -a f
	read -r -a f <<<"$(dmsetup status st)"
	case $1 in
	reads) echo "${f[3]}" ;; read_sectors) echo "${f[4]}" ;;
	writes) echo "${f[5]}" ;; write_sectors) echo "${f[6]}" ;;
	flushes) echo "${f[7]}" ;; discards) echo "${f[8]}" ;;
	discard_sectors) echo "${f[9]}" ;; write_zeroes) echo "${f[10]}" ;;
	write_zeroes_sectors) echo "${f[11]}" ;; secure_erases) echo "${f[12]}" ;;
	trace) echo "${f[13]}" ;;
	esac
}
# The block layer's own view: /sys/block/dmN/stat fields 1 (reads) and 3 (sectors read).
sys_reads() { awk '{print $1}' "/sys/block/$dm/stat"; }
sys_read_sectors() { awk '{print $3}' "/sys/block/$dm/stat"; }

check "stats reset" dmsetup message st 0 stats reset
expect_eq "status after reset" "0 0 0 0 0 0 0 0 0 0 notrace" \
	"$(dmsetup status st | cut -d' ' -f4-)"

# Reads only (a read-only open raises no udev change event, so nothing else reads).
r0=$(sys_reads) s0=$(sys_read_sectors)
dd if="$map" of=/dev/null bs=4096 count=3 iflag=direct status=none
dd if="$map" of=/dev/null bs=64k skip=10 count=2 iflag=direct status=none
expect_eq "reads = bios issued (3 x 4 KiB + 2 x 64 KiB)" 5 "$(counter reads)"
expect_eq "read sectors = 3*8 + 2*128" 280 "$(counter read_sectors)"
expect_eq "reads agree with /sys/block/$dm/stat" "$(($(sys_reads) - r0))" "$(counter reads)"
expect_eq "read sectors agree with /sys/block/$dm/stat" \
	"$(($(sys_read_sectors) - s0))" "$(counter read_sectors)"
expect_eq "no writes counted" 0 "$(counter writes)"

check "stats reset" dmsetup message st 0 stats reset
dd if=/dev/zero of="$map" bs=8192 count=2 oflag=direct conv=fsync status=none
dd if=/dev/zero of="$map" bs=512 seek=100 count=1 oflag=direct status=none
expect_eq "writes = 3" 3 "$(counter writes)"
expect_eq "written sectors = 2*16 + 1" 33 "$(counter write_sectors)"
expect_eq "one fsync = one flush" 1 "$(counter flushes)"
check "discard counted" blkdiscard -o 0 -l 65536 "$map"
expect_eq "discarded sectors = 128" 128 "$(counter discard_sectors)"

# The writes above ended in a close, on which udev probes the map (its
# inotify watch): that probe's reads land whenever udev gets to them, after
# a reset as well as before.  So: a reset followed by no I/O at all reads
# all zeros; one that does not zero them never does.
zeroed() {
	dmsetup message st 0 stats reset &&
		[ "$(dmsetup status st | cut -d' ' -f4-13)" = "0 0 0 0 0 0 0 0 0 0" ]
}
udevadm settle
check "stats reset: every counter is zero again" wait_until 60 zeroed

# Tracing switched at runtime.
udevadm settle
check "trace on" dmsetup message st 0 trace on
expect_eq "status shows trace" trace "$(counter trace)"
klog_mark
# One open for the three writes: closing a device opened for writing makes
# udev probe it, and those reads would be traced (and rate-limited) too.
dd if=/dev/zero of="$map" bs=4096 count=3 oflag=direct status=none
traced=$(klog_since | sed -n 's/.*basic_target: st: WRITE sector \([0-9]*\) size 4096$/\1/p' | xargs)
expect_eq "three writes at sectors 0 8 16, three trace lines" "0 8 16" "$traced"
[ "$traced" = "0 8 16" ] || info "kernel log: $(klog_since | tr '\n' '|')"
check "trace off" dmsetup message st 0 trace off
expect_eq "status shows notrace" notrace "$(counter trace)"
klog_mark
dd if=/dev/zero of="$map" bs=4096 seek=5 count=1 oflag=direct status=none
expect_eq "no trace line once off" 0 "$(klog_since | grep -c 'basic_target: st:')"
check "message TRACE ON is case-insensitive" dmsetup message st 0 TRACE ON
dmsetup message st 0 trace off

klog_mark
check "an unknown message is refused" sh -c '! dmsetup message st 0 frobnicate 2>/dev/null'
check "'trace maybe' is refused" sh -c '! dmsetup message st 0 trace maybe 2>/dev/null'
check "'stats' alone is refused" sh -c '! dmsetup message st 0 stats 2>/dev/null'
check "the refusal is explained in the kernel log" \
	sh -c "dmesg | tail -n +$((KLOG_MARK + 1)) | grep -q 'basic_target: st: unrecognised message'"

check "remove" dmsetup remove --retry st
losetup -d "$loop"
