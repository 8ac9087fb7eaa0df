"""A booted guest, saved once per image and restored for each scenario.

Every scenario's first boot is the same work: kernel, initrd, systemd,
udev's coldplug, 25 to 30 s under emulation.  So the first scenario of an
image boots it with basicdm.run=@checkpoint: the guest
(image/overlay/usr/local/lib/basicdm-vm/run-payload) says CHECKPOINT once
it is up, with nothing of the host's mounted (QEMU cannot save a guest
with a 9p share mounted), and waits.  The host stops it and saves its
state (QEMU's migration, to a file) beside the copy-on-write layer its
disk was written to.  Each scenario then starts QEMU from that state
(-incoming) on a new layer above that disk, and hands the guest its run:

    RUN <epoch seconds> <64 hex digits of entropy> <kernel command line>

after which the guest goes on as a boot with that command line would:
it mounts the payload and runs the scenario.  A reboot the scenario asks
for is a real one, with that command line.

The save lives in the image's cache folder, IMAGE/checkpoint-KEY/
(disk.qcow2, state, ready: touched at each use), KEY covering QEMU's version, the machine and
the command line it booted with; it goes with the image.  It is made under
a lock, so two tests that start together make it once.
"""

import copy
import fcntl
import glob
import hashlib
import os
import selectors
import shlex
import shutil
import subprocess
import tempfile
import time

import machine

CHECKPOINT_RUN = "@checkpoint"
BOOT_TIMEOUT = 900      # seconds for the saved boot: a loaded host is slow


def _boot_args(args):
    """The options the saved boot runs with: a scenario's, minus its own."""
    a = copy.copy(args)
    a.allow_reboot, a.bare, a.param, a.share, a.source = False, False, [], [], None
    return a


