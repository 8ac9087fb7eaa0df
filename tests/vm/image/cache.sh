# Sourced by build-image.sh and build-chroot.sh: their shared cache in
# CACHE_DIR (BASICDM_VM_CACHE).  Each entry is a folder named for what it
# is and a hash of its inputs, holding "ready" once complete and "used",
# touched on every use; it is reused until an input changes, and deleted
# when unused for BASICDM_VM_CACHE_DAYS days (default 14).  Builds happen
# in CACHE_DIR/.build.XXXXXX and are renamed into place when complete.
# shellcheck shell=bash

# cache_key TEXT FILE...: 16 hex digits over TEXT and the FILEs' contents.
cache_key() {
	local text=$1
	shift
	{ echo "$text"; cat "$@"; } | sha256sum | cut -c1-16
}

# cache_lookup DIR: true (and DIR marked used) when DIR is a complete entry.
cache_lookup() {
	[ -f "$1/ready" ] || return 1
	touch "$1/used"
}

# cache_commit WORK DIR: WORK, complete, becomes the entry DIR.
cache_commit() {
	touch "$1/ready" "$1/used"
	rm -rf "$2"
	mv "$1" "$2"
}

# cache_drop_stale CACHE_DIR KEEP: every entry but KEEP unused for the
# cache's days, and builds that died half-way a day ago or more.
cache_drop_stale() {
	local cache=$1 keep=$2 max_days=${BASICDM_VM_CACHE_DAYS:-14} dir stamp
	for dir in "$cache"/*/; do
		dir=${dir%/}
		[ "$dir" = "$keep" ] && continue
		for stamp in "$dir/used" "$dir/ready" "$dir/.used"; do	# .used: chroots before cache.sh
			[ -f "$stamp" ] && break
		done
		[ -f "$stamp" ] || continue
		if [ -n "$(find "$stamp" -mtime +"$max_days")" ]; then
			echo "${0##*/}: dropping $dir, unused for $max_days days" >&2
			rm -rf "$dir"
		fi
	done
	find "$cache" -maxdepth 1 -name '.build.*' -mtime +0 -exec rm -rf {} + 2>/dev/null || true
}
