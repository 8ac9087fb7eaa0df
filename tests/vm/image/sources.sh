# Sourced by build-image.sh and build-chroot.sh: the apt sources of another
# Debian release, read from this host's own apt sources (no mirror is
# named anywhere in the project).
# shellcheck shell=bash

# host_release: this host's codename (bookworm, trixie, ...).
host_release() {
	. /etc/os-release && echo "${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}"
}

# release_sources RELEASE: one "deb URI SUITE COMPONENT..." line per suite of
# this host's apt sources (deb822 or one-line), with the host's codename
# replaced by RELEASE: bookworm-security becomes trixie-security on the same
# URI.  Suites of other releases (a backports line, say) are left out.
release_sources() {
	local release=$1 host f
	host=$(host_release)
	{
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] || continue
			awk 'function flush() {
				if (types ~ /(^| )deb( |$)/ && uris != "")
					for (i = 1; i <= nu; i++)
						for (j = 1; j <= ns; j++)
							print "deb", u[i], s[j], comps
				types = uris = comps = ""; nu = ns = 0
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			{ key = $1; sub(/:.*/, "", key); val = $0; sub(/^[^:]*:[ \t]*/, "", val) }
			key == "Types" { types = val }
			key == "URIs" { uris = val; nu = split(val, u, /[ \t]+/) }
			key == "Suites" { ns = split(val, s, /[ \t]+/) }
			key == "Components" { comps = val }
			END { flush() }' "$f"
		done
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -f "$f" ] || continue
			awk '$1 == "deb" { $1 = ""; sub(/^ /, ""); gsub(/\[[^]]*\] */, ""); print "deb", $0 }' "$f"
		done
	} | awk -v host="$host" -v rel="$release" '
		{ suite = $3 }
		suite == host || index(suite, host "-") == 1 {
			$3 = rel substr(suite, length(host) + 1)
			if ($3 !~ /-backports$/) print
		}' | awk '!seen[$0]++'
}
