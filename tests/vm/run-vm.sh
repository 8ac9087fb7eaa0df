#!/bin/bash
# Builds (or finds cached) the guest image for the payload's platform, then
# boots it with vmrun.py.  Environment (set by ctest, see CMakeLists.txt):
#   BASICDM_VM_CACHE BASICDM_VM_PAYLOAD BASICDM_VM_LOGS
#   (BASICDM_KVER: the kernel, for a payload without a "platform" file)
#   run-vm.sh [--variant V] --image-only     build the image and its
#                                            checkpoint, and stop
#   run-vm.sh [--variant V] [--kernel-debs] [vmrun.py args]
#                                            e.g. --run target-tutorial
# The payload's "platform" file names the release and the kernel its module
# was built for; the image has that release and exactly that kernel.
# --kernel-debs: share a local apt repository with Debian 12's 6.12 kernel
# and headers (image/kernel-debs.sh) as 9p tag "debs".
# BASICDM_VM_LONG=1 asks the scenarios for their long rounds (guest: vm_long).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
setup_start=$(date +%s.%N)
: "${BASICDM_VM_CACHE:?}" "${BASICDM_VM_PAYLOAD:?}"

if [ -f "$BASICDM_VM_PAYLOAD/platform" ]; then
	read -r release kver < "$BASICDM_VM_PAYLOAD/platform"
else
	. "$here/image/sources.sh"
	release=$(host_release) kver=${BASICDM_KVER:?}
fi
variant=runtime
if [ "${1:-}" = --variant ]; then
	variant=$2
	shift 2
fi
image=$("$here/image/build-image.sh" --release "$release" "$kver" "$BASICDM_VM_CACHE" "$variant")
qemu=$("$here/image/emulator.sh" "$BASICDM_VM_CACHE")
if [ "${1:-}" = --image-only ]; then
	echo "image: $image"
	# and the booted guest the scenarios restore (vmrun.py, checkpoint.py)
	exec python3 "$here/vmrun.py" --qemu "$qemu" --image "$image" --payload "$BASICDM_VM_PAYLOAD" \
		--run checkpoint --make-checkpoint
fi
# the guest's depmod for the payload's module, done here (seconds instead of
# a slow part of every boot); a guest without it runs depmod itself
if [ -f "$BASICDM_VM_PAYLOAD/module/basic_target.ko" ]; then
	"$here/image/module-index.sh" "$image" "$kver" "$BASICDM_VM_PAYLOAD/module" ||
		echo "run-vm: no module index from the host; the guest runs depmod" >&2
fi
# where the time goes (doc/testing.md): this side's share, before QEMU starts
awk -v a="$setup_start" -v b="$(date +%s.%N)" \
	'BEGIN { printf "run-vm: host set-up %.1f s (image, module index)\n", b - a }'
extra=()
[ "${BASICDM_VM_LONG:-0}" = 1 ] && extra+=(--param long=1)
args=()
for a in "$@"; do
	if [ "$a" = --kernel-debs ]; then
		debs=$("$here/image/kernel-debs.sh" "$image")
		extra+=(--share "debs=$debs")
	else
		args+=("$a")
	fi
done
exec python3 "$here/vmrun.py" --qemu "$qemu" "${extra[@]}" --image "$image" --payload "$BASICDM_VM_PAYLOAD" \
	--logs "${BASICDM_VM_LOGS:-vm-logs}" "${args[@]}"
