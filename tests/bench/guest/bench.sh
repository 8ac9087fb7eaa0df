# The benchmark, run in the guest (tests/bench/run boots it).  Sourced by
# guest/entry as "bench-full" or "bench-quick"; every measurement goes to
# the host as a DATA line and is reduced there by report.py.  Nothing here
# asserts a time: the PASS lines only say that a phase ran and produced
# its numbers.
# shellcheck shell=bash

mode=${name#bench-}
# The guest's clock (tests/bench/run --clock): "icount" counts executed
# instructions (QEMU -icount), so a run measures the same every time, on
# an idle host or a busy one; "wall" follows the host's clock (KVM, real
# hardware), and a busy host is in every figure.
clock=$(vm_param clock)
clock=${clock:-wall}
case $mode in
full)
	bringup_sizes="16 128 1024" bringup_rounds=3 hotplug_samples=20 idle_seconds=90
	;;
*)
	bringup_sizes="16" bringup_rounds=1 hotplug_samples=3 idle_seconds=10
	# one row on each backing disk: the short form proves the pipeline,
	# every device and table, not the figures
	default_workloads="randread-4k-qd32 randwrite-4k-fsync"
	;;
esac
# fio's rounds and times, in milliseconds of the guest's clock: under
# icount a measured run is as good as its length allows, and each of its
# seconds costs several of the host's, so it is short; on the wall clock
# a run must be long enough to average the host's noise.  The quick run
# on icount (bench-quick, whose ratios report.py --check asserts) takes 3
# short rounds: their median ratio is not moved by one stray burst of the
# guest's own work (2 M instructions, once, in one 300 ms row of a single
# round: basic_target 1.4 % off dm-linear where it is 0.2 % in every run)
case $mode:$clock in
full:icount) io_rounds=5 io_runtime_ms=1000 io_ramp_ms=100 ;;
full:*) io_rounds=9 io_runtime_ms=3000 io_ramp_ms=1000 ;;
*:icount) io_rounds=3 io_runtime_ms=150 io_ramp_ms=100 ;;
*) io_rounds=1 io_runtime_ms=2000 io_ramp_ms=1000 ;;
esac
# for work on one phase: tests/bench/run --phases bringup --sizes 128,1024
phases=$(vm_param phases | tr , ' ')
phases=${phases:-io bringup hotplug}
sizes=$(vm_param sizes | tr , ' ')
methods=$(vm_param methods | tr , ' ')
bringup_sizes=${sizes:-$bringup_sizes}
# fewer I/O rounds for a look at one change: tests/bench/run --phases io --rounds 5
rounds=$(vm_param rounds)
io_rounds=${rounds:-$io_rounds}
# only some I/O rows: tests/bench/run --phases io --workloads randread-4k-qd32,randwrite-4k-qd32
only_workloads=$(vm_param workloads | tr , ' ')
only_workloads=${only_workloads:-${default_workloads:-}}
info "bench $mode ($phases), $clock clock: fio ${io_rounds}x${io_runtime_ms} ms after a warm-up round," \
	"bring-up N=$bringup_sizes x$bringup_rounds, hotplug $hotplug_samples samples, idle ${idle_seconds}s"
data meta.csv "key,value"
data meta.csv "mode,$mode"
data meta.csv "clock,$clock"
data meta.csv "icount_shift,$(vm_param icount_shift)"
data meta.csv "io_runtime_ms,$io_runtime_ms"
data meta.csv "kernel,$(uname -r)"
data meta.csv "cpus,$(nproc)"
data meta.csv "fio,$(fio --version)"

now() { printf '%s\n' "$EPOCHREALTIME"; }
# elapsed T0: seconds since T0, to the microsecond
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.6f", b - a }'; }

