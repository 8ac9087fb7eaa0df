# Data integrity: fio verify through a map, then a filesystem on it.
loop=$(new_loop /var/tmp/fio.img $((160 * 2048)))
check "create map (offset 2048)" dmsetup create data --table "0 $((128 * 2048)) basic_target $loop 2048"
map=/dev/mapper/data

check "fio randwrite 32 MiB, verify crc32c" \
	fio --name=verify --filename="$map" --direct=1 --ioengine=libaio --iodepth=16 \
	--rw=randwrite --bs=4k --size=32M --verify=crc32c --verify_fatal=1 --do_verify=1 \
	--output=/tmp/fio.out
check "fio mixed sizes 64k..1m sequential, verify md5" \
	fio --name=seq --filename="$map" --direct=1 --ioengine=libaio --iodepth=4 \
	--rw=write --bsrange=64k-1m --offset=64M --size=32M --verify=md5 --verify_fatal=1 \
	--do_verify=1 --output=/tmp/fio2.out

check "mkfs.ext4" mkfs.ext4 -q -F "$map"
mkdir -p /mnt/data
check "mount" mount "$map" /mnt/data
head -c 8M /dev/urandom > /tmp/payload.bin
for i in 1 2 3; do cp /tmp/payload.bin "/mnt/data/file$i"; done
mkdir -p /mnt/data/dir && seq 1 2000 | while read -r n; do echo "$n" > "/mnt/data/dir/$n"; done
sum=$(sha256sum < /tmp/payload.bin)
check "umount" umount /mnt/data
check "e2fsck -fn is clean" e2fsck -fn "$map"
check "mount again" mount -o ro "$map" /mnt/data
for i in 1 2 3; do
	expect_eq "file$i reads back the same" "$sum" "$(sha256sum < "/mnt/data/file$i")"
done
expect_eq "2000 small files present" 2000 "$(ls /mnt/data/dir | wc -l)"
umount /mnt/data
check "remove" dmsetup remove --retry data
losetup -d "$loop"
