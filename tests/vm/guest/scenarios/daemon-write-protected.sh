# Write-protected media: a USB stick with its switch set (QEMU read-only=on)
# and a read-only SCSI disk, each matched by a volume that does not say
# read_only, are mapped read-only, with a journal line that says so, as
# mount(8) does; writes fail, reads work.  A read_only volume on a writable
# disk stays read-only.  Nothing fails.
. "$PAYLOAD/guest/ctl.sh"
install_root
cat > /etc/basicdm.conf <<'CONF'
volumes = (
  { name = "stick"; match = { ID_SERIAL_SHORT = "ROSTICK01"; }; },
  { name = "scsi"; match = { ID_SERIAL_SHORT = "ROSCSI01"; }; offset = 2048; },
  { name = "asked"; match = { ID_SERIAL = "RWDISK01"; }; read_only = true; }
);
CONF
check "daemon starts" daemon_start

check "QMP: a write-protected USB stick" host disk-add stick 16 ROSTICK01 bus=usb ro=1
check "QMP: a read-only SCSI disk" host disk-add scsi 16 ROSCSI01 bus=scsi ro=1
check "QMP: a writable disk" host disk-add rw 16 RWDISK01 bus=virtio
for v in stick scsi asked; do
	check "$v: active" wait_until 120 is_state "$v" active
	expect_eq "$v: the map is read-only" 1 "$(blockdev --getro "/dev/basicdm/$v")"
	check "$v: a write fails" sh -c "! dd if=/dev/zero of=/dev/basicdm/$v bs=4096 count=1 oflag=direct status=none"
	check "$v: a read works" dd if="/dev/basicdm/$v" of=/dev/null bs=4096 count=16 iflag=direct status=none
done
for v in stick scsi; do
	check "$v: the journal says the device is write-protected" \
		journal_grep "read-only: the device is write-protected" BASICDM_VOLUME=$v BASICDM_EVENT=attached
	check "$v: as a warning" sh -c "journalctl -q -u basicdm -o cat -p warning BASICDM_VOLUME=$v | grep -q write-protected"
	check "$v: not failed" sh -c "! journalctl -q -u basicdm -o cat BASICDM_VOLUME=$v BASICDM_EVENT=failed | grep -q ."
done
check "asked: read-only as configured, not called write-protected" \
	sh -c "journalctl -q -u basicdm -o cat BASICDM_VOLUME=asked BASICDM_EVENT=attached | grep -q ', read-only\$'"
expect_eq "status: asked is configured read-only" true "$(jv "$(vol_json asked)" read_only)"
expect_eq "status: stick is not configured read-only" false "$(jv "$(vol_json stick)" read_only)"
expect_eq "status: but its map is" true "$(jv "$(vol_json stick)" dm.read_only)"
expect_eq "STATUS=: three active, none failed" "StatusText=3 active, 0 waiting, 0 failed" "$(systemctl show -p StatusText basicdm)"
check "QMP: pull the stick" host disk-del stick
check "stick: the map goes away" wait_until 120 sh -c "! dmsetup info stick >/dev/null 2>&1"
