# SIGHUP applies the difference: new volumes come up, removed ones go down,
# changed ones get their table reloaded, untouched maps keep their device
# numbers and open file handles; a broken config changes nothing.
install_root
mkdir -p /var/lib/basicdm
conf() {
	cat > /etc/basicdm.conf
}
conf <<'CONF'
volumes = (
  { name = "a"; file = "/var/lib/basicdm/a.img"; size = "16M"; },
  { name = "b"; file = "/var/lib/basicdm/b.img"; size = "16M"; },
  { name = "c"; file = "/var/lib/basicdm/c.img"; size = "16M"; offset = 0; }
);
CONF
check "daemon starts" daemon_start
write_pattern /dev/mapper/b 0 "b-sector-0"
write_pattern /dev/mapper/c 8 "c-sector-8"
b_dev=$(map_devnum b)
exec 7</dev/mapper/b	# an open handle that must survive the reload
b_events=$(journal_count BASICDM_VOLUME=b)

conf <<'CONF'
volumes = (
  { name = "b"; file = "/var/lib/basicdm/b.img"; size = "16M"; },
  { name = "c"; file = "/var/lib/basicdm/c.img"; size = "16M"; offset = 8; },
  { name = "d"; file = "/var/lib/basicdm/d.img"; size = "8M"; }
);
CONF
check "reload (SIGHUP) completes" daemon_reload
check "removed volume a: map gone" sh -c '! dmsetup info a >/dev/null 2>&1'
check "removed volume a: its loop device is released" \
	wait_until 30 sh -c '[ -z "$(losetup -j /var/lib/basicdm/a.img)" ]'
check "added volume d: /dev/mapper/d" wait_until 60 test -b /dev/mapper/d
expect_eq "changed volume c: offset 8 in the table" 8 "$(dmsetup table c | cut -d' ' -f5)"
expect_eq "changed volume c: old sector 8 is now sector 0" "c-sector-8" "$(read_sector /dev/mapper/c 0)"
expect_eq "journal: c reloaded" 1 "$(journal_count BASICDM_VOLUME=c BASICDM_EVENT=reloaded)"
expect_eq "untouched b keeps its device number" "$b_dev" "$(map_devnum b)"
expect_eq "untouched b: no journal event" "$b_events" "$(journal_count BASICDM_VOLUME=b)"
expect_eq "untouched b: the open handle still reads" "b-sector-0" \
	"$(dd bs=512 count=1 status=none <&7 | tr -d '\0' | sed 's/ *$//')"
check "reload summary in the journal" \
	journal_grep '1 added, 1 removed, 1 reloaded, 0 replaced, 1 unchanged' BASICDM_RELOAD_RESULT=applied

# A broken config: refused whole, every error logged with file:line.
tables_before=$(dmsetup table | sort)
cp /etc/basicdm.conf /tmp/good.conf
conf <<'CONF'
volumes = (
  { name = "b"; file = "/var/lib/basicdm/b.img"; },
  { name = "e"; file = "/var/lib/basicdm/e.img"; size = "lots"; }
  { name = "f" }
);
CONF
check "reload with a broken config completes" daemon_reload
check "journal: refused" journal_grep "refused, nothing changed" BASICDM_RELOAD_RESULT=refused
check "journal: the error names /etc/basicdm.conf:LINE" journal_grep "^/etc/basicdm.conf:[0-9]*: " -p err
expect_eq "every map unchanged" "$tables_before" "$(dmsetup table | sort)"
expect_eq "b still the same device" "$b_dev" "$(map_devnum b)"
check "the daemon still runs" systemctl is-active --quiet basicdm

# A config valid in syntax but wrong in meaning: refused the same way.
conf <<'CONF'
volumes = (
  { name = "b"; file = "/var/lib/basicdm/b.img"; sise = "16M"; }
);
CONF
check "reload with an unknown key completes" daemon_reload
check "journal: unknown key named with file:line" journal_grep "^/etc/basicdm.conf:2: .*sise" -p err
expect_eq "every map still unchanged" "$tables_before" "$(dmsetup table | sort)"

# StrictModes: a good config that others could have written is refused,
# at a reload and at start; fixing the mode is enough.
cp /tmp/good.conf /etc/basicdm.conf
chmod 0664 /etc/basicdm.conf
check "reload with a group-writable config completes" daemon_reload
check "journal: group-writable file refused with the fix" \
	journal_grep "^/etc/basicdm.conf: writable by group (mode 0664); refusing it: chmod g-w /etc/basicdm.conf" -p err
expect_eq "every map unchanged after the refused file" "$tables_before" "$(dmsetup table | sort)"
check "basicdmd --check refuses it too" sh -c '! basicdmd --check >/dev/null 2>&1'
mkdir -p /etc/basicdm.conf.d
printf '[volume x]\nfile = /var/lib/basicdm/x.img\nsize = 4M\n' > /etc/basicdm.conf.d/x.conf
chmod 0644 /etc/basicdm.conf
chown nobody /etc/basicdm.conf.d/x.conf
check "reload with a drop-in owned by nobody completes" daemon_reload
check "journal: drop-in not owned by root refused" \
	journal_grep "^/etc/basicdm.conf.d/x.conf: owned by uid [0-9]*, not by root" -p err
check "no map x from the refused drop-in" sh -c '! dmsetup info x >/dev/null 2>&1'
rm -f /etc/basicdm.conf.d/x.conf
exec 7<&-