# ---------------------------------------------------------------- I/O path
# Every device under test maps all of one memory-backed disk, so all see the
# same memory.  "linear-aa" is a second, identical dm-linear map measured
# in the same rounds: its ratio to "linear" is the noise floor (A/A).
# Two disks: a RAM disk (brd) for the plain rows; for the flush-heavy row a
# memory-backed null_blk with a volatile write cache, since a disk without
# one (brd) makes the block layer complete every flush before it reaches a
# map's target, and the row would measure nothing of it.
# "basic-stats" is basic_target with the dm-stats region basicdmd gives a
# volume with latency_histogram = "on": the whole map, nanosecond
# timestamps, the default latency histogram (latency-bounds.h).
# "basic-stats-ms" is the coarse alternative: bounds of 1 ms and more,
# timed in jiffies (no --precise), what a volume gets with whole-millisecond
# bounds.  "basic-stats-nohist" is the same region as "basic-stats"
# without the histogram: the two tell the histogram's own cost.
# "basic-nocount" and "basic-bypass" are the module built again
# without its counters and with empty flushes passing its map (the full
# bench only, when `run` staged them: tests/bench/CMakeLists.txt).
variants=()
load_variants() {
	local ko
	[ "$mode" = full ] || return 0
	for ko in "$PAYLOAD"/bench/variants/*.ko; do
		[ -e "$ko" ] || continue
		insmod "$ko" || { fail "bench variant" "insmod $ko failed"; continue; }
		ko=${ko##*/}
		variants+=("${ko%.ko}")
	done
}
# (DM target names are at most 15 characters: dm-ioctl's DM_MAX_TYPE_NAME.)
io_maps() { # BACKING PREFIX: the maps of one backing disk
	local sect v
	sect=$(blockdev --getsz "$1")
	for v in "${variants[@]}"; do
		check "dmsetup create $2-basic-${v#basic_} ($v)" \
			dmsetup create "$2-basic-${v#basic_}" --table "0 $sect $v $1 0" || return
	done
	check "dmsetup create $2-linear, -linear-aa, -basic, -basic-trace, -basic-stats, -basic-stats-ms, -basic-stats-nohist" sh -c "
		dmsetup create '$2-linear' --table '0 $sect linear $1 0' &&
		dmsetup create '$2-linear-aa' --table '0 $sect linear $1 0' &&
		dmsetup create '$2-basic' --table '0 $sect basic_target $1 0' &&
		dmsetup create '$2-basic-trace' --table '0 $sect basic_target $1 0 1 trace' &&
		dmsetup create '$2-basic-stats' --table '0 $sect basic_target $1 0' &&
		dmstats create '$2-basic-stats' --precise --programid basicdm \
			--bounds 100us,250us,500us,1ms,2ms,5ms,10ms,15ms,20ms,25ms,50ms,100ms,500ms,1s >/dev/null &&
		dmsetup create '$2-basic-stats-ms' --table '0 $sect basic_target $1 0' &&
		dmstats create '$2-basic-stats-ms' --programid basicdm \
			--bounds 1ms,2ms,5ms,10ms,15ms,20ms,25ms,50ms,100ms,500ms,1s >/dev/null &&
		dmsetup create '$2-basic-stats-nohist' --table '0 $sect basic_target $1 0' &&
		dmstats create '$2-basic-stats-nohist' --precise --programid basicdm >/dev/null"
}

