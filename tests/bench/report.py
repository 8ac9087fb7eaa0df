#!/usr/bin/env python3
"""Reduce the guest's bench measurements (OUT/raw/*.csv) to results.

  report.py OUT

Writes OUT/results.csv (one row per measured figure, with its baseline,
ratio and target), OUT/results.json (the same, structured), OUT/results.md
(the tables the README shows) and OUT/chart.png (gnuplot).  Every ratio
compares two things measured in the same VM run.  Exit status 1 when a
phase left no data; a missed target is reported, not an error.
"""

import csv
import json
import math
import os
import shutil
import statistics
import subprocess
import sys

DEVICES = ["raw", "linear", "linear-aa", "basic", "basic-trace", "basic-stats", "basic-stats-ms",
           "basic-stats-nohist", "basic-nocount", "basic-bypass"]
LABELS = {"raw": "raw disk", "linear": "dm-linear", "linear-aa": "dm-linear (A/A)",
          "basic": "basic_target", "basic-trace": "basic_target + trace",
          "basic-stats": "basic_target + dm-stats histogram",
          "basic-stats-ms": "basic_target + dm-stats histogram, ms (jiffies)",
          "basic-stats-nohist": "basic_target + dm-stats region without histogram",
          "basic-nocount": "basic_target built without counters",
          "basic-bypass": "basic_target built with flush_bypasses_map"}
# What the I/O path must keep (issue: the bench that can tell 0.1 %):
# basic_target at this share of dm-linear or better, on an A/A this close to 1.
IO_RATIO_MIN = 0.995
AA_TOLERANCE = 0.001
# What --check asserts of a short run (bench-quick in ./dev test), on the
# instruction-counting clock only: there a ratio of two devices measured
# in one run is CPU work, the same on a busy host, so it can fail a test
# where no time can.
CHECK_AA_TOLERANCE = 0.005
CHECK_BASIC_TOLERANCE = 0.01


def check_io(io, clock):
    """--check: every workload's A/A within CHECK_AA_TOLERANCE of 1 and
    basic_target within CHECK_BASIC_TOLERANCE of dm-linear; the problems,
    one a line (none: it holds)."""
    if clock != "icount":
        return [f"--check needs the instruction-counting clock, this run had '{clock}'"]
    problems = []
    by = {(r["workload"], r["device"]): r for r in io}
    for wl in sorted({r["workload"] for r in io}):
        for dev, tol, what in (("linear-aa", CHECK_AA_TOLERANCE, "A/A (dm-linear against itself)"),
                               ("basic", CHECK_BASIC_TOLERANCE, "basic_target against dm-linear")):
            ratio = by.get((wl, dev), {}).get("iops_ratio")
            if ratio is None or math.isnan(ratio):
                problems.append(f"{wl}: no {what}")
            elif abs(ratio - 1) > tol:
                problems.append(f"{wl}: {what} {ratio:.4f}, not within {tol:.3f} of 1")
    if not io:
        problems.append("no I/O rows")
    return problems


def read(raw, name):
    path = os.path.join(raw, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def p90(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, math.ceil(0.9 * len(xs)) - 1)] if xs else float("nan")


