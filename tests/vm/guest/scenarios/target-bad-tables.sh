# Malformed tables: each is refused with its own ti->error, leaves no
# device behind, holds no reference to the backing device, and the kernel
# log shows no WARN, BUG or oops (checked after every scenario).
loop=$(new_loop /var/tmp/bad.img 20000)
losetup -r -f /var/tmp/bad.img
roloop=$(losetup -j /var/tmp/bad.img -O NAME,RO -n | awk '$2 == 1 {print $1}')
majmin=$(devnum "$loop")
touch /var/tmp/not-a-block-device
modprobe basic_target

# bad EXPECTED-KERNEL-MESSAGE TABLE
n=0
bad() {
	local expect=$1 table=$2 name out log
	n=$((n + 1))
	name=bad$n
	klog_mark
	if out=$(dmsetup create "$name" --table "$table" 2>&1); then
		fail "refused: $table" "the table was accepted"
		dmsetup remove "$name"
		return
	fi
	log=$(klog_since | grep -F "device-mapper: table:")
	if ! grep -qF -- "$expect" <<<"$log"; then
		fail "refused: $table" "expected kernel message '$expect', got: $log"
	elif dmsetup info "$name" >/dev/null 2>&1; then
		fail "refused: $table" "a device $name was left behind"
	else
		pass "refused with '$expect': $table"
	fi
}

E_ARGS="basic_target: Not enough arguments: <device> <offset> required"
E_OFF="basic_target: Invalid device offset"
E_BIG="basic_target: Device offset too large"
E_SMALL="basic_target: Device too small for offset + length"
E_DEV="basic_target: Device lookup failed"
E_FCOUNT="basic_target: Invalid feature count"
E_FMANY="basic_target: Too many features"
E_FSHORT="basic_target: Feature count exceeds the features given"
E_FEXTRA="basic_target: Unexpected argument after the features"
E_FUNK="basic_target: Unknown feature"
E_FDUP="basic_target: Feature trace given twice"

bad "$E_ARGS" "0 100 basic_target"
bad "$E_ARGS" "0 100 basic_target $loop"
bad "$E_OFF" "0 100 basic_target $loop abc"
bad "$E_OFF" "0 100 basic_target $loop -1"
bad "$E_OFF" "0 100 basic_target $loop 12x"
bad "$E_OFF" "0 100 basic_target $loop 0x10"
bad "$E_OFF" "0 100 basic_target $loop 1.5"
bad "$E_BIG" "0 100 basic_target $loop 18446744073709551616"
bad "$E_BIG" "0 100 basic_target $loop 99999999999999999999999999"
bad "$E_SMALL" "0 100 basic_target $loop 19950"
bad "$E_SMALL" "0 20001 basic_target $loop 0"
bad "$E_SMALL" "0 1 basic_target $loop 20000"
bad "$E_SMALL" "0 100 basic_target $loop 18446744073709551615"
bad "$E_SMALL" "0 100 basic_target $majmin 19901"
bad "$E_DEV" "0 100 basic_target /dev/nonexistent 0"
bad "$E_DEV" "0 100 basic_target /var/tmp/not-a-block-device 0"
bad "$E_DEV" "0 100 basic_target 259:99999 0"
bad "$E_FUNK" "0 100 basic_target $loop 0 1 bogus"
bad "$E_FUNK" "0 100 basic_target $loop 0 1 trace=on"
bad "$E_FDUP" "0 100 basic_target $loop 0 2 trace trace"
bad "$E_FDUP" "0 100 basic_target $loop 0 3 trace TRACE trace"
bad "$E_FSHORT" "0 100 basic_target $loop 0 2 trace"
bad "$E_FSHORT" "0 100 basic_target $loop 0 1"
bad "$E_FEXTRA" "0 100 basic_target $loop 0 0 trace"
bad "$E_FEXTRA" "0 100 basic_target $loop 0 1 trace extra"
bad "$E_FCOUNT" "0 100 basic_target $loop 0 x"
bad "$E_FCOUNT" "0 100 basic_target $loop 0 -1 trace"
bad "$E_FCOUNT" "0 100 basic_target $loop 0 4294967296"
bad "$E_FMANY" "0 100 basic_target $loop 0 9 a b c d e f g h i"
bad "$E_FCOUNT" "0 100 basic_target $loop 0 extra"	# a word after the offset is the feature count
bad "zero-length target" "0 0 basic_target $loop 0"
# a read-write table on a read-only loop device
bad "basic_target: Device is read-only but the table is read-write" "0 100 basic_target $roloop 0"
info "$n malformed tables tried"

check "a read-only table on the read-only device loads" dmsetup create ro-ok --readonly --table "0 100 basic_target $roloop 0"
dmsetup remove ro-ok
check "the valid table still loads" dmsetup create good --table "0 20000 basic_target $loop 0"
check "and removes" dmsetup remove good
expect_eq "no map is left" "" "$(dmsetup ls --target basic_target | grep -v 'No devices found')"
check "no holders left on $loop" sh -c "[ -z \"\$(ls /sys/block/${loop#/dev/}/holders)\" ]"
check "module refcount back to 0: rmmod" rmmod basic_target
losetup -d "$loop" "$roloop"
