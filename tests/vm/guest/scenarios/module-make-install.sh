# vm-options: --variant devel --source --bare
# The module without DKMS: `make -C module` against the running kernel's
# build tree, `make -C module install`, then modprobe finds it and a table
# load auto-loads it.
mkdir -p /mnt/source /root/basicdm
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 source /mnt/source
tar -C /mnt/source/module -cf - . | tar -C /root/basicdm -xf -
cd /root/basicdm || return

check "make (KDIR defaults to /lib/modules/$(uname -r)/build)" make >/tmp/make.log 2>&1 ||
	{ info "$(tail -n 10 /tmp/make.log)"; return; }
check "make install" make install
path=$(modinfo -n basic_target)
check "installed under /lib/modules/$(uname -r): $path" \
	sh -c "case '$path' in /lib/modules/$(uname -r)/*) true ;; *) false ;; esac"
expect_eq "vermagic matches the running kernel" "$(uname -r)" "$(modinfo -F vermagic basic_target | cut -d' ' -f1)"
loop=$(new_loop /var/tmp/mi.img 2048)
check "a table load auto-loads it" dmsetup create mi --table "0 2048 basic_target $loop 0"
check "loaded" grep -q "^basic_target " /proc/modules
dmsetup remove --retry mi
losetup -d "$loop"
check "and it unloads" rmmod basic_target