def io_results(rows, ns_per_instruction=None):
    """Per workload and device: medians over rounds, and the ratio to
    dm-linear taken round by round (both ran in the same round, one after
    the other, in an order that rotates), reduced to its median and its
    spread (min-max).  The linear-aa device's ratio is the A/A: the noise
    floor every other ratio of its workload is read against.  On the
    instruction-counting clock (ns_per_instruction), also the guest
    instructions an I/O costs, from the median IOPS: fio keeps the one
    vCPU busy, so a second of guest time is 1e9/ns_per_instruction of them."""
    out = {}
    for r in rows:
        if int(r["round"]) == 0:
            continue    # the warm-up (bench.sh)
        w = out.setdefault(r["workload"], {}).setdefault(r["device"], {})
        w[int(r["round"])] = (float(r["iops"]), float(r["bw_kib"]))
    table = []
    for wl, devs in out.items():
        base = devs.get("linear", {})

        def ratios(d, i):
            return [d[k][i] / base[k][i] for k in sorted(d) if k in base and base[k][i] > 0]

        for dev in DEVICES:
            if dev not in devs:
                continue
            d = devs[dev]
            row = {"workload": wl, "device": dev, "rounds": len(d),
                   "iops": median([v[0] for v in d.values()]),
                   "bw_mib_s": median([v[1] for v in d.values()]) / 1024}
            if base:
                ri, rb = ratios(d, 0), ratios(d, 1)
                row.update(iops_ratio=median(ri), bw_ratio=median(rb),
                           iops_ratio_min=min(ri, default=float("nan")),
                           iops_ratio_max=max(ri, default=float("nan")))
            table.append(row)
    if ns_per_instruction:
        for r in table:
            r["instructions"] = 1e9 / ns_per_instruction / r["iops"] if r["iops"] else float("nan")
        linear = {r["workload"]: r["instructions"] for r in table if r["device"] == "linear"}
        for r in table:
            if r["workload"] in linear:
                r["instructions_over_linear"] = r["instructions"] - linear[r["workload"]]
    # the A/A of each workload beside every one of its rows
    aa = {r["workload"]: r for r in table if r["device"] == "linear-aa"}
    for r in table:
        a = aa.get(r["workload"], {})
        r.update(aa_ratio=a.get("iops_ratio"), aa_ratio_min=a.get("iops_ratio_min"),
                 aa_ratio_max=a.get("iops_ratio_max"))
    return table


def bringup_results(rows):
    by = {}
    for r in rows:
        by.setdefault((int(r["n"]), r["method"]), []).append(r)
    table = []
    for n in sorted({k[0] for k in by}):
        shell = [float(r["nodes_s"]) for r in by.get((n, "shell"), [])]
        daemon = by.get((n, "basicdmd"), [])
        row = {"n": n, "rounds": len(shell),
               "shell_s": median(shell),
               "basicdmd_ready_s": median([float(r["ready_s"]) for r in daemon]),
               "basicdmd_nodes_s": median([float(r["nodes_s"]) for r in daemon])}
        row["ratio"] = row["basicdmd_nodes_s"] / row["shell_s"]
        # udev's own work for the same devices, replayed (bench.sh udev_floor)
        udev = [float(r["nodes_s"]) for r in by.get((n, "udev"), [])]
        row["udev_s"] = median(udev)
        row["floor_ratio"] = row["basicdmd_nodes_s"] / row["udev_s"] if udev else float("nan")
        # CPU seconds, medians: where the time went (bench.sh cpu_snapshot)
        for method, rs in (("shell", by.get((n, "shell"), [])), ("basicdmd", daemon),
                           ("udev", by.get((n, "udev"), []))):
            for key in ("cpu_daemon_s", "cpu_udevd_s", "cpu_script_s", "cpu_guest_s", "uevents"):
                vals = [float(r[key]) for r in rs if r.get(key) not in (None, "")]
                row[f"{method}_{key}"] = median(vals)
        row["basicdmd_ms_per_volume"] = 1000 * row["basicdmd_nodes_s"] / n
        row["shell_ms_per_volume"] = 1000 * row["shell_s"] / n
        table.append(row)
    return table


HOTPLUG_PARTS = ("udev_disk_s", "daemon_s", "udev_map_s")


def hotplug_results(rows):
    """Per kind: the plug's time from the kernel's add event of the disk to
    the link (bench.sh hotplug_phase), and the medians of its parts."""
    kinds, parts = {}, {}
    for r in rows:
        kinds.setdefault(r["kind"], []).append(float(r["seconds"]))
        for part in HOTPLUG_PARTS:
            if r.get(part):
                parts.setdefault(r["kind"], {}).setdefault(part, []).append(float(r[part]))
    out = {k: {"samples": len(v), "median_s": median(v), "p90_s": p90(v),
               "min_s": min(v), "max_s": max(v)} for k, v in kinds.items()}
    for k, ps in parts.items():
        for part, v in ps.items():
            out[k][f"{part[:-2]}_median_s"] = median(v)
    return out


