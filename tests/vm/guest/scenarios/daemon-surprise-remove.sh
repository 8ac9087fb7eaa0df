# A hot-plugged disk backs a volume; fio writes to it; the disk is pulled
# (QMP device_del) under I/O.  The errors reach the application, the map is
# removed (deferred while open, gone at the last close), the journal says
# why, and the same daemon keeps serving another volume, data intact.  When
# the disk comes back, what was written to it before the pull reads back.
install_root
mkdir -p /var/lib/basicdm
cat > /etc/basicdm.conf <<'CONF'
volumes = (
  { name = "hot";
    match = { ID_SERIAL = "SURPRISE01"; };
    offset = 2048; },
  { name = "steady";
    file = "/var/lib/basicdm/steady.img";
    size = "32M"; }
);
CONF
check "daemon starts" daemon_start
pid=$(systemctl show -p MainPID --value basicdm)
check "QMP: hot-add a 64 MiB disk, serial SURPRISE01" host disk-add s1 64 SURPRISE01
check "/dev/mapper/hot appears" wait_until 120 test -b /dev/mapper/hot
check "the daemon reports hot active" wait_until 60 sh -c \
	'[ "$(journalctl -q -u basicdm -o cat BASICDM_VOLUME=hot BASICDM_EVENT=active | wc -l)" = 1 ]'

# Data that must survive: 8 MiB on each volume, outside fio's region.
dd if=/dev/urandom of=/dev/mapper/hot bs=1M seek=24 count=8 oflag=direct status=none
dd if=/dev/urandom of=/dev/mapper/steady bs=1M seek=8 count=8 oflag=direct status=none
hot_sum=$(sum_of /dev/mapper/hot 24 8)
steady_sum=$(sum_of /dev/mapper/steady 8 8)

exec 7<>/dev/mapper/hot	# a second opener: the map must wait for it
fio --name=surprise --filename=/dev/mapper/hot --direct=1 --ioengine=libaio --iodepth=8 \
	--rw=randwrite --bs=4k --size=16m --time_based --runtime=600 --rate_iops=200 \
	--output=/tmp/fio-surprise.out &
fio_pid=$!
check "fio is writing to hot" \
	wait_until 120 sh -c "[ \"\$(dmsetup status hot | cut -d' ' -f6)\" -gt 100 ]"

check "QMP: pull the disk under I/O" host disk-del s1
check "fio stops" wait_until 120 sh -c "! kill -0 $fio_pid"
wait "$fio_pid"
rc=$?
check "fio exits with an error ($rc)" test "$rc" -ne 0
check "fio saw an I/O error" grep -qE 'err=[ ]*[1-9]' /tmp/fio-surprise.out
info "fio: $(grep -m1 -oE 'err=[ ]*[0-9]+[^,]*' /tmp/fio-surprise.out)"
check "a write through the map fails" \
	sh -c '! dd if=/dev/zero of=/dev/mapper/hot bs=4k count=1 oflag=direct conv=notrunc status=none'
check "journal: hot removed, its backing went away" wait_until 60 sh -c \
	"journalctl -q -u basicdm -o cat BASICDM_VOLUME=hot BASICDM_EVENT=removed | grep -q 'backing device went away'"
check "journal: hot waits for its disk again" wait_until 30 sh -c \
	"journalctl -q -u basicdm -o cat BASICDM_VOLUME=hot BASICDM_EVENT=waiting | wc -l | grep -qx 2"
check "the map stays while open, removal deferred" sh -c 'dmsetup info hot | grep -q "DEFERRED REMOVE"'
exec 7>&-
check "closed: the map goes away" wait_until 60 sh -c '! dmsetup info hot >/dev/null 2>&1'
check "and /dev/mapper/hot with it" wait_until 60 sh -c '! test -e /dev/mapper/hot'
expect_eq "basicdmctl: hot waiting" waiting \
	"$(basicdmctl status --json hot | awk -f "$PAYLOAD/guest/jsonflat.awk" | sed -n 's/^volumes\.0\.state=//p')"

# ---- the other volume and the daemon ---------------------------------------------------
expect_eq "the same daemon process serves on" "$pid" "$(systemctl show -p MainPID --value basicdm)"
check "the daemon is active" systemctl is-active --quiet basicdm
expect_eq "status: steady active, hot waiting" "StatusText=1 active, 1 waiting, 0 failed" \
	"$(systemctl show -p StatusText basicdm)"
expect_eq "steady: data intact" "$steady_sum" "$(sum_of /dev/mapper/steady 8 8)"
head -c 4194304 /dev/urandom > /tmp/steady.data
dd if=/tmp/steady.data of=/dev/mapper/steady bs=1M oflag=direct status=none
expect_eq "steady: new writes read back" "$(sha256sum < /tmp/steady.data | cut -d' ' -f1)" \
	"$(sum_of /dev/mapper/steady 0 4)"
check "basicdmctl answers" basicdmctl status steady

# ---- the disk comes back --------------------------------------------------------------
check "QMP: plug the same disk back" host disk-add s1 64 SURPRISE01
check "/dev/mapper/hot is back" wait_until 120 test -b /dev/mapper/hot
expect_eq "hot: the 8 MiB written before the pull read back" "$hot_sum" "$(sum_of /dev/mapper/hot 24 8)"
data daemon-surprise-remove "bytes_verified=$((8 + 8 + 4))MiB fio_rc=$rc"
rm -f /tmp/steady.data
