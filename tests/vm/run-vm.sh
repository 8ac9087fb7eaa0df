#!/bin/bash
# Builds (or finds cached) the guest image for BASICDM_KVER, then boots it
# with vmrun.py.  Environment (set by ctest, see CMakeLists.txt):
#   BASICDM_KVER BASICDM_VM_CACHE BASICDM_VM_PAYLOAD BASICDM_VM_LOGS
#   run-vm.sh [--variant V] --image-only     build the image and stop
#   run-vm.sh [--variant V] [vmrun.py args]  e.g. --run target-tutorial
# BASICDM_VM_LONG=1 asks the scenarios for their long rounds (guest: vm_long).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${BASICDM_KVER:?}" "${BASICDM_VM_CACHE:?}"

variant=runtime
if [ "${1:-}" = --variant ]; then
	variant=$2
	shift 2
fi
image=$("$here/image/build-image.sh" "$BASICDM_KVER" "$BASICDM_VM_CACHE" "$variant")
if [ "${1:-}" = --image-only ]; then
	echo "image: $image"
	exit 0
fi
extra=()
[ "${BASICDM_VM_LONG:-0}" = 1 ] && extra+=(--param long=1)
exec python3 "$here/vmrun.py" "${extra[@]}" --image "$image" --payload "${BASICDM_VM_PAYLOAD:?}" \
	--logs "${BASICDM_VM_LOGS:-vm-logs}" "$@"
