#!/usr/bin/env python3
"""Where a test run's time went, from ctest's LastTest.log.

  cost-report.py BUILD/Testing/Temporary/LastTest.log

Prints a Markdown table, slowest first: each test's time and, for a VM
scenario, the host's set-up (run-vm.sh: image, module index), its boots up
to the guest's first line, the payload's own work and the power-off
(vmrun.py's "timing:" line), and the guest's CPU seconds while the
scenario ran with its biggest users (the guest's "cpu" line, one a boot);
then the sums. doc/testing.md shows its
output for a whole ./dev test.
"""

import re
import sys

TEST = re.compile(r"^\d+/\d+ Testing: (\S+)")
TIME = re.compile(r"^Test time =\s*([\d.]+) sec")
SETUP = re.compile(r"run-vm: host set-up ([\d.]+) s")
TIMING = re.compile(r"timing: boot ([\d.]+) s \((\d+) boots?\), payload ([\d.]+) s, "
                    r"power-off ([\d.]+) s")
CPU = re.compile(r"cpu \(guest seconds\): busy (\d+) s(?:: (.*))?$")


def parse(path):
    tests, cur = [], None
    with open(path, errors="replace") as f:
        for line in f:
            m = TEST.match(line)
            if m:
                cur = {"name": m.group(1), "time": 0.0, "setup": None, "boot": None,
                       "boots": 0, "payload": None, "off": None, "busy": None, "users": {}}
                tests.append(cur)
                continue
            if cur is None:
                continue
            if m := TIME.match(line):
                cur["time"] = float(m.group(1))
            elif m := SETUP.search(line):
                cur["setup"] = float(m.group(1))
            elif m := CPU.search(line):
                cur["busy"] = (cur["busy"] or 0) + int(m.group(1))
                for part in (m.group(2) or "").split(", "):
                    if part:
                        who, sec = part.rsplit(" ", 1)
                        cur["users"][who] = cur["users"].get(who, 0) + int(sec)
            elif m := TIMING.search(line):
                cur["boot"], cur["boots"] = float(m.group(1)), int(m.group(2))
                cur["payload"], cur["off"] = float(m.group(3)), float(m.group(4))
    return tests


def cell(v):
    return "" if v is None else f"{v:.0f}"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[2])
    tests = sorted(parse(sys.argv[1]), key=lambda t: -t["time"])
    print("| test | total s | host set-up s | boots | boot s | payload s | power-off s "
          "| guest CPU s | of it |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for t in tests:
        users = sorted(t["users"].items(), key=lambda u: -u[1])[:3]
        print(f"| `{t['name']}` | {t['time']:.0f} | {cell(t['setup'])} | "
              f"{t['boots'] or ''} | {cell(t['boot'])} | {cell(t['payload'])} | {cell(t['off'])} | "
              f"{cell(t['busy'])} | {', '.join(f'{w} {n}' for w, n in users)} |")
    vms = [t for t in tests if t["boot"] is not None]
    total = sum(t["time"] for t in tests)
    print()
    print(f"{len(tests)} tests, {total:.0f} s of test time in all; "
          f"{len(vms)} VM runs: {sum(t['boots'] for t in vms)} boots, "
          f"boot {sum(t['boot'] for t in vms):.0f} s, "
          f"payload {sum(t['payload'] for t in vms):.0f} s, "
          f"power-off {sum(t['off'] for t in vms):.0f} s, "
          f"host set-up {sum(t['setup'] or 0 for t in vms):.0f} s")
    users = {}
    for t in vms:
        for who, sec in t["users"].items():
            users[who] = users.get(who, 0) + sec
    top = sorted(users.items(), key=lambda u: -u[1])[:8]
    print(f"guest CPU while the scenarios ran: {sum(t['busy'] or 0 for t in vms)} s, "
          f"of it {', '.join(f'{w} {n} s' for w, n in top)}")


if __name__ == "__main__":
    main()