def _key(args):
    version = subprocess.run([args.qemu, "--version"], capture_output=True,
                             text=True, check=True).stdout
    a = _boot_args(args)
    a.payload = "/PAYLOAD"     # the host's side of a share is not saved
    text = "\n".join([version, machine.kernel_append(a, CHECKPOINT_RUN)] +
                     machine.machine_args(a, "/TMP", "/EMPTY"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def usable(args):
    """A scenario that can start from a save: not one run on this terminal,
    nor one with a share of its own (the saved machine has none)."""
    return not args.interactive and not args.share


def ensure(args, log):
    """The folder of the image's save, made now if there is none; None when
    it cannot be made (the scenario then boots)."""
    path = os.path.join(args.image, f"checkpoint-{_key(args)}")
    with open(os.path.join(args.image, "checkpoint.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(os.path.join(path, "ready")):
            os.utime(os.path.join(path, "ready"))
            return path
        # another runner's saves, unused for a day
        for old in glob.glob(os.path.join(args.image, "checkpoint-*")):
            ready = os.path.join(old, "ready")
            if not os.path.exists(ready) or time.time() - os.path.getmtime(ready) > 86400:
                shutil.rmtree(old, ignore_errors=True)
        log("booting the image once to save it (checkpoint)")
        start = time.monotonic()
        try:
            _make(args, path)
        except (OSError, ConnectionError, RuntimeError, subprocess.SubprocessError) as e:
            log(f"no checkpoint: {e}; the scenario boots")
            return None
        log(f"checkpoint saved in {time.monotonic() - start:.1f} s")
        return path


def _make(args, path):
    a = _boot_args(args)
    work = tempfile.mkdtemp(prefix=".checkpoint.", dir=args.image)
    run = tempfile.mkdtemp(prefix="basicdm-vm-checkpoint-")   # sockets: short paths
    proc = None
    try:
        os.makedirs(os.path.join(run, "nextboot"))
        os.makedirs(os.path.join(run, "empty"))
        machine.new_overlay(os.path.join(run, "root.qcow2"),
                            os.path.join(args.image, "rootfs.img"), "raw")
        kernel = (os.path.join(args.image, "vmlinuz"), os.path.join(args.image, "initrd.img"))
        cmd = machine.qemu_command(a, run, kernel, machine.kernel_append(a, CHECKPOINT_RUN))
        proc = machine.start_qemu(cmd, stdin=subprocess.DEVNULL)
        ctl = machine.connect_unix(os.path.join(run, "ctl.sock"), time.monotonic() + 30)
        qmp = machine.Qmp(os.path.join(run, "qmp.sock"), time.monotonic() + 30)
        _wait_for_line(ctl, proc, "CHECKPOINT", time.monotonic() + BOOT_TIMEOUT, run)
        _check(qmp.execute({"execute": "stop"}))
        state = os.path.join(work, "state")
        _check(qmp.execute({"execute": "migrate",
                            "arguments": {"uri": f"exec:cat > {shlex.quote(state)}"}}))
        deadline = time.monotonic() + 300
        while True:
            status = qmp.execute({"execute": "query-migrate"}).get("return", {}).get("status")
            if status == "completed":
                break
            if status in ("failed", "cancelled") or time.monotonic() > deadline:
                raise RuntimeError(f"saving the guest: migration {status}")
            time.sleep(0.1)
        qmp.execute({"execute": "quit"})
        proc.wait(timeout=60)
        os.rename(os.path.join(run, "root.qcow2"), os.path.join(work, "disk.qcow2"))
        open(os.path.join(work, "ready"), "w").close()
        os.rename(work, path)
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(run, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def _check(reply):
    err = machine.Qmp.error_of(reply)
    if err:
        raise RuntimeError(err)


def _wait_for_line(ctl, proc, want, deadline, run):
    sel = selectors.DefaultSelector()
    sel.register(ctl, selectors.EVENT_READ)
    buf = b""
    while want.encode() + b"\n" not in buf:
        if proc.poll() is not None:
            raise RuntimeError(f"QEMU exited ({proc.returncode}) before the guest was up"
                               f"{_console_tail(run)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the guest did not come up within {BOOT_TIMEOUT} s"
                               f"{_console_tail(run)}")
        if sel.select(timeout=1.0):
            chunk = ctl.recv(4096)
            if not chunk:
                raise RuntimeError("the guest closed the control channel")
            buf += chunk


def _console_tail(run):
    try:
        with open(os.path.join(run, "console.log"), errors="replace") as f:
            return ": " + " | ".join(line.strip() for line in f.readlines()[-5:])
    except OSError:
        return ""


def restore(args, tmp, path, kernel):
    """QEMU started from the save at PATH, running, with the scenario handed
    over; returns (proc, ctl, qmp) as a boot would."""
    machine.new_overlay(os.path.join(tmp, "root.qcow2"), os.path.join(path, "disk.qcow2"),
                        "qcow2")
    state = os.path.join(path, "state")
    cmd = machine.qemu_command(args, tmp, kernel) + ["-incoming", f"exec:cat {shlex.quote(state)}"]
    started = time.monotonic()
    proc = machine.start_qemu(cmd, stdin=subprocess.DEVNULL)
    try:
        ctl = machine.connect_unix(os.path.join(tmp, "ctl.sock"), time.monotonic() + 30)
        qmp = machine.Qmp(os.path.join(tmp, "qmp.sock"), time.monotonic() + 30)
        deadline = time.monotonic() + 300
        while True:
            status = qmp.execute({"execute": "query-status"}).get("return", {}).get("status")
            if status not in ("inmigrate", None):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"restoring the saved guest: still {status}")
            time.sleep(0.05)
        if status != "running":
            _check(qmp.execute({"execute": "cont"}))
        print(f"vmrun: restored the checkpoint in {time.monotonic() - started:.1f} s", flush=True)
        ctl.sendall(f"RUN {int(time.time())} {os.urandom(32).hex()} "
                    f"{machine.kernel_append(args)}\n".encode())
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc, ctl, qmp