io_phase() {
	local size_mib=256 round wl dev i
	modprobe brd rd_nr=1 rd_size=$((size_mib * 1024)) max_part=0 ||
		{ fail "brd" "modprobe brd failed"; return 1; }
	modprobe null_blk nr_devices=1 memory_backed=1 gb=1 cache_size=64 irqmode=0 queue_mode=2 ||
		{ fail "null_blk" "modprobe null_blk failed"; return 1; }
	udevadm wait --timeout=60 /dev/ram0 /dev/nullb0
	dd if=/dev/zero of=/dev/ram0 bs=1M count=$size_mib oflag=direct status=none
	dd if=/dev/zero of=/dev/nullb0 bs=1M count=$size_mib oflag=direct status=none
	check "null_blk has a volatile write cache" grep -qx "write back" /sys/block/nullb0/queue/write_cache
	load_variants
	io_maps /dev/ram0 bench && io_maps /dev/nullb0 bench-wc || return 1
	local devices=(raw linear basic basic-trace basic-stats basic-stats-ms basic-stats-nohist linear-aa) v
	for v in "${variants[@]}"; do devices+=("basic-${v#basic_}"); done
	# name backing rw bs iodepth [fio option]
	local workloads=("randread-4k-qd32 ram randread 4k 32" "randwrite-4k-qd32 ram randwrite 4k 32"
		"randwrite-4k-fsync wc randwrite 4k 1 --fsync=1"
		"seqread-1m ram read 1M 8" "seqwrite-1m ram write 1M 8")
	if [ -n "$only_workloads" ]; then
		local chosen=()
		for w in "${workloads[@]}"; do
			[[ " $only_workloads " == *" ${w%% *} "* ]] && chosen+=("$w")
		done
		workloads=("${chosen[@]}")
	fi
	data io.csv "round,workload,device,iops,bw_kib,errors"
	# Round 0 is the warm-up, recorded and left out of the results: the
	# first run on a device touches the RAM disk's pages for the first
	# time, and is the outlier of every series.
	for ((round = 0; round <= io_rounds; round++)); do
		for w in "${workloads[@]}"; do
			set -- $w
			wl=$1
			# rotate the order each round: no device always runs first
			for ((i = 0; i < ${#devices[@]}; i++)); do
				dev=${devices[$(((i + round) % ${#devices[@]}))]}
				local out err iops bw target
				case $2:$dev in
				ram:raw) target=/dev/ram0 ;;
				wc:raw) target=/dev/nullb0 ;;
				ram:*) target=/dev/mapper/bench-$dev ;;
				wc:*) target=/dev/mapper/bench-wc-$dev ;;
				esac
				# fio would make a file of a missing path and measure tmpfs
				[ -b "$target" ] || { fail "fio $wl on $dev" "$target is no block device"; return 1; }
				out=$(fio --name="$wl" --filename="$target" --direct=1 --ioengine=io_uring \
					--rw="$3" --bs="$4" --iodepth="$5" ${6:-} --size=${size_mib}M \
					--runtime="${io_runtime_ms}ms" --ramp_time="${io_ramp_ms}ms" \
					--time_based --output-format=terse --terse-version=3 2>&1)
				# terse v3: 5 error, 7/8 read KiB/s and IOPS, 48/49 write KiB/s and IOPS
				IFS=';' read -r -a f <<<"$(printf '%s\n' "$out" | grep '^3;')"
				case $3 in
				*read) bw=${f[6]:-0} iops=${f[7]:-0} ;;
				*) bw=${f[47]:-0} iops=${f[48]:-0} ;;
				esac
				err=${f[4]:-fio-failed}
				data io.csv "$round,$wl,$dev,$iops,$bw,$err"
				[ "$err" = 0 ] || fail "fio $wl on $dev" "$out"
			done
		done
		if [ "$round" = 0 ]; then info "I/O warm-up round done"; else info "I/O round $round of $io_rounds done"; fi
	done
	# the flush row went through the target: its counter moved
	local flushes
	# "0 LEN basic_target reads read_sectors writes write_sectors flushes ..."
	flushes=$(dmsetup status bench-wc-basic | awk '{ print $8 }')
	info "flushes counted by basic_target on the write-cached disk: ${flushes:-?}"
	if [[ " ${workloads[*]} " == *" randwrite-4k-fsync "* ]]; then
		check "the flush-heavy row's flushes reached basic_target" test "${flushes:-0}" -gt 0
	fi
	# each variant did what it stands for on the rows it ran
	if [[ " ${variants[*]} " == *" basic_nocount "* ]]; then
		expect_eq "basic_nocount counted nothing" "0 0 0" \
			"$(dmsetup status bench-basic-nocount | awk '{ print $4, $6, $8 }')"
	fi
	if [[ " ${variants[*]} " == *" basic_bypass "* && " ${workloads[*]} " == *" randwrite-4k-fsync "* ]]; then
		expect_eq "empty flushes passed basic_bypass's map, uncounted" 0 \
			"$(dmsetup status bench-wc-basic-bypass | awk '{ print $8 }')"
	fi
	info "dm-stats region of basic-stats: $(dmsetup message bench-basic-stats 0 '@stats_list basicdm' 2>&1 | head -1)"
	info "dm-stats region of basic-stats-ms: $(dmsetup message bench-basic-stats-ms 0 '@stats_list basicdm' 2>&1 | head -1)"
	info "dm-stats region of basic-stats-nohist: $(dmsetup message bench-basic-stats-nohist 0 '@stats_list basicdm' 2>&1 | head -1)"
	check "basic-stats's region has the histogram, basic-stats-nohist's none, both precise" sh -c "
		dmsetup message bench-basic-stats 0 '@stats_list basicdm' | grep -q 'precise_timestamps.*histogram:' &&
		dmsetup message bench-basic-stats-nohist 0 '@stats_list basicdm' | grep -q precise_timestamps &&
		! dmsetup message bench-basic-stats-nohist 0 '@stats_list basicdm' | grep -q histogram"
	for dev in "${devices[@]}"; do
		[ "$dev" = raw ] || dmsetup remove "bench-$dev" "bench-wc-$dev"
	done
	rmmod brd null_blk
	pass "I/O path measured: ${#workloads[@]} workloads x ${#devices[@]} devices x $io_rounds rounds"
}

# ---------------------------------------------------------------- bring-up
# under the unit's ProtectSystem=strict the daemon may write only here
backing_dir=/var/lib/basicdm/bench
volume_sectors=8192

make_backing() {
	local n=$1 i
	mkdir -p "$backing_dir"
	for ((i = 1; i <= n; i++)); do
		[ -e "$backing_dir/v$i.img" ] || truncate -s $((volume_sectors * 512)) "$backing_dir/v$i.img"
	done
}

# Where the CPU went: microseconds used by the daemon, udevd, journald and
# this script (the shell loop runs in it), and by the whole guest.
unit_cpu_usec() {
	local ns
	ns=$(systemctl show -p CPUUsageNSec --value "$1")
	case $ns in '' | *[!0-9]*) echo 0 ;; *) echo $((ns / 1000)) ;; esac
}
self_cpu_usec() { awk '$1 == "usage_usec" { print $2 }' "/sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)/cpu.stat"; }
busy_usec() { awk '$1 == "cpu" { print ($2 + $3 + $4 + $7 + $8) * 10000 }' /proc/stat; }
# The last figure is the kernel's uevent count: the events udev had to
# process, its own "change" events on a writer's close included.
cpu_snapshot() {
	local seq
	read -r seq </sys/kernel/uevent_seqnum
	echo "$(unit_cpu_usec basicdm) $(unit_cpu_usec systemd-udevd) $(unit_cpu_usec systemd-journald) $(self_cpu_usec) $(busy_usec) $seq"
}
# cpu_delta "SNAPSHOT BEFORE" "SNAPSHOT AFTER": the CPU seconds of each,
# then the uevents, comma-separated
cpu_delta() {
	awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x); split(b, y)
		for (i = 1; i < n; i++) printf "%.3f,", (y[i] - x[i]) / 1e6
		printf "%d", y[n] - x[n] }'
}

