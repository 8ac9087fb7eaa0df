#!/usr/bin/env python3
"""Boot the cached Debian guest under QEMU (TCG) and run one payload in it.

The host shares PAYLOAD (read-only, 9p) with the guest; the guest's runner
executes PAYLOAD/guest/entry NAME and talks back over a virtio-serial port
("basicdm.ctl"), one line per message: PASS, FAIL, INFO, QMP, HOST
(disk-add, disk-del, disk-resize, next-boot), DATA, END.  The protocol is
described once, in doc/testing.md ("The guest-host protocol").  Where the
image has a checkpoint (checkpoint.py), the guest is restored from it
instead of booted.

Exit status: 0 when the guest reached END, reported at least one PASS and
no FAIL; 1 otherwise (a timeout, a crash, a failed or missing check).  On
failure the serial console log and the result lines are kept in --logs.
"""

import argparse
import json
import os
import re
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import checkpoint
from machine import Qmp, connect_unix, disk_aio, new_overlay, qemu_command, start_qemu

# Seconds a guest may take to go down for a reboot it asked for: a few
# under emulation; systemd's 90 s stop timeout, or a final detach of the
# maps that never ends, is a hang.
SHUTDOWN_LIMIT = 60


def log(msg):
    print(f"vmrun: {msg}", flush=True)


class Disks:
    """Disks the guest asks to hot-plug: raw files in the run's folder."""

    # What QEMU plugs for each bus; USB and SCSI disks sit on the controllers
    # qemu_command() adds at boot.
    BUSES = {
        "virtio": {"driver": "virtio-blk-pci"},
        "usb": {"driver": "usb-storage", "bus": "xhci.0"},
        "scsi": {"driver": "scsi-hd", "bus": "scsi0.0"},
        "nvme": {"driver": "nvme"},
    }

    def __init__(self, qmp, tmp, plugged=None):
        self.qmp = qmp
        self.tmp = tmp
        # id -> (path, bus, serial, read_only): what a cold boot plugs again
        self.plugged = plugged if plugged is not None else {}

    def request(self, words):
        try:
            if words[0] == "disk-add" and len(words) >= 4:
                options = dict(w.split("=", 1) for w in words[4:])
                return self.add(words[1], int(words[2]), words[3], options)
            if words[0] == "disk-del" and len(words) == 2:
                return self.delete(words[1])
            if words[0] == "disk-resize" and len(words) == 3:
                return self.resize(words[1], int(words[2]))
            if words[0] == "disk-pull" and len(words) == 2:
                return self.pull(words[1])
            return f"ERR unknown request: {' '.join(words)}"
        except (ValueError, OSError, subprocess.CalledProcessError) as e:
            return f"ERR {e}"

    @staticmethod
    def _error(reply):
        err = Qmp.error_of(reply)
        return f"ERR {err}" if err else None

    @staticmethod
    def _partition(path, spec):
        """A GPT holding NAME:MIB[:UUID] partitions in order, 1 MiB aligned."""
        lines = ["label: gpt"]
        for part in spec.split(","):
            name, mib, *uuid = part.split(":")
            line = f"size={int(mib)}MiB, name={name}"
            if uuid:
                line += f", uuid={uuid[0]}"
            lines.append(line)
        subprocess.run(["sfdisk", "--quiet", path], input="\n".join(lines) + "\n",
                       text=True, check=True, stdout=subprocess.DEVNULL)

    def add(self, disk_id, mib, serial, options):
        bus = options.pop("bus", "virtio")
        read_only = options.pop("ro", "0") == "1"
        gpt = options.pop("gpt", None)
        if options or bus not in self.BUSES:
            return f"ERR unknown disk option: {options or bus}"
        path = os.path.join(self.tmp, f"disk-{disk_id}.raw")
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.truncate(mib * 1024 * 1024)
            if gpt:
                self._partition(path, gpt)
        err = self._error(self.qmp.execute({
            "execute": "blockdev-add",
            "arguments": {"driver": "raw", "node-name": f"node-{disk_id}",
                          "read-only": read_only,
                          "file": {"driver": "file", "filename": path,
                                   "read-only": read_only, "aio": disk_aio()}}}))
        if err:
            return err
        device = dict(self.BUSES[bus], id=disk_id, drive=f"node-{disk_id}", serial=serial)
        err = self._error(self.qmp.execute({"execute": "device_add", "arguments": device}))
        if not err:
            self.plugged[disk_id] = (path, bus, serial, read_only)
        return err or "OK"

    @classmethod
    def boot_args(cls, plugged):
        """QEMU arguments that plug PLUGGED's disks at power-on, as they
        were plugged before: a disk stays in the machine across a cold
        boot (next-boot), as it would in a real one."""
        args = []
        for disk_id, (path, bus, serial, read_only) in plugged.items():
            ro = "on" if read_only else "off"
            args += ["-blockdev", f"driver=raw,node-name=node-{disk_id},read-only={ro},"
                                  f"file.driver=file,file.filename={path},file.read-only={ro},"
                                  f"file.aio={disk_aio()}"]
            device = dict(cls.BUSES[bus], id=disk_id, drive=f"node-{disk_id}", serial=serial)
            driver = device.pop("driver")
            args += ["-device", ",".join([driver] + [f"{k}={v}" for k, v in device.items()])]
        return args

    def pull(self, disk_id):
        """The disk is taken out while the machine is off: the next cold
        boot (next-boot) comes up without it.  Until then it stays."""
        if self.plugged.pop(disk_id, None) is None:
            return f"ERR no disk {disk_id} is plugged"
        return "OK"

    def resize(self, disk_id, mib):
        err = self._error(self.qmp.execute({
            "execute": "block_resize",
            "arguments": {"node-name": f"node-{disk_id}", "size": mib * 1024 * 1024}}))
        return err or "OK"

    def delete(self, disk_id):
        err = self._error(self.qmp.execute({"execute": "device_del",
                                            "arguments": {"id": disk_id}}))
        if err:
            return err
        # the guest must acknowledge the ACPI eject before QEMU lets go
        if not self.qmp.wait_event("DEVICE_DELETED", disk_id, 120):
            return f"ERR {disk_id} was not released by the guest within 120 s"
        self.plugged.pop(disk_id, None)
        err = self._error(self.qmp.execute({"execute": "blockdev-del",
                                            "arguments": {"node-name": f"node-{disk_id}"}}))
        return err or "OK"


