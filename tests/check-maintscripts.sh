#!/bin/bash
# debian/maintscripts: what basicdm's maintainer scripts do with the
# daemon on install, upgrade, reinstall after "apt remove", and what purge
# removes under DPKG_ROOT, without dpkg or systemd: each script runs as
# shipped but with /run moved into a scratch directory, and systemctl,
# deb-systemd-invoke, udevadm and basicdmd are stubs that answer from
# files there and log what they were asked.  The package-install VM
# scenario runs them under dpkg for real.
#
#   check-maintscripts.sh SOURCE_DIR
#
# Prints one line per failed check and exits 1 when there is any.
set -euo pipefail

src=${1:?usage: check-maintscripts.sh SOURCE_DIR}
work=$(mktemp -d "${TMPDIR:-/tmp}/check-maintscripts.XXXXXX")
trap 'rm -rf "$work"' EXIT
bad=0
failed() {
	echo "check-maintscripts: $*" >&2
	bad=1
}

state=$work/state
mkdir -p "$work/bin" "$work/scripts" "$state"
for s in preinst postinst prerm postrm; do
	sed -e "s#/run/#$work/run/#g" -e "s#/usr/libexec/basicdm/#$work/bin/#g" \
		"$src/debian/basicdm.$s" >"$work/scripts/$s"
done
sed -e "s#/usr/libexec/basicdm/#$work/bin/#g" "$src/debian/basic-target-dkms.prerm" \
	>"$work/scripts/dkms-prerm"

# the stubs: the unit is active, enabled, and the configuration declares
# volumes when the file of that name is in $state
cat >"$work/bin/systemctl" <<EOF
#!/bin/sh
case "\$*" in
*is-active*) [ -e "$state/active" ] ;;
*is-enabled*) [ -e "$state/enabled" ] ;;
*) exit 0 ;;
esac
EOF
cat >"$work/bin/deb-systemd-invoke" <<EOF
#!/bin/sh
echo "\$*" >>"$state/invoked"
EOF
cat >"$work/bin/basicdmd" <<EOF
#!/bin/sh
if [ -e "$state/volumes" ]; then
	echo "/etc/basicdm.conf: 2 volumes, configuration valid"
else
	echo "/etc/basicdm.conf: 0 volumes, configuration valid"
fi
EOF
printf '#!/bin/sh\nexit 0\n' >"$work/bin/udevadm"
# / is on volume "sysroot" when the file "root" is in $state
cat >"$work/bin/root-volumes" <<EOF
#!/bin/sh
if [ -e "$state/root" ]; then echo sysroot; fi
EOF
cat >"$work/bin/dpkg-trigger" <<EOF
#!/bin/sh
echo "trigger \$*" >>"$state/invoked"
EOF
printf '#!/bin/sh\nexit 0\n' >"$work/bin/update-initramfs"
chmod +x "$work/bin"/*
export PATH="$work/bin:$PATH"
unset DPKG_ROOT

# given FILE...: a fresh /run of a system under systemd, the unit and the
# configuration as those files of $state say, no call yet
given() {
	rm -rf "${work:?}/run" "$state"
	mkdir -p "$work/run/systemd/system" "$state"
	for f in "$@"; do
		: >"$state/$f"
	done
	: >"$state/invoked"
}

# expect WHAT CALLS: deb-systemd-invoke was asked CALLS (one a line), nothing else
expect() {
	local got
	got=$(cat "$state/invoked")
	[ "$got" = "$2" ] || failed "$1: deb-systemd-invoke got '${got//$'\n'/; }', expected '$2'"
	[ ! -e "$work/run/basicdm.dpkg-upgrade" ] || failed "$1: preinst's note left behind"
}

given enabled
sh "$work/scripts/preinst" install
out=$(sh "$work/scripts/postinst" configure "")
expect "fresh install, no volume" ""
[[ $out == *"declares no volume yet"* ]] || failed "fresh install: no word on declaring volumes"

given enabled volumes
sh "$work/scripts/preinst" install 1.0.0
sh "$work/scripts/postinst" configure 1.0.0 >/dev/null
expect "reinstall after remove, configuration kept" "start basicdm.service"

given enabled volumes active
sh "$work/scripts/preinst" upgrade 1.0.0
sh "$work/scripts/postinst" configure 1.0.0 >/dev/null
expect "upgrade of a running daemon" "restart basicdm.service"

given enabled volumes
sh "$work/scripts/preinst" upgrade 1.0.0
sh "$work/scripts/postinst" configure 1.0.0 >/dev/null
expect "upgrade of a stopped, enabled daemon" ""

given volumes
sh "$work/scripts/preinst" upgrade 1.0.0
sh "$work/scripts/postinst" configure 1.0.0 >/dev/null
expect "upgrade of a stopped, disabled daemon" ""

# an upgrade that failed after preinst, then "apt remove", then an install
given enabled volumes
: >"$work/run/basicdm.dpkg-upgrade"
sh "$work/scripts/preinst" install 1.0.0
sh "$work/scripts/postinst" configure 1.0.0 >/dev/null
expect "install after an upgrade's note was left behind" "start basicdm.service"

# the root on a volume: an upgrade makes the initramfs again, with the new files
given enabled volumes active root
sh "$work/scripts/preinst" upgrade 1.0.0
sh "$work/scripts/postinst" configure 1.0.0 >/dev/null
expect "upgrade with / on a volume" "trigger --no-await update-initramfs
restart basicdm.service"

# ...and removal is refused, with the reason, before anything is stopped
given enabled volumes active root
if out=$(sh "$work/scripts/prerm" remove 2>&1); then
	failed "remove with / on a volume: prerm did not refuse"
fi
[[ $out == *"/ or /usr is on basicdm volume sysroot"* ]] ||
	failed "remove with / on a volume: prerm said '$out'"
expect "remove with / on a volume" ""

# ...and so is the module's, which the initramfs needs as much
given enabled volumes active root
if out=$(sh "$work/scripts/dkms-prerm" remove 2>&1); then
	failed "remove basic-target-dkms with / on a volume: prerm did not refuse"
fi
[[ $out == *"/ or /usr is on basicdm volume sysroot"* ]] ||
	failed "remove basic-target-dkms with / on a volume: prerm said '$out'"
given enabled volumes active
out=$(sh "$work/scripts/dkms-prerm" remove 2>&1) ||
	failed "remove basic-target-dkms, / not on a volume: prerm refused: $out"

given enabled volumes active
sh "$work/scripts/prerm" remove
expect "remove" "stop basicdm.service
stop basicdm-metrics.timer basicdm-metrics.service"

# purge into DPKG_ROOT: the drop-ins there go, and their directory
root=$work/root
mkdir -p "$root/etc/basicdm.conf.d"
for f in local.conf local.conf.dpkg-old local.conf~; do
	: >"$root/etc/basicdm.conf.d/$f"
done
DPKG_ROOT=$root sh "$work/scripts/postrm" purge
[ ! -e "$root/etc/basicdm.conf.d" ] ||
	failed "purge with DPKG_ROOT left $(cd "$root/etc/basicdm.conf.d" && echo ./*)"

exit $bad