# wait_maps N: every /dev/mapper/bv* node of the N volumes is there.
wait_maps() {
	wait_until 600 sh -c "[ \$(find /dev/mapper -maxdepth 1 -name 'bv*' | wc -l) -eq $1 ]"
}

# No map, no loop device left: the next measurement starts from nothing.
clean_slate() {
	dmsetup remove_all >/dev/null 2>&1
	losetup -D
	udevadm settle --timeout=300
	wait_until 300 sh -c '[ -z "$(losetup -n -O NAME)" ] && [ -z "$(ls /dev/mapper | grep -v control)" ]'
}

# The tutorial's way: one losetup and one dmsetup create per volume.
bringup_shell() {
	local n=$1 t0 i loop c0
	c0=$(cpu_snapshot)
	t0=$(now)
	for ((i = 1; i <= n; i++)); do
		loop=$(losetup -f --show "$backing_dir/v$i.img") &&
			dmsetup create "bv$i" --table "0 $volume_sectors basic_target $loop 0" ||
			return 1
	done
	wait_maps "$n" || return 1
	t=$(elapsed "$t0")
	echo "$t $t $(cpu_delta "$c0" "$(cpu_snapshot)")"
}

# udev's own work for the same devices: with the shell loop's N maps and
# their loop devices up, one "change" event for each replayed, the event
# that made each one usable (a loop device's attach, a map's resume), and
# `udevadm trigger --settle` returns when udev has run its rules for all.
# Nothing else runs: this is the floor a bring-up of N volumes cannot go
# under, whatever starts it.  Prints "seconds cpu..." as bringup_shell.
udev_floor() {
	local n=$1 t0 c0 devs=() dev name under
	for dev in /sys/block/dm-*; do
		read -r name <"$dev/dm/name"
		under=("$dev"/slaves/*)
		[[ $name == bv* ]] && devs+=("$dev" "/sys/block/${under[0]##*/}")
	done
	[ "${#devs[@]}" -eq $((2 * n)) ] || return 1
	udevadm settle --timeout=300
	c0=$(cpu_snapshot)
	t0=$(now)
	udevadm trigger --action=change --settle "${devs[@]}" || return 1
	t=$(elapsed "$t0")
	echo "$t $t $(cpu_delta "$c0" "$(cpu_snapshot)")"
}

