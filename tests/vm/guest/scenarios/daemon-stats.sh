# dm-stats, metrics and the journal catalog: a volume on a disk that takes
# 20 ms per I/O (dm-delay) and one on a plain file.  basicdmctl stats says
# the slow one takes about 20 ms and the fast one far less; the region is
# found again after a restart, made anew for new bounds, absent when off,
# gone with the map; basicdmctl metrics feeds Debian's node_exporter
# through basicdm-metrics.timer; every event carries a MESSAGE_ID that
# the installed catalog explains.
. "$PAYLOAD/guest/ctl.sh"
install_root
# a staged install leaves the catalog database to the package manager
journalctl --update-catalog

# the slow disk: 64 MiB under dm-delay, 20 ms on every read and write
mkdir -p /var/lib/basicdm /var/lib/slow
truncate -s 64M /var/lib/slow/disk.img
slow_loop=$(losetup -f --show /var/lib/slow/disk.img)
modprobe dm_delay
check "dm-delay disk of 20 ms" dmsetup create slowdisk --table "0 $(sectors "$slow_loop") delay $slow_loop 0 20"
udevadm settle

cat > /etc/basicdm.conf <<'CONF'
volumes = (
  { name = "slow"; device = "/dev/mapper/slowdisk"; },
  { name = "fast"; file = "/var/lib/basicdm/fast.img"; size = "64M"; },
  { name = "quiet"; file = "/var/lib/basicdm/quiet.img"; size = "16M";
    latency_histogram = "off"; }
);
CONF
mkdir -p /etc/basicdm.conf.d
# fine bounds around 20 ms for the slow one, from a drop-in
cat > /etc/basicdm.conf.d/slow.conf <<'CONF'
[defaults]
latency_histogram = 100us,500us,1ms,2ms,5ms,10ms,15ms,19ms,20ms,21ms,22ms,25ms,30ms,50ms,100ms,1s
CONF
check "basicdmd --check accepts the histogram settings" basicdmd --check
check "daemon starts" daemon_start || info "$(journalctl -u basicdm -n 20 -o cat | tr '\n' '|')"
for v in slow fast quiet; do
	check "$v active" wait_until 30 is_state "$v" active
done

# regions: "@stats_list basicdm" lists the program's regions, one line each
regions() { dmsetup message "$1" 0 "@stats_list basicdm" 2>/dev/null | grep -c '^[0-9]*:'; }
expect_eq "slow: one dm-stats region of basicdm" 1 "$(regions slow)"
expect_eq "fast: one dm-stats region of basicdm" 1 "$(regions fast)"
expect_eq "quiet (off): no region" 0 "$(regions quiet)"
check "slow's region: precise timestamps and the configured bounds" \
	sh -c "dmsetup message slow 0 '@stats_list basicdm' | grep -q 'precise_timestamps histogram:100000,500000,1000000,'"

# I/O: direct, so that each read and write reaches the map
t0=$SECONDS
dd if=/dev/mapper/slow of=/dev/null bs=4k count=50 iflag=direct status=none
dd if=/dev/zero of=/dev/mapper/slow bs=4k count=20 oflag=direct status=none
info "slow: 70 I/Os took $((SECONDS - t0)) s"
dd if=/dev/mapper/fast of=/dev/null bs=4k count=500 iflag=direct status=none
dd if=/dev/zero of=/dev/mapper/fast bs=4k count=200 oflag=direct status=none

s=$(basicdmctl stats --json | json_flat)
info "$(basicdmctl stats slow | tr '\n' '|')"
info "$(basicdmctl stats fast | head -5 | tr '\n' '|')"
sv() { jv "$s" "volumes.$1.stats.$2"; }	# volumes.0 slow, .1 fast, .2 quiet
expect_eq "stats: slow first" slow "$(jv "$s" volumes.0.name)"
check "slow: 50 reads and 20 writes counted" test "$(sv 0 read_ios)" -ge 50 -a "$(sv 0 write_ios)" -ge 20
between() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }
# dm-delay holds every I/O 20 ms, counted in jiffies (4 ms at HZ=250:
# 16 ms at the least); the emulator (TCG, beside other VMs) adds its own
# delays, in a long tail: I/Os are not faster than the delay, most are close
check "slow: latency_p50_ms about 20 ms ($(sv 0 latency_p50_ms))" between "$(sv 0 latency_p50_ms)" 15 40
for k in read_latency_mean_ms write_latency_mean_ms latency_p90_ms; do
	check "slow: $k at least 20 ms ($(sv 0 $k))" between "$(sv 0 $k)" 19 1000