def targets(io, bringup, hotplug, footprint, idle):
    t = []

    def add(name, value, limit, op, note=""):
        met = (value >= limit) if op == ">=" else (value <= limit)
        t.append({"target": name, "value": round(value, 4), "limit": limit, "op": op,
                  "met": bool(met) and not math.isnan(value), "note": note})

    for r in io:
        if r["device"] == "basic":
            note = (f"spread {fmt(r.get('iops_ratio_min'))}–{fmt(r.get('iops_ratio_max'))}; "
                    f"A/A {fmt(r.get('aa_ratio'), 3)}, spread "
                    f"{fmt(r.get('aa_ratio_min'))}–{fmt(r.get('aa_ratio_max'))}")
            add(f"basic_target/dm-linear IOPS, {r['workload']}", r["iops_ratio"], IO_RATIO_MIN, ">=",
                note)
            add(f"basic_target/dm-linear bandwidth, {r['workload']}", r["bw_ratio"], IO_RATIO_MIN,
                ">=")
        if r["device"] == "linear-aa" and r.get("iops_ratio") is not None:
            add(f"A/A off 1 (dm-linear/dm-linear), {r['workload']}", abs(r["iops_ratio"] - 1),
                AA_TOLERANCE, "<=")
        # the dm-stats region a volume gets with latency_histogram (basicdm.conf(5))
        if r["device"] in ("basic-stats", "basic-stats-ms") and r["workload"].endswith("-4k-qd32"):
            what = "dm-stats" if r["device"] == "basic-stats" else "dm-stats in ms"
            add(f"basic_target + {what}/dm-linear IOPS, {r['workload']}", r["iops_ratio"],
                0.95, ">=")
    for r in bringup:
        if r["n"] == 128:
            add("bring-up N=128, basicdmd/shell loop", r["ratio"], 0.5, "<=")
        if not math.isnan(r["floor_ratio"]):
            add(f"bring-up N={r['n']}, basicdmd/udev floor", r["floor_ratio"], 1.10, "<=",
                f"the daemon's share: {fmt(r['basicdmd_nodes_s'] - r['udev_s'])} s")
    if len(bringup) > 1:
        first, last = bringup[0], bringup[-1]
        growth = last["basicdmd_ms_per_volume"] / first["basicdmd_ms_per_volume"]
        add(f"bring-up per volume, N={last['n']} vs N={first['n']} (1 = linear)", growth, 1.25,
            "<=")
    if "raw-by-id" in hotplug and "basicdm-mapper" in hotplug:
        add("hotplug median, /dev/mapper vs by-id link",
            hotplug["basicdm-mapper"]["median_s"] / hotplug["raw-by-id"]["median_s"], 1.5, "<=")
    if footprint:
        big = max(footprint, key=lambda r: int(r["n"]))
        add(f"RSS with {big['n']} volumes (MiB)", int(big["vm_rss_kib"]) / 1024, 8.0, "<=")
    for r in idle:
        window, wd = float(r["window_s"]), float(r["watchdog_s"])
        # sd-event pings the watchdog every 1/2 to 3/4 of WatchdogSec
        allowed = math.ceil(window / (wd / 2)) if wd else 0
        add(f"wakeups idle for {window:.0f} s with {r['n']} volumes", float(r["wakeups"]),
            allowed, "<=", f"watchdog pings at most {allowed}")
    return t


def fmt(x, digits=2):
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def clock_label(meta):
    """Which clock the guest's times are on: every table says it."""
    if meta.get("clock") == "icount":
        shift = int(meta.get("icount_shift") or 0)
        return (f"deterministic clock: guest time counts executed instructions, {2 ** shift} ns "
                f"each (QEMU -icount shift={shift}), so a figure is CPU work, the same on a busy "
                f"host as on an idle one, and a cache miss or a device's latency costs nothing "
                f"extra; fio runs of {meta.get('io_runtime_ms', '?')} ms of guest time after a "
                f"warm-up round")
    return ("wall clock: guest time follows the host's, so the host's other work is in every "
            "figure")


