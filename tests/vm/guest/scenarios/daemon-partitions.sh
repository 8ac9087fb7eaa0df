# Partitions: a GPT disk hot-added through QMP whose partitions volumes
# name by ID_PART_ENTRY_NAME, by ID_PART_ENTRY_UUID (no DEVTYPE given) and
# by a /dev/disk/by-partlabel link.  Each map is sized to its partition and
# its data lands inside it; the whole disk is never mapped.  Pulling the
# disk with all three mapped leaves no map behind and disturbs nothing else.
. "$PAYLOAD/guest/ctl.sh"
install_root

uuid_b=6f1a8c1e-2b7d-4c1e-9a55-0d3b5c7e9f01
mkdir -p /var/lib/basicdm
cat > /etc/basicdm.conf <<CONF
volumes = (
  { name = "backup"; match = { ID_PART_ENTRY_NAME = "backup"; }; },
  { name = "byuuid"; match = { ID_PART_ENTRY_UUID = "$uuid_b"; }; offset = 8; },
  { name = "media"; device = "/dev/disk/by-partlabel/media"; },
  { name = "keep"; file = "/var/lib/basicdm/keep.img"; size = "8M"; }
);
CONF
check "the configuration is valid" basicdmd --check
check "daemon starts" daemon_start
keep_dev=$(map_devnum keep)

check "QMP: hot-add a GPT disk (backup 8 MiB, second 8 MiB, media 12 MiB)" \
	host disk-add parts 32 PARTS01 "gpt=backup:8,second:8:$uuid_b,media:12"
for v in backup byuuid media; do
	check "$v: mapped" wait_until 120 is_state "$v" active
done
disk=$(readlink -f /dev/disk/by-id/virtio-PARTS01)
part() { readlink -f "$disk$1" 2>/dev/null || echo "$disk$1"; }
# partitions of a virtio disk are vdX1, vdX2...
expect_eq "backup: the map is the first partition, whole" \
	"0 $(sectors "$(part 1)") basic_target $(devnum "$(part 1)") 0" \
	"$(dmsetup table backup)"
expect_eq "byuuid: the second partition from sector 8" \
	"0 $(($(sectors "$(part 2)") - 8)) basic_target $(devnum "$(part 2)") 8" \
	"$(dmsetup table byuuid)"
expect_eq "media: the third partition by its by-partlabel link" \
	"0 $(sectors "$(part 3)") basic_target $(devnum "$(part 3)") 0" \
	"$(dmsetup table media)"
expect_eq "backup: sized to the partition (8 MiB)" $((8 * 2048)) "$(sectors /dev/basicdm/backup)"
check "the whole disk is not mapped" sh -c "! dmsetup deps -o devname | grep -q '($(basename "$disk"))'"

start1=$(cat "/sys/class/block/$(basename "$(part 1)")/start")
start2=$(cat "/sys/class/block/$(basename "$(part 2)")/start")
write_pattern /dev/basicdm/backup 0 "in-backup"
write_pattern /dev/basicdm/byuuid 0 "in-second"
expect_eq "backup's data lands at the partition's first sector" "in-backup" "$(read_sector "$disk" "$start1")"
expect_eq "byuuid's data lands 8 sectors into its partition" "in-second" "$(read_sector "$disk" $((start2 + 8)))"
last=$(($(sectors /dev/basicdm/backup) - 1))
write_pattern /dev/basicdm/backup "$last" "backup-end"
expect_eq "backup's last sector is its partition's last" "backup-end" \
	"$(read_sector "$(part 1)" "$(($(sectors "$(part 1)") - 1))")"

check "QMP: pull the disk with all three mapped" host disk-del parts
for v in backup byuuid media; do
	check "$v: the map goes away" wait_until 120 sh -c "! dmsetup info $v >/dev/null 2>&1"
	check "$v: waiting again" wait_until 60 is_state "$v" waiting
done
expect_eq "no basicdm map but keep is left" "keep" \
	"$(dmsetup info -c --noheadings -o name,uuid | awk -F: '$2 ~ /^BASICDM-/ { print $1 }' | sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq "the file volume was never touched" "$keep_dev" "$(map_devnum keep)"
check "the daemon still runs" systemctl is-active --quiet basicdm

check "QMP: plug it back" host disk-add parts 32 PARTS01
for v in backup byuuid media; do
	check "$v: mapped again" wait_until 120 is_state "$v" active
done
expect_eq "backup: with its data" "in-backup" "$(read_sector /dev/basicdm/backup 0)"