class Timing:
    """Seconds of one run, split where a scenario's cost can be cut: the
    boots up to the guest's first line, the payload's own work, power-off."""

    def __init__(self):
        self.start = time.monotonic()
        self.boot_start = None
        self.boots = []         # each boot's seconds to its first line
        self.end = self.stop = None

    def elapsed(self):
        return time.monotonic() - self.start

    def boot_started(self):
        self.boot_start = time.monotonic()

    def guest_spoke(self):
        if self.boot_start is not None:
            self.boots.append(time.monotonic() - self.boot_start)
            self.boot_start = None

    def ended(self):
        self.end = time.monotonic()

    def stopped(self):
        self.stop = time.monotonic()

    def summary(self):
        """One line, "timing: boot 27.1 s (1 boot), payload 30.2 s, power-off 2.0 s, total 59.5 s"."""
        now = time.monotonic()
        boot = sum(self.boots)
        payload = (self.end or now) - self.start - boot
        off = (self.stop - self.end) if self.end and self.stop else 0.0
        return (f"timing: boot {boot:.1f} s ({len(self.boots)} boot{'s' if len(self.boots) != 1 else ''}), "
                f"payload {payload:.1f} s, power-off {off:.1f} s, total {now - self.start:.1f} s")


def next_boot(args, qmp, tmp, words):
    """HOST next-boot VMLINUZ INITRD [PARAM...]: returns the answer and the
    next boot, (vmlinuz, initrd, kernel parameters).  PARAMs join the
    runner's command line; a root= among them replaces its root=/dev/vda."""
    if not args.allow_reboot:
        return "ERR next-boot needs --allow-reboot", None
    names, params = words[:2], words[2:]
    if len(names) != 2 or not all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+-]*", n) for n in names):
        return f"ERR next-boot wants two file names: {' '.join(names)}", None
    bad = [p for p in params if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*(=[A-Za-z0-9_.,:/=+-]+)?", p)]
    if bad:
        return f"ERR next-boot: not a kernel parameter this runner passes on: {' '.join(bad)}", None
    files = tuple(os.path.join(tmp, "nextboot", n) for n in names)
    missing = [n for n, f in zip(names, files) if not os.path.isfile(f)]
    if missing:
        return f"ERR not in the nextboot share: {' '.join(missing)}", None
    # the guest's reboot stops QEMU instead of resetting the machine
    reply = qmp.execute({"execute": "set-action", "arguments": {"reboot": "shutdown"}})
    err = Qmp.error_of(reply)
    if err:
        return f"ERR {err}", None
    return "OK", files + (params,)


class ConsoleWatch:
    """HOST expect-stop REGEX: the next boot is to stop before the guest
    speaks (the initramfs gives up and drops to its shell); the run ends
    with one check, that the serial console shows REGEX."""

    TIMEOUT = 300   # the initramfs waits 30 s; booting to it, a few more under emulation

    def __init__(self, pattern):
        self.pattern = re.compile(pattern)
        self.since = None

    def boot_started(self):
        self.since = time.monotonic()

    def seen(self, tmp):
        """The line of the console that matches, once there is one."""
        try:
            with open(os.path.join(tmp, "console.log"), errors="replace") as f:
                for line in f:
                    line = line.rstrip("\r\n")
                    if self.pattern.search(line):
                        return line.strip()
        except FileNotFoundError:
            pass
        return None


def save_data(folder, rest):
    """DATA FILE LINE: results the guest measured, kept on the host."""
    name, _, line = rest.partition(" ")
    if not folder or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        log(f"DATA for {name!r} dropped (no --data folder or a bad file name)")
        return
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "a") as f:
        f.write(line + "\n")