def markdown(meta, io, bringup, hotplug, footprint, idle, tgt, smaps=()):
    counted = any("instructions" in r for r in io)
    md = [f"Measured in one VM run ({meta.get('mode', '?')} mode, kernel {meta.get('kernel', '?')}, "
          f"{meta.get('cpus', '?')} vCPU, QEMU TCG, {meta.get('fio', 'fio')}), "
          f"{clock_label(meta)}.", ""]
    md += ["IOPS and MiB/s are medians over the rounds; \"vs dm-linear\" is the median of the "
           "per-round ratios (each device against dm-linear in the same round), with their "
           "spread (min–max). The dm-linear (A/A) row, a second identical dm-linear map, is the "
           "noise each ratio is to be read against. The flush-heavy row runs on a memory-backed "
           "null_blk disk with a write cache (flushes reach the target), the others on a RAM "
           "disk (brd).", "",
           "| workload | device | IOPS | MiB/s | vs dm-linear | spread | A/A | A/A spread |"
           + (" instructions an I/O | over dm-linear |" if counted else ""),
           "|---|---|---:|---:|---:|---:|---:|---:|" + ("---:|---:|" if counted else "")]
    for r in io:
        md.append(f"| {r['workload']} | {LABELS[r['device']]} | {r['iops']:.0f} | "
                  f"{r['bw_mib_s']:.1f} | {fmt(r.get('iops_ratio'), 4)} | "
                  f"{fmt(r.get('iops_ratio_min'), 4)}–{fmt(r.get('iops_ratio_max'), 4)} | "
                  f"{fmt(r.get('aa_ratio'), 4)} | "
                  f"{fmt(r.get('aa_ratio_min'), 4)}–{fmt(r.get('aa_ratio_max'), 4)} |" +
                  (f" {fmt(r.get('instructions'), 0)} | {r.get('instructions_over_linear', 0):+.0f} |"
                   if counted else ""))
    md += ["", "The udev floor is udev's own work for the same devices: with the shell loop's maps "
           "and loop devices up, the event that made each usable replayed (`udevadm trigger "
           "--action=change --settle`).", "",
           "| volumes | shell loop (s) | basicdmd to READY=1 (s) | basicdmd, all nodes (s) "
           "| udev floor (s) | basicdmd / shell | basicdmd / floor | ms per volume |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in bringup:
        md.append(f"| {r['n']} | {fmt(r['shell_s'])} | {fmt(r['basicdmd_ready_s'])} | "
                  f"{fmt(r['basicdmd_nodes_s'])} | {fmt(r['udev_s'])} | {fmt(r['ratio'], 3)} | "
                  f"{fmt(r['floor_ratio'], 3)} | {fmt(r['basicdmd_ms_per_volume'], 1)} |")
    if bringup and "shell_cpu_udevd_s" in bringup[0]:
        md += ["", "| volumes | method | wall (s) | CPU: udevd and its programs (s) | CPU: losetup+dmsetup "
               "or basicdmd or udevadm (s) | CPU: whole guest (s) | uevents |",
               "|---:|---|---:|---:|---:|---:|---:|"]
        for r in bringup:
            for method, name, wall, own in (("shell", "shell loop", "shell_s", "script"),
                                            ("basicdmd", "basicdmd", "basicdmd_nodes_s", "daemon"),
                                            ("udev", "udev floor", "udev_s", "script")):
                if math.isnan(r[wall]):
                    continue
                md.append(f"| {r['n']} | {name} | {fmt(r[wall])} | {fmt(r[f'{method}_cpu_udevd_s'])} | "
                          f"{fmt(r[f'{method}_cpu_{own}_s'])} | {fmt(r[f'{method}_cpu_guest_s'])} | "
                          f"{fmt(r[f'{method}_uevents'], 0)} |")
    md += ["", "Hot-plug, from the kernel's add event of the disk to its link (udev's timestamps "
           "in the guest); the parts are medians: udev's work on the disk, the daemon's (udev "
           "done with the disk to the kernel's change event of the map's resume), udev's on the "
           "map.", "",
           "| hotplug: kernel's add until | samples | median (s) | p90 (s) | min–max (s) "
           "| udev, disk (s) | basicdmd (s) | udev, map (s) |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    names = {"raw-by-id": "/dev/disk/by-id link (raw disk)",
             "basicdm-mapper": "/dev/mapper/NAME (basicdmd)"}
    for k, h in hotplug.items():
        md.append(f"| {names.get(k, k)} | {h['samples']} | {fmt(h['median_s'], 3)} | "
                  f"{fmt(h['p90_s'], 3)} | {fmt(h['min_s'], 3)}–{fmt(h['max_s'], 3)} | " +
                  " | ".join(fmt(h.get(f"{p[:-2]}_median_s"), 3) if f"{p[:-2]}_median_s" in h
                             else "" for p in HOTPLUG_PARTS) + " |")
    md += ["", "| volumes | daemon RSS (MiB) | of it anonymous (MiB) | peak RSS (MiB) |",
           "|---:|---:|---:|---:|"]
    for r in footprint:
        md.append(f"| {r['n']} | {int(r['vm_rss_kib']) / 1024:.1f} | "
                  f"{int(r['rss_anon_kib']) / 1024:.1f} | {int(r['vm_hwm_kib']) / 1024:.1f} |")
    if smaps:
        big = max(int(r["n"]) for r in smaps)
        top = sorted((r for r in smaps if int(r["n"]) == big), key=lambda r: -int(r["rss_kib"]))[:6]
        md.append(f"\nWhere the RSS is with {big} volumes (KiB): " +
                  ", ".join(f"{r['mapping']} {r['rss_kib']}" for r in top) + ".")
    for r in idle:
        md.append(f"\nIdle for {r['window_s']} s with {r['n']} volumes: {r['wakeups']} wakeups "
                  f"(WatchdogSec={r['watchdog_s']} s).")
    md += ["", "| target | measured | limit | met | note |", "|---|---:|---:|---|---|"]
    for t in tgt:
        md.append(f"| {t['target']} | {t['value']} | {t['op']} {t['limit']} | "
                  f"{'yes' if t['met'] else '**no**'} | {t['note']} |")
    return "\n".join(md) + "\n"


def chart(out, io, bringup, hotplug):
    if not shutil.which("gnuplot"):
        print("report: gnuplot not found, no chart", file=sys.stderr)
        return
    plot = os.path.join(out, "plot")
    os.makedirs(plot, exist_ok=True)
    workloads = list(dict.fromkeys(r["workload"] for r in io))
    shown = ["raw", "linear-aa", "basic", "basic-trace", "basic-stats"]
    with open(os.path.join(plot, "io.dat"), "w") as f:
        f.write("workload " + " ".join(shown) + "\n")
        for wl in workloads:
            vals = {r["device"]: r.get("iops_ratio", float("nan")) for r in io if r["workload"] == wl}
            f.write(wl + " " + " ".join(fmt(vals.get(d, float("nan")), 4) for d in shown) + "\n")
    with open(os.path.join(plot, "bringup.dat"), "w") as f:
        for r in bringup:
            f.write(f"{r['n']} {r['shell_s']} {r['basicdmd_nodes_s']}\n")
    with open(os.path.join(plot, "hotplug.dat"), "w") as f:
        for k, h in hotplug.items():
            f.write(f"\"{k}\" {h['median_s']} {h['p90_s']}\n")
    panels = []
    if io:
        panels.append(f"""
set title "I/O on a RAM disk, relative to dm-linear (median of per-round ratios)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:*]
set key top left
set xtics rotate by -20
set arrow 1 from graph 0, first 0.98 to graph 1, first 0.98 nohead dt 2 lc rgb "red"
plot for [i=2:6] "{plot}/io.dat" using i:xtic(1) title columnheader(i)
unset arrow 1
set xtics norotate
""")
    if len(bringup) > 1:
        panels.append(f"""
set title "Bring-up of N file volumes (s, log scale)"
set style data linespoints
set logscale xy
set xtics auto
set xlabel "N"
plot "{plot}/bringup.dat" using 1:2 title "losetup + dmsetup loop", \\
     "" using 1:3 title "basicdmd"
unset logscale
unset xlabel
""")
    if hotplug:
        panels.append(f"""
set title "Hotplug: device_add until the node (s)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:*]
plot "{plot}/hotplug.dat" using 2:xtic(1) title "median", "" using 3 title "p90"
""")
    if not panels:
        return
    script = (f'set terminal pngcairo noenhanced size {500 * len(panels)},500 font ",10"\n'
              f'set output "{os.path.join(out, "chart.png")}"\n'
              f"set multiplot layout 1,{len(panels)}\n" + "".join(panels) + "unset multiplot\n")
    if subprocess.run(["gnuplot"], input=script, text=True).returncode != 0:
        print("report: gnuplot failed, no chart", file=sys.stderr)


def main():
    args = sys.argv[1:]
    check = "--check" in args
    out = [a for a in args if a != "--check"][0]
    raw = os.path.join(out, "raw")
    meta = {r["key"]: r["value"] for r in read(raw, "meta.csv")}
    ns = 2 ** int(meta.get("icount_shift") or 0) if meta.get("clock") == "icount" else None
    io = io_results(read(raw, "io.csv"), ns)
    bringup = bringup_results(read(raw, "bringup.csv"))
    hotplug = hotplug_results(read(raw, "hotplug.csv"))
    footprint = read(raw, "footprint.csv")
    smaps = read(raw, "smaps.csv")
    idle = read(raw, "idle.csv")
    missing = [n for n, v in (("io", io), ("bring-up", bringup), ("hotplug", hotplug),
                              ("footprint", footprint), ("idle", idle)) if not v]
    tgt = targets(io, bringup, hotplug, footprint, idle)

    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"meta": meta, "io": io, "bringup": bringup, "hotplug": hotplug,
                   "footprint": footprint, "idle": idle, "targets": tgt}, f, indent=2)
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["section", "subject", "metric", "value", "baseline", "ratio"])
        for r in io:
            w.writerow(["io", f"{r['workload']}/{r['device']}", "iops", f"{r['iops']:.1f}",
                        "linear", fmt(r.get("iops_ratio"), 4)])
            w.writerow(["io", f"{r['workload']}/{r['device']}", "bw_mib_s", f"{r['bw_mib_s']:.2f}",
                        "linear", fmt(r.get("bw_ratio"), 4)])
        for r in bringup:
            w.writerow(["bringup", f"n={r['n']}", "basicdmd_nodes_s", fmt(r["basicdmd_nodes_s"], 3),
                        "shell", fmt(r["ratio"], 4)])
            w.writerow(["bringup", f"n={r['n']}", "basicdmd_ready_s", fmt(r["basicdmd_ready_s"], 3),
                        "", ""])
            w.writerow(["bringup", f"n={r['n']}", "shell_s", fmt(r["shell_s"], 3), "", ""])
        base = hotplug.get("raw-by-id", {}).get("median_s")
        for k, h in hotplug.items():
            w.writerow(["hotplug", k, "median_s", fmt(h["median_s"], 3), "raw-by-id",
                        fmt(h["median_s"] / base, 4) if base else ""])
        for r in footprint:
            w.writerow(["footprint", f"n={r['n']}", "vm_rss_kib", r["vm_rss_kib"], "", ""])
        for r in idle:
            w.writerow(["idle", f"n={r['n']}", "wakeups", r["wakeups"], "", ""])
        for t in tgt:
            w.writerow(["target", t["target"], "met" if t["met"] else "missed", t["value"],
                        f"{t['op']} {t['limit']}", ""])
    md = markdown(meta, io, bringup, hotplug, footprint, idle, tgt, smaps)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(md)
    chart(out, io, bringup, hotplug)
    print(md)
    print(f"results in {out}: results.csv results.json results.md chart.png")
    if check:
        problems = check_io(io, meta.get("clock"))
        for p in problems:
            print(f"report: check failed: {p}", file=sys.stderr)
        if problems:
            return 1
        print(f"report: check passed: every A/A within {CHECK_AA_TOLERANCE:.3f} of 1, "
              f"basic_target within {CHECK_BASIC_TOLERANCE:.3f} of dm-linear")
    if missing:
        print(f"report: no data for {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
