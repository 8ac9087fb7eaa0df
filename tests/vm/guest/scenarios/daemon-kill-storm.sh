# vm-options: --timeout 2000
# kill -9 the daemon at a random moment while 64 file-backed volumes come
# up, round after round: systemd restarts it (Restart=on-failure) and the
# new daemon finishes the job.  After every round: every volume active, one
# loop device per backing file, no map that is not a volume, and the data
# written before the storm reads back.
# Rounds: 3; with vm_long (./dev test --long) 20.
# Random, but reproducible: the seed is printed; basicdm.seed=N replays one.
seed=$(vm_param seed)
seed=${seed:-6464}
RANDOM=$seed
info "random seed $seed (replay with --param seed=$seed)"
if vm_long; then rounds=20; else rounds=3; fi
N=64
names=()
for ((i = 1; i <= N; i++)); do names+=("$(printf 'v%02d' "$i")"); done

install_root
mkdir -p /var/lib/basicdm
{
	echo 'volumes = ('
	for ((i = 0; i < N; i++)); do
		sep=,
		[ "$i" = $((N - 1)) ] && sep=
		echo "  { name = \"${names[i]}\"; file = \"/var/lib/basicdm/${names[i]}.img\"; size = \"4M\"; }$sep"
	done
	echo ');'
} > /etc/basicdm.conf
check "daemon starts with $N volumes" daemon_start
expect_eq "all $N active" "StatusText=$N active, 0 waiting, 0 failed" "$(systemctl show -p StatusText basicdm)"

# 256 KiB of random data on each volume, at a different place on each
sums=()
for ((i = 0; i < N; i++)); do
	dd if=/dev/urandom of="/dev/mapper/${names[i]}" bs=256k seek=$((i % 16)) count=1 \
		oflag=direct status=none
	s=$(dd if="/dev/mapper/${names[i]}" bs=256k skip=$((i % 16)) count=1 iflag=direct \
		status=none | sha256sum)
	sums+=("${s%% *}")
done

n_maps() { dmsetup ls --target basic_target | grep -c '^v[0-9]'; }
all_active() {
	[ "$(systemctl show -p StatusText --value basicdm)" = "$N active, 0 waiting, 0 failed" ] &&
		systemctl is-active --quiet basicdm
}

kills=0 verified=0 t0=$SECONDS
for ((r = 1; r <= rounds; r++)); do
	# stopped, the maps stay: take all of them down (odd rounds) or a random
	# half (even rounds), so that the next start has volumes to bring up
	daemon_stop
	down=0
	for ((i = 0; i < N; i++)); do
		if ((r % 2 == 1 || RANDOM % 2)); then
			dmsetup remove --retry "${names[i]}" >/dev/null 2>&1 && down=$((down + 1))
		fi
	done
	wait_until 60 sh -c "[ \$(losetup -n -l -O NAME | wc -l) -eq $((N - down)) ]" ||
		fail "round $r: the loop devices of the removed maps are released" \
			"$(losetup -n -l -O NAME | wc -l) bound, $((N - down)) expected"
	up=$((N - down))
	# kill once the daemon has made a random number of the missing maps
	target=$((up + RANDOM % (down + 1)))
	((target >= N)) && target=$((N - 1))
	systemctl start --no-block basicdm
	wait_until 60 sh -c '[ "$(systemctl show -p MainPID --value basicdm)" != 0 ]'
	pid=$(systemctl show -p MainPID --value basicdm)
	# a glob on sysfs, no process started: the kill comes as soon as can be
	end=$((SECONDS + 120))
	dm_count
	while [ "$DMN" -lt "$target" ] && [ $SECONDS -lt $end ]; do dm_count; done
	at=$DMN
	if [ -n "$pid" ] && [ "$pid" != 0 ] && kill -9 "$pid" 2>/dev/null; then
		kills=$((kills + 1))
		info "round $r: $down maps taken down, daemon $pid killed with $at of $N maps present (aimed at $target)"
		check "round $r: systemd restarts the daemon" wait_until 120 sh -c \
			"p=\$(systemctl show -p MainPID --value basicdm); [ \"\$p\" != 0 ] && [ \"\$p\" != $pid ]"
	else
		fail "round $r: kill -9 the daemon" "no daemon to kill (MainPID $pid)"
	fi
	check "round $r: all $N volumes active" wait_until 300 all_active || {
		info "$(systemctl status basicdm --no-pager 2>&1 | tail -n 15)"
		break
	}
	missing=0
	for ((i = 0; i < N; i++)); do test -b "/dev/mapper/${names[i]}" || missing=$((missing + 1)); done
	expect_eq "round $r: every /dev/mapper node is there" 0 "$missing"
	expect_eq "round $r: $N maps, no stray one" \
		"$N $N" "$(n_maps) $(dmsetup ls | awk '$1 != "No" {print $1}' | wc -l)"
	# One listing counted in the shell, not a losetup -j per file: the
	# guest's one CPU is the budget.  Matched by inode, as losetup -j
	# does: a loop device attached by a daemon since killed names its file
	# from that daemon's mount namespace, gone with it.
	declare -A ino_of=() bound=()
	while read -r ino f; do ino_of[$f]=$ino; done < <(stat -c '%i %n' /var/lib/basicdm/v*.img)
	while read -r ino; do bound[$ino]=$((${bound[$ino]:-0} + 1)); done < <(losetup -n -l -O BACK-INO)
	dup=0
	for ((i = 0; i < N; i++)); do
		ino=${ino_of[/var/lib/basicdm/${names[i]}.img]:-none}
		[ "${bound[$ino]:-0}" = 1 ] || dup=$((dup + 1))
	done
	unset ino_of bound
	((r == 1)) && info "round $r: losetup -l names: $(losetup -n -l -O NAME,BACK-FILE | grep -v ' /var/lib/basicdm/' | head -n 3 | tr '\n' '|')"
	expect_eq "round $r: one loop device per backing file" 0 "$dup"
	expect_eq "round $r: $N loop devices in all" $N "$(losetup -n -l -O NAME | wc -l)"
	bad=0
	for ((i = 0; i < N; i++)); do
		s=$(dd if="/dev/mapper/${names[i]}" bs=256k skip=$((i % 16)) count=1 iflag=direct \
			status=none | sha256sum)
		if [ "${s%% *}" = "${sums[i]}" ]; then verified=$((verified + 262144)); else bad=$((bad + 1)); fi
	done
	expect_eq "round $r: the data of all $N volumes reads back" 0 "$bad"
done
info "$kills kills in $rounds rounds, $((SECONDS - t0)) s; $verified bytes verified"
data daemon-kill-storm "rounds=$rounds kills=$kills volumes=$N bytes_verified=$verified seconds=$((SECONDS - t0))"
expect_eq "one kill per round" "$rounds" "$kills"
expect_eq "journal: no volume failed" 0 "$(journal_count BASICDM_EVENT=failed)"