done
faster_than_15ms() {
	printf '%s\n' "$s" | awk -F'[.=]' '/^volumes\.0\.stats\.histogram\.[0-9]+\.le_ms=/ { le[$5] = $8 == "" ? $7 : $7 "." $8 }
		/^volumes\.0\.stats\.histogram\.[0-9]+\.ios=/ { ios[$5] = $7 }
		END { for (i in le) if (le[i] != "null" && le[i] + 0 <= 15) n += ios[i]; print n + 0 }'
}
# the emulator's clock now and then lets one through early (1 of 166 seen)
fast_ones=$(faster_than_15ms)
all_ios=$(($(sv 0 read_ios) + $(sv 0 write_ios)))
check "slow: under 5 % of its I/Os took 15 ms or less ($fast_ones of $all_ios)" \
	test $((fast_ones * 20)) -lt "$all_ios"
check "fast: read mean far below 20 ms ($(sv 1 read_latency_mean_ms))" between "$(sv 1 read_latency_mean_ms)" 0 5
check "fast: p90 far below 20 ms ($(sv 1 latency_p90_ms))" between "$(sv 1 latency_p90_ms)" 0 5
check "slow: interval and rates" sh -c "[ '$(sv 0 interval_seconds)' != null ] && [ '$(sv 0 read_ios_per_second)' != null ]"
expect_eq "slow: bounds as configured" 100us,500us,1ms,2ms,5ms,10ms,15ms,19ms,20ms,21ms,22ms,25ms,30ms,50ms,100ms,1s \
	"$(sv 0 latency_bounds)"
expect_eq "quiet: why no stats" "latency_histogram is off" "$(jv "$s" volumes.2.stats_missing)"
check "text output has the percentiles" sh -c "basicdmctl stats slow | grep -q 'p50 .* ms, p90 .* ms, p99 .* ms'"
check "stats is for every user" setpriv --reuid=65534 --regid=65534 --clear-groups basicdmctl stats fast
created=$(sv 0 created)
reads=$(sv 0 read_ios)

# a restart adopts the map and finds the region again: same region, counts go on
check "restart" systemctl restart basicdm
check "slow active again" wait_until 30 is_state slow active
expect_eq "after restart: still one region" 1 "$(regions slow)"
s=$(basicdmctl stats --json slow | json_flat)
expect_eq "after restart: the same region (created)" "$created" "$(sv 0 created)"
check "after restart: counts kept" test "$(sv 0 read_ios)" -ge "$reads"

# new bounds by reload: the region is made anew, the table untouched
table=$(dmsetup table slow)
sed -i 's/^latency_histogram = .*/latency_histogram = 5ms,10ms,20ms,40ms/' /etc/basicdm.conf.d/slow.conf
check "reload" basicdmctl reload
expect_eq "new bounds: one region" 1 "$(regions slow)"
s=$(basicdmctl stats --json slow | json_flat)
expect_eq "new bounds in force" 5ms,10ms,20ms,40ms "$(sv 0 latency_bounds)"
expect_eq "new bounds: no I/O counted yet" 0 "$(sv 0 read_ios)"
expect_eq "new bounds: table not reloaded" "$table" "$(dmsetup table slow)"
# switched off by reload, then back
cat > /etc/basicdm.conf.d/slow.conf <<'CONF'
[defaults]
latency_histogram = off
CONF
check "reload with the histograms off" basicdmctl reload
expect_eq "off: no region on slow" 0 "$(regions slow)"
expect_eq "off: none on fast" 0 "$(regions fast)"
# the built-in default is off (the bench's cost, README "Performance"); "on" the standard bounds
rm /etc/basicdm.conf.d/slow.conf
check "reload with the built-in default" basicdmctl reload
expect_eq "built-in default: no region on fast" 0 "$(regions fast)"
expect_eq "built-in default: no region on slow" 0 "$(regions slow)"
sed -i -e 's|size = "64M"; }|size = "64M"; latency_histogram = "on"; }|' \
	-e 's|device = "/dev/mapper/slowdisk"; }|device = "/dev/mapper/slowdisk"; latency_histogram = "on"; }|' \
	/etc/basicdm.conf
check "reload with the histograms of slow and fast on" basicdmctl reload
expect_eq "on: one region on fast" 1 "$(regions fast)"
expect_eq "on: one region on slow" 1 "$(regions slow)"
expect_eq "on: the standard bounds" 100us,250us,500us,1ms,2ms,5ms,10ms,15ms,20ms,25ms,50ms,100ms,500ms,1s \
	"$(basicdmctl stats --json fast | json_flat | sed -n 's/^volumes\.0\.stats\.latency_bounds=//p')"

