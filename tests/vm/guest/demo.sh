# The demo (`./dev demo`): basicdm installed as a service with the example
# /etc/basicdm.conf; a disk is hot-plugged and becomes a mapped device.
# Narrated on the console; reports to the host like a scenario.
c=/dev/console
export SYSTEMD_URLIFY=0 SYSTEMD_COLORS=0
step() { printf '\n\033[1m== %s\033[0m\n' "$*" >"$c"; }
show() { printf '\033[36m# %s\033[0m\n' "$*" >"$c"; "$@" >"$c" 2>&1; }
journal_tail() { journalctl -u basicdm -o short-precise --no-pager --since "@$1" >"$c" 2>&1; }

install_root
step "basicdm installed as a service; the example /etc/basicdm.conf:"
grep -v '^#' /etc/basicdm.conf | grep . >"$c"
show basicdmd --check

step "systemctl start basicdm: the file volume comes up, the disk volumes wait"
t0=$(date +%s.%N)
show systemctl start basicdm
journal_tail "$t0"
show systemctl status basicdm --no-pager --lines=0
show ls -l /dev/basicdm/

step "Hot-plug a virtio disk with serial ARCHIVE01 (its udev ID_SERIAL), through the QEMU monitor"
t0=$(date +%s.%N)
check "demo: disk hot-added" host disk-add archive 64 ARCHIVE01
check "demo: /dev/basicdm/archive appears" wait_until 120 test -b /dev/basicdm/archive
wait_until 30 sh -c 'journalctl -u basicdm BASICDM_VOLUME=archive BASICDM_EVENT=active -o cat | grep -q .'
journal_tail "$t0"
show ls -l /dev/basicdm/
show dmsetup table archive
show sh -c 'journalctl -u basicdm BASICDM_VOLUME=archive -o verbose --no-pager | grep -E "^ +(MESSAGE|BASICDM_)"'

step "I/O through the volume moves the target's counters (reads, read sectors, writes, written sectors, flushes, discards, ...)"
show dmsetup status archive
show dd if=/dev/urandom of=/dev/basicdm/archive bs=1M count=4 oflag=direct status=none
show dd if=/dev/basicdm/archive of=/dev/null bs=64k count=16 iflag=direct status=none
show dmsetup status archive
check "demo: the counters moved" test "$(dmsetup status archive | cut -d' ' -f6)" -ge 4

step "Unplug the disk: the map goes away"
t0=$(date +%s.%N)
check "demo: disk hot-removed" host disk-del archive
check "demo: /dev/basicdm/archive is gone" wait_until 120 sh -c '! test -e /dev/basicdm/archive'
wait_until 30 sh -c 'journalctl -u basicdm BASICDM_VOLUME=archive BASICDM_EVENT=removed -o cat | grep -q .'
journal_tail "$t0"
show systemctl status basicdm --no-pager --lines=0
step "Done."
