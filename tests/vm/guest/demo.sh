# The demo: the tutorial's target on a real kernel, narrated on the console.
# Run by `./dev demo`; reports to the host like a scenario.
c=/dev/console
step() { printf '\n\033[1m== %s\033[0m\n' "$*" >"$c"; }
show() { printf '\033[36m# %s\033[0m\n' "$*" >"$c"; "$@" >"$c" 2>&1; }

step "basic_target on $(uname -r): load the module (no modprobe: a table load does it)"
dd if=/dev/zero of=/var/tmp/disk1 bs=512 count=20000 status=none
loop=$(losetup -f --show /var/tmp/disk1)
show sh -c "echo 0 20000 basic_target $loop 0 1 trace | dmsetup create demo"
show sh -c "lsmod | grep basic_target"
show dmsetup table demo
step "One 512-byte write at sector 10, traced by the target"
klog_mark
show dd if=/dev/urandom of=/dev/mapper/demo bs=512 seek=10 count=1 oflag=direct status=none
klog_since | grep basic_target >"$c"
step "I/O counters (reads, read sectors, writes, written sectors, flushes, discards, ...)"
show dmsetup status demo
show mkfs.ext4 -q /dev/mapper/demo
show dmsetup status demo
check "demo: the map took the filesystem's writes" \
	test "$(dmsetup status demo | cut -d' ' -f6)" -gt 1
step "Reset, switch tracing off, tear down"
show dmsetup message demo 0 stats reset
show dmsetup message demo 0 trace off
show dmsetup status demo
show dmsetup remove demo
show losetup -d "$loop"
show rmmod basic_target
step "Done."