write_config() {
	local n=$1 i
	{
		echo "volumes = ("
		for ((i = 1; i <= n; i++)); do
			printf '  { name = "bv%d"; file = "%s/v%d.img"; }%s\n' "$i" "$backing_dir" "$i" \
				"$([ "$i" -lt "$n" ] && echo ,)"
		done
		echo ");"
	} >/etc/basicdm.conf
}

# basicdmd: from `systemctl start` to READY=1 (start returns then: Type=notify),
# and on to every /dev/mapper node.  Prints "ready_s nodes_s".
bringup_daemon() {
	local n=$1 t0 ready c0
	c0=$(cpu_snapshot)
	t0=$(now)
	daemon_start || return 1
	ready=$(elapsed "$t0")
	wait_maps "$n" || return 1
	t=$(elapsed "$t0")
	# the daemon's own figure counts from 0: it started after c0
	echo "$ready $t $(cpu_delta "$c0" "$(cpu_snapshot)")"
}

rss_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
switches() {
	awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { s += $2 } END { print s }' "/proc/$1/status"
}

bringup_phase() {
	local n round t d pid largest
	largest=${bringup_sizes##* }
	data bringup.csv "n,round,method,ready_s,nodes_s,cpu_daemon_s,cpu_udevd_s,cpu_journald_s,cpu_script_s,cpu_guest_s,uevents"
	data footprint.csv "n,vm_rss_kib,rss_anon_kib,rss_file_kib,vm_hwm_kib"
	daemon_stop
	for n in $bringup_sizes; do
		make_backing "$n"
		write_config "$n"
		local rounds=$bringup_rounds
		[ "$n" -ge 1024 ] && rounds=1
		for ((round = 1; round <= rounds; round++)); do
			local order="shell basicdmd"
			((round % 2)) || order="basicdmd shell"
			for method in ${methods:-$order}; do
				clean_slate
				if [ "$method" = shell ]; then
					t=$(bringup_shell "$n") || { fail "shell loop N=$n" "did not bring up $n maps"; return 1; }
					set -- $t
					data bringup.csv "$n,$round,shell,$1,$2,$3"
					t=$(udev_floor "$n") || { fail "udev floor N=$n" "the shell loop's devices were not all there"; return 1; }
					set -- $t
					data bringup.csv "$n,$round,udev,$1,$2,$3"
				else
					d=$(bringup_daemon "$n") || {
						fail "basicdmd N=$n" "did not bring up $n maps: $(journal | tail -n 8)"
						daemon_stop
						return 1
					}
					set -- $d
					data bringup.csv "$n,$round,basicdmd,$1,$2,$3"
					pid=$(systemctl show -p MainPID --value basicdm)
					if [ "$round" = 1 ]; then
						# where the daemon's memory is: the heap and every other mapping
						[ "$n" = "${bringup_sizes%% *}" ] && data smaps.csv "n,mapping,rss_kib"
						awk -v n="$n" '/^[0-9a-f]+-/ { name = $6 ? $6 : "[anon]" }
							$1 == "Rss:" && $2 > 0 { rss[name] += $2 }
							END { for (k in rss) print n "," k "," rss[k] }' "/proc/$pid/smaps" |
							while read -r line; do data smaps.csv "$line"; done
						data footprint.csv "$n,$(rss_kib "$pid" VmRSS),$(rss_kib "$pid" RssAnon),$(rss_kib "$pid" RssFile),$(rss_kib "$pid" VmHWM)"
						expect_eq "basicdmctl: $n volumes active" "$n" \
							"$(basicdmctl status --json | grep -o '"state": *"active"' | wc -l)"
					fi
					[ "$n" = "$largest" ] && [ "$round" = 1 ] && idle_wakeups "$pid" "$n"
					daemon_stop
				fi
				info "bring-up N=$n round $round: $method done"
			done
		done
	done
	clean_slate
	pass "bring-up measured for N = $bringup_sizes"
}

# Wakeups of an idle daemon: context switches over a quiet window, against
# the watchdog pings sd-event schedules (every 1/2 to 3/4 of WatchdogSec).
idle_wakeups() {
	local pid=$1 n=$2 before after wd
	udevadm settle --timeout=300
	wd=$(($(systemctl show -p WatchdogUSec --value basicdm | sed 's/s$//')))
	before=$(switches "$pid")
	sleep "$idle_seconds" # the measurement window itself, not a wait for a condition
	after=$(switches "$pid")
	data idle.csv "n,window_s,wakeups,watchdog_s"
	data idle.csv "$n,$idle_seconds,$((after - before)),$wd"
}

# ---------------------------------------------------------------- hotplug
# A disk plugged in (QMP device_add) until its /dev/disk/by-id link, against
# a disk a volume matches until its /dev/mapper link; the two kinds
# alternate.  Timed in the guest from the kernel's "add" event of the disk,
# read with udev's own timestamps (`udevadm monitor`, the guest's monotonic
# clock): the host's QMP work before the kernel sees the disk is not
# basicdm's, and on the deterministic clock the guest's time while it
# waits on the host is not counted work.  The mapped disk's time is split
# into udev's work on the disk, the daemon's (udev done with the disk to
# the kernel's "change" event of the map's resume) and udev's on the map.
hotplug_phase() {
	local events=/run/bench-hotplug.events mon
	cat >/etc/basicdm.conf <<'CONF'
volumes = ( { name = "hot"; match = { ID_SERIAL = "BENCHHOT"; }; } );
CONF
	daemon_stop
	daemon_start || { fail "hotplug" "daemon did not start"; return 1; }
	udevadm monitor --kernel --udev --property --subsystem-match=block >"$events" &
	mon=$!
	# listening once an event of its own comes through (it writes its
	# file an event at a time)
	modprobe loop
	local plugged=1
	if wait_until 60 sh -c "udevadm trigger --action=change /sys/block/loop0 &&
		grep -q '^UDEV .*/loop0 ' '$events'"; then
		hotplug_plugs && plugged=0
		udevadm settle --timeout=120
	else
		fail "hotplug" "udevadm monitor did not start"
	fi
	# the monitor stops whether or not every plug went through: the
	# phases after this one must not share the CPU with it
	kill "$mon"
	wait "$mon" 2>/dev/null
	[ "$plugged" = 0 ] || return 1
	data hotplug.csv "sample,kind,seconds,udev_disk_s,daemon_s,udev_map_s"
	local samples line timed=0
	samples=$(hotplug_samples_of "$events")
	while read -r line; do
		[ -n "$line" ] || continue
		data hotplug.csv "$line"
		timed=$((timed + 1))
	done <<<"$samples"
	expect_eq "hotplug: every sample of both kinds timed" $((2 * hotplug_samples)) "$timed"
	if [ "$timed" != $((2 * hotplug_samples)) ]; then
		# the events as udev gave them, to see which one was not found
		while IFS= read -r line; do data hotplug-events.txt "$line"; done <"$events"
	fi
	daemon_stop
	pass "hotplug latency measured: $hotplug_samples samples of each kind"
}

# hotplug_plugs: HOTPLUG_SAMPLES times, a disk plugged and pulled without
# a volume for it (its by-id link timed) and one that a volume matches
# (/dev/mapper/hot timed); 1 at the first that does not come or go.
hotplug_plugs() {
	local i
	for ((i = 1; i <= hotplug_samples; i++)); do
		host disk-add raw 64 BENCHRAW || return 1
		udevadm wait --timeout=120 /dev/disk/by-id/virtio-BENCHRAW ||
			{ fail "hotplug raw $i" "no by-id link"; return 1; }
		host disk-del raw
		udevadm wait --removed --timeout=120 /dev/disk/by-id/virtio-BENCHRAW
		host disk-add hot 64 BENCHHOT || return 1
		udevadm wait --timeout=120 /dev/mapper/hot ||
			{ fail "hotplug mapped $i" "no /dev/mapper/hot"; return 1; }
		host disk-del hot
		udevadm wait --removed --timeout=120 /dev/mapper/hot /dev/disk/by-id/virtio-BENCHHOT
	done
}

# hotplug_samples_of EVENTS: one CSV line per plug, from udevadm monitor's
# blocks ("KERNEL[ts] action devpath (block)" or "UDEV  [ts] ...", then
# the event's properties, then a blank line).
hotplug_samples_of() {
	awk '
	function done_block() {
		if (src == "") return
		if (src == "KERNEL" && action == "add" && p["DEVTYPE"] == "disk" && path !~ /virtual/)
			kadd[path] = ts
		if (src == "UDEV" && action == "add" && p["DEVTYPE"] == "disk" && (path in kadd)) {
			if (p["ID_SERIAL"] == "BENCHRAW") {
				n["raw"]++
				printf "%d,raw-by-id,%.6f,%.6f,,\n", n["raw"], ts - kadd[path], ts - kadd[path]
			} else if (p["ID_SERIAL"] == "BENCHHOT") {
				t0 = kadd[path]; tdisk = ts
			}
			delete kadd[path]
		}
		# the kernel names no map in its events: udev adds DM_NAME
		if (src == "KERNEL" && action == "change" && path ~ /\/dm-[0-9]+$/)
			kchange[path] = ts
		if (src == "UDEV" && action == "change" && t0 && p["DM_NAME"] == "hot" &&
		    index(p["DEVLINKS"], "/dev/mapper/hot") && kchange[path] > tdisk) {
			n["hot"]++
			printf "%d,basicdm-mapper,%.6f,%.6f,%.6f,%.6f\n", n["hot"], ts - t0,
				tdisk - t0, kchange[path] - tdisk, ts - kchange[path]
			t0 = 0
		}
		src = ""; delete p
	}
	/^(KERNEL|UDEV) *\[/ {
		done_block()
		src = $0; sub(/ *\[.*/, "", src)
		rest = $0; sub(/^[A-Z]* *\[/, "", rest)
		ts = rest; sub(/\].*/, "", ts); ts += 0
		sub(/^[^\]]*\] */, "", rest)
		split(rest, f, " +"); action = f[1]; path = f[2]
		next
	}
	/^$/ { done_block(); next }
	src != "" && /=/ { k = $0; sub(/=.*/, "", k); v = $0; sub(/^[^=]*=/, "", v); p[k] = v }
	END { done_block() }' "$1"
}

install_root
for phase in $phases; do
	"${phase}_phase"
done