def run(args):
    image = args.image
    tmp = tempfile.mkdtemp(prefix=f"basicdm-vm-{args.run}-")
    results = []
    failed = []
    passed = 0
    ended = False
    reason = None
    proc = None
    kernel = (os.path.join(image, "vmlinuz"), os.path.join(image, "initrd.img"))
    next_kernel = None
    watch = None    # ConsoleWatch of a boot that is to stop in the initramfs
    plugged = {}    # the disks the guest has plugged: they stay across a cold boot
    os.makedirs(os.path.join(tmp, "nextboot"))
    os.makedirs(os.path.join(tmp, "empty"))
    saved = None
    if args.checkpoint and checkpoint.usable(args):
        saved = checkpoint.ensure(args, log)
    deadline = time.monotonic() + args.timeout
    # where the time goes: QEMU started, the guest's first line (its entry
    # ran: booted, payload installed), END, QEMU gone; per boot
    timing = Timing()

    def start(kernel, saved=None):
        """QEMU booting KERNEL, or restored from the save SAVED (checkpoint.py)."""
        for sock in ("ctl.sock", "qmp.sock"):
            if os.path.exists(os.path.join(tmp, sock)):
                os.unlink(os.path.join(tmp, sock))
        timing.boot_started()
        if saved:
            try:
                proc, ctl, qmp = checkpoint.restore(args, tmp, saved, kernel)
            except (OSError, ConnectionError, RuntimeError) as e:
                log(f"restoring the checkpoint failed ({e}); booting instead")
                if os.path.exists(os.path.join(tmp, "root.qcow2")):
                    os.unlink(os.path.join(tmp, "root.qcow2"))
                return start(kernel)
        else:
            if not os.path.exists(os.path.join(tmp, "root.qcow2")):
                new_overlay(os.path.join(tmp, "root.qcow2"), os.path.join(image, "rootfs.img"),
                            "raw")
            proc = start_qemu(qemu_command(args, tmp, kernel) + Disks.boot_args(plugged),
                              stdin=None if args.interactive else subprocess.DEVNULL)
            ctl = connect_unix(f"{tmp}/ctl.sock", time.monotonic() + 30)
            qmp = Qmp(f"{tmp}/qmp.sock", time.monotonic() + 30)
        sel = selectors.DefaultSelector()
        sel.register(ctl, selectors.EVENT_READ)
        return proc, ctl, qmp, sel

    last_line = time.monotonic()    # when the guest last spoke

    def runner_check(check, reason=None):
        """A check the runner makes itself, reported as the guest's are."""
        nonlocal passed
        if reason is None:
            results.append(f"PASS {check}")
            passed += 1
            print(f"{timing.elapsed():6.1f} PASS {args.run}/{check}", flush=True)
        else:
            failed.append(f"{check}: {reason}")
            print(f"{timing.elapsed():6.1f} FAIL {args.run}/{check}: {reason}", flush=True)

    try:
        proc, ctl, qmp, sel = start(kernel, saved)
        disks = Disks(qmp, tmp, plugged)
        buf = b""
        while not ended:
            if proc.poll() is not None and next_kernel:
                # A reboot is a check of its own: the guest's shutdown, from
                # its last line ("rebooting") to QEMU's exit, does not hang
                # (on a stop job, at the final detach of its maps).
                down = time.monotonic() - last_line
                runner_check(f"the guest shut down for the reboot in {down:.0f} s",
                             None if down <= SHUTDOWN_LIMIT else f"more than {SHUTDOWN_LIMIT} s")
                # the reboot the guest announced: the same disk, its kernel
                log(f"the guest rebooted: booting {os.path.basename(next_kernel[0])}")
                kernel, next_kernel = next_kernel, None
                ctl.close()
                proc, ctl, qmp, sel = start(kernel)
                disks = Disks(qmp, tmp, plugged)
                buf = b""
                if watch:
                    watch.boot_started()
                continue
            if watch and watch.since is not None:
                line = watch.seen(tmp)
                if line:
                    runner_check(f"console: the boot stopped {time.monotonic() - watch.since:.0f} s "
                                 f"after power-on with: {line}")
                    ended = True
                    timing.ended()
                    proc.kill()     # the initramfs's shell waits for no one
                    break
                if time.monotonic() - watch.since > ConsoleWatch.TIMEOUT:
                    reason = (f"the console did not show /{watch.pattern.pattern}/ within "
                              f"{ConsoleWatch.TIMEOUT} s of power-on")
                    break
            if proc.poll() is not None:
                reason = f"QEMU exited ({proc.returncode}) before the payload ended"
                break
            left = deadline - time.monotonic()
            if left <= 0:
                reason = f"timed out after {args.timeout} s"
                break
            if not sel.select(timeout=min(left, 1.0)):
                continue
            chunk = ctl.recv(65536)
            if not chunk:
                if next_kernel:
                    # QEMU closes the port as it stops for the reboot
                    proc.wait(timeout=60)
                    continue
                reason = "the guest closed the control channel"
                break
            buf += chunk
            last_line = time.monotonic()
            timing.guest_spoke()
            while b"\n" in buf and not ended:
                raw, buf = buf.split(b"\n", 1)
                line = raw.decode("utf-8", "replace").rstrip("\r")
                results.append(line)
                word, _, rest = line.partition(" ")
                # each line with the seconds since QEMU started: where a
                # scenario spends its time, read off its own output
                at = f"{timing.elapsed():6.1f}"
                if word == "PASS":
                    passed += 1
                    print(f"{at} PASS {args.run}/{rest}", flush=True)
                elif word == "FAIL":
                    failed.append(rest)
                    print(f"{at} FAIL {args.run}/{rest}", flush=True)
                elif word == "INFO":
                    print(f"{at}      {rest}", flush=True)
                elif word == "QMP":
                    reply = qmp.execute(json.loads(rest))
                    ctl.sendall(json.dumps(reply).encode() + b"\n")
                elif word == "HOST" and rest.startswith("expect-stop "):
                    try:
                        watch = ConsoleWatch(rest.split(" ", 1)[1])
                        answer = "OK"
                    except re.error as e:
                        answer = f"ERR expect-stop: {e}"
                    ctl.sendall(answer.encode() + b"\n")
                elif word == "HOST" and rest.startswith("next-boot "):
                    answer, next_kernel = next_boot(args, qmp, tmp, rest.split()[1:])
                    ctl.sendall(answer.encode() + b"\n")
                elif word == "HOST":
                    answer = disks.request(rest.split())
                    ctl.sendall(answer.encode() + b"\n")
                elif word == "DATA":
                    save_data(args.data, rest)
                elif word == "END":
                    ended = True
                    timing.ended()
        if ended:
            try:
                proc.wait(timeout=None if args.interactive else 60)
            except subprocess.TimeoutExpired:
                log("the guest did not power off; stopping QEMU")
            timing.stopped()
    except (OSError, ConnectionError, json.JSONDecodeError) as e:
        reason = f"host side error: {e}"
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    log(timing.summary())
    ok = ended and passed > 0 and not failed
    if ended and passed == 0 and not failed:
        reason = "the payload ended without a single check"
    print(f"{passed} passed, {len(failed)} failed", flush=True)
    if not ok:
        if reason:
            print(f"FAIL {args.run}: {reason}", flush=True)
        keep = os.path.join(args.logs, args.run)
        os.makedirs(keep, exist_ok=True)
        with open(os.path.join(keep, "results.log"), "w") as f:
            f.write("\n".join(results) + "\n")
        console = os.path.join(tmp, "console.log")
        if os.path.exists(console):
            shutil.copy(console, os.path.join(keep, "console.log"))
            with open(console, errors="replace") as f:
                tail = f.readlines()[-40:]
            print("---- last lines of the serial console ----")
            sys.stdout.writelines(tail)
            print("----")
        log(f"logs kept in {keep}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--image", required=True, help="built image folder (build-image.sh)")
    p.add_argument("--payload", required=True, help="folder shared with the guest")
    p.add_argument("--run", required=True, help="name handed to PAYLOAD/guest/entry")
    p.add_argument("--timeout", type=int, default=900)
    p.add_argument("--logs", default="vm-logs")
    p.add_argument("--mem", type=int, default=1536)
    # one vCPU each: ctest runs two VMs on the two host cores
    p.add_argument("--smp", type=int, default=1)
    p.add_argument("--qemu", default="qemu-system-x86_64")
    p.add_argument("--icount", type=int, metavar="SHIFT",
                   help="guest time from executed instructions, 2^SHIFT ns each "
                        "(QEMU -icount shift=SHIFT,sleep=off): the bench's deterministic clock")
    p.add_argument("--mitigations", action="store_true",
                   help="keep the guest kernel's CPU vulnerability mitigations "
                        "(machine.py: the tests boot with mitigations=off)")
    p.add_argument("--interactive", action="store_true",
                   help="serial console on this terminal")
    p.add_argument("--allow-reboot", action="store_true",
                   help="the guest may reboot (the payload runs again after each boot)")
    p.add_argument("--source", help="also share this folder, read-only, as 9p tag 'source'")
    p.add_argument("--bare", action="store_true",
                   help="install nothing of ours in the guest before the payload runs")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="pass basicdm.KEY=VALUE on the guest's kernel command line")
    p.add_argument("--data", help="folder for the guest's DATA lines")
    p.add_argument("--share", action="append", default=[], metavar="TAG=PATH",
                   help="also share PATH, read-only, as 9p tag TAG (the run boots: "
                        "no checkpoint has the share)")
    p.add_argument("--no-checkpoint", dest="checkpoint", action="store_false",
                   help="boot, even where a saved booted guest could be restored")
    p.add_argument("--make-checkpoint", action="store_true",
                   help="only make the image's checkpoint (checkpoint.py), if it has none")
    args = p.parse_args()
    if shutil.which(args.qemu) is None:
        print(f"FAIL {args.run}: {args.qemu} not found: the VM tests cannot run", flush=True)
        return 1
    args.payload = os.path.abspath(args.payload)
    if args.source:
        args.source = os.path.abspath(args.source)
    args.logs = os.path.abspath(args.logs)
    shares = []
    for share in args.share:
        tag, _, path = share.partition("=")
        if not re.fullmatch(r"[A-Za-z0-9_]+", tag) or not os.path.isdir(path):
            p.error(f"--share {share}: wants TAG=FOLDER")
        shares.append((tag, os.path.abspath(path)))
    args.share = shares
    if args.make_checkpoint:
        return 0 if checkpoint.ensure(args, log) else 1
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
