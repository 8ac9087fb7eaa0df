# The "write your own device-mapper target" tutorial basic_target grew
# from, command for command (its map is the first example in
# module/basic_target.rst): a 20000-sector file on a loop device, insmod,
# dmsetup create from a piped table, and the one-sector dd that the trace
# must show.
dev=my_basic_target_device
map=/dev/mapper/$dev

dd if=/dev/zero of=/tmp/disk1 bs=512 count=20000 status=none
loop=$(losetup -f --show /tmp/disk1)	# the tutorial names /dev/loop6; take a free one
# insmod loads no dependency: the tutorial's machine had dm_mod loaded
# already, as the Debian 12 guest has when the scenario starts; the Debian
# 13 guest loads it on first use only.
info "dm_mod loaded before the tutorial: $(grep -c '^dm_mod ' /proc/modules)"
check "dm_mod loaded" modprobe dm_mod
check "insmod basic_target.ko" insmod "$PAYLOAD/module/basic_target.ko"
check "lsmod lists basic_target" sh -c 'lsmod | grep -q "^basic_target "'
check "echo 0 20000 basic_target $loop 0 | dmsetup create $dev" \
	sh -c "echo 0 20000 basic_target $loop 0 | dmsetup create $dev"
check "$map exists" test -b "$map"
check "trace on" dmsetup message "$dev" 0 trace on

# The tutorial's dd verbatim goes through the page cache: the target sees
# the block-sized write that covers sector 10 when dd closes the device.
klog_mark
dd if=/dev/zero of="$map" bs=512 seek=10 count=1 status=none
covering=$(klog_since | awk -v dev="$dev:" '
	$0 ~ "basic_target: " dev " WRITE" {
		for (i = 1; i <= NF; i++) {
			if ($i == "sector") s = $(i + 1)
			if ($i == "size") n = $(i + 1)
		}
		if (s <= 10 && 10 < s + n / 512) { print "yes"; exit }
	}')
expect_eq "buffered dd: trace shows a write covering sector 10" yes "$covering"

# The same write with O_DIRECT reaches the target exactly as issued.
klog_mark
printf '%-512s' "basicdm tutorial pattern" |
	dd of="$map" bs=512 seek=10 count=1 oflag=direct status=none
check "direct dd: trace shows 'WRITE sector 10 size 512'" \
	sh -c "dmesg | tail -n +$((KLOG_MARK + 1)) | grep -q 'basic_target: $dev: WRITE sector 10 size 512\$'"
expect_eq "the pattern lands at byte 5120 of the file" "basicdm tutorial pattern" \
	"$(dd if=/tmp/disk1 bs=1 skip=5120 count=24 status=none)"
expect_eq "bytes 5112..5119 of the file are untouched" "00000000" \
	"$(dd if=/tmp/disk1 bs=1 skip=5112 count=8 status=none | od -An -tx1 | tr -d ' \n' | cut -c1-8)"

# --retry: closing a device written to makes udev probe it again (its
# "watch"); a remove in that moment meets EBUSY, and dmsetup retries it
check "dmsetup remove $dev" dmsetup remove --retry "$dev"
check "losetup -d $loop" losetup -d "$loop"
check "rmmod basic_target" rmmod basic_target