# the region goes with the map: after deactivate and activate it starts anew
fast_reads() { basicdmctl stats --json fast | json_flat | sed -n 's/^volumes\.0\.stats\.read_ios=//p'; }
dd if=/dev/mapper/fast of=/dev/null bs=4k count=1000 iflag=direct status=none
before=$(fast_reads)
check "deactivate fast" basicdmctl deactivate fast
check "activate fast" basicdmctl activate fast
expect_eq "a new map, a new region" 1 "$(regions fast)"
after=$(fast_reads)
check "the new region counts from the new map ($before before, $after after: udev's probe)" \
	test "$after" -lt 1000 -a "$before" -ge 1000

# metrics: the Prometheus text format
m=$(basicdmctl metrics)
check "metrics: every family has HELP and TYPE" sh -c "[ $(grep -c '^# HELP basicdm_' <<<"$m") -eq $(grep -c '^# TYPE basicdm_' <<<"$m") ]"
check "metrics: state gauge" grep -q '^basicdm_volume_state{volume="slow",state="active"} 1$' <<<"$m"
check "metrics: target counters" grep -q '^# TYPE basicdm_target_reads_total counter$' <<<"$m"
check "metrics: latency histogram" grep -q '^basicdm_io_latency_seconds_bucket{volume="slow",le="+Inf"} ' <<<"$m"
only_ours() { ! grep -v '^#' <<<"$m" | grep -qv '^basicdm_'; }
check "metrics: only basicdm_ names" only_ours

# node_exporter's textfile collector, fed by the shipped timer
check "prometheus-node-exporter installed" test -x /usr/bin/prometheus-node-exporter
check "basicdm-metrics.timer enabled" systemctl enable --now basicdm-metrics.timer
prom=/var/lib/prometheus/node-exporter/basicdm.prom
check "the timer writes $prom" wait_until 60 test -s "$prom"
info "$(stat -c '%U:%G %a' /var/lib/prometheus/node-exporter "$prom" | tr '\n' ' ')"
check "no temporary file left" sh -c "[ \$(ls /var/lib/prometheus/node-exporter | grep -c basicdm) -eq 1 ]"
systemctl restart prometheus-node-exporter
# bash's /dev/tcp: no HTTP client in the image
scrape() {
	exec 5<>/dev/tcp/127.0.0.1/9100 || return 1
	printf 'GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n' >&5
	cat <&5
	exec 5<&-
}
served() { scrape | grep -q '^basicdm_volume_state{state="active",volume="slow"} 1$'; }
check "node_exporter serves basicdm_ series" wait_until 60 served
page=$(scrape)
check "node_textfile_scrape_error 0" grep -q '^node_textfile_scrape_error 0$' <<<"$page"
# client_golang writes "le" after the series' own labels
check "node_exporter serves the latency histogram" grep -q '^basicdm_io_latency_seconds_bucket{volume="slow",le="+Inf"} ' <<<"$page"
check "node_exporter serves its count" grep -q '^basicdm_io_latency_seconds_count{volume="slow"} ' <<<"$page"
info "node_exporter: $(grep -c '^basicdm_' <<<"$page") basicdm_ series"
prev=$(stat -c %Y "$prom")
check "the timer refreshes the file" wait_until 60 sh -c "[ \$(stat -c %Y $prom) -gt $prev ]"

# the journal explains itself
check "journalctl --list-catalog lists basicdm's entries" \
	sh -c "[ \$(journalctl --list-catalog | grep -c ' basicdm: ') -eq 13 ]"
check "every volume event has a MESSAGE_ID" \
	sh -c "journalctl -u basicdm -o json | grep '\"BASICDM_EVENT\"' | grep -v '\"MESSAGE_ID\"' | wc -l | grep -qx 0"
check "reload results have a MESSAGE_ID" \
	sh -c "journalctl -u basicdm -o json BASICDM_RELOAD=1 | grep -c '\"MESSAGE_ID\":\"d50ebcf0333e436eb72296b2d3f4586d\"' | grep -qvx 0"
check "journalctl -x explains an event" \
	sh -c "journalctl -x -u basicdm BASICDM_VOLUME=slow BASICDM_EVENT=active | grep -q 'Subject: basicdm volume slow is active'"

check "daemon stops" daemon_stop
