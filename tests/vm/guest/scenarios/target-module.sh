# The module's life: a table load auto-loads it (MODULE_ALIAS
# "dm-basic_target"), rmmod is refused while a map uses it, and it unloads
# cleanly once the maps are gone.
loop=$(new_loop /var/tmp/module.img 8192)
check "not loaded at boot" sh -c '! grep -q "^basic_target " /proc/modules'
check "modinfo finds the installed module" modinfo basic_target
expect_eq "module alias" "dm-basic_target" "$(modinfo -F alias basic_target)"
check "table load with no prior modprobe" dmsetup create m1 --table "0 8192 basic_target $loop 0"
check "the load auto-loaded basic_target" grep -q "^basic_target " /proc/modules
check "dmsetup targets lists basic_target v1.0.0" sh -c 'dmsetup targets | grep -q "^basic_target *v1.0.0$"'
check "rmmod refused while a map exists" sh -c '! rmmod basic_target 2>/dev/null'
check "the map still works after the refusal" \
	dd if=/dev/mapper/m1 of=/dev/null bs=4096 count=1 iflag=direct status=none
check "dmsetup remove" dmsetup remove --retry m1
check "rmmod accepted after removal" rmmod basic_target
check "gone from /proc/modules" sh -c '! grep -q "^basic_target " /proc/modules'

for round in 1 2 3; do
	modprobe basic_target &&
		dmsetup create "m$round" --table "0 8192 basic_target $loop 0 1 trace" &&
		dmsetup remove --retry "m$round" &&
		modprobe -r basic_target
	expect_eq "load, map, remove, unload: round $round" 0 "$?"
done
losetup -d "$loop"
