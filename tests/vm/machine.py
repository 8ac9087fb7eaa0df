"""The QEMU machine every VM test boots, and the QMP client that steers it.

vmrun.py runs a scenario on it; checkpoint.py saves a booted one and
restores it.  Everything a saved guest must find again when it is restored
is in machine_args().
"""

import ctypes
import functools
import json
import os
import platform
import signal
import socket
import subprocess
import time

PR_SET_PDEATHSIG = 1    # <linux/prctl.h>
SYS_IO_URING_SETUP = 425    # x86_64, <asm/unistd_64.h>
IO_URING_PARAMS_SIZE = 120  # struct io_uring_params, <linux/io_uring.h>


def _die_with_parent():
    # in the child, before exec: the kernel kills QEMU when the runner
    # dies (ctest's timeout, a ^C), instead of leaving a guest running on
    # the CPU the next tests need
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def start_qemu(cmd, **kwargs):
    """QEMU started with CMD (subprocess.Popen's KWARGS), ended with the runner."""
    return subprocess.Popen(cmd, preexec_fn=_die_with_parent, **kwargs)


class Qmp:
    """A minimal QMP client: enough to run commands and skip events."""

    def __init__(self, path, deadline):
        self.sock = connect_unix(path, deadline)
        self.buf = b""
        self.events = []
        self._read()  # greeting
        self.execute({"execute": "qmp_capabilities"})

    def _read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("QMP socket closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    @staticmethod
    def error_of(reply):
        """What a failed command's reply says went wrong; None when it succeeded."""
        if "error" not in reply:
            return None
        return str(reply["error"].get("desc", reply["error"]))

    def execute(self, cmd):
        self.sock.sendall(json.dumps(cmd).encode() + b"\n")
        while True:
            msg = self._read()
            if "event" in msg:
                self.events.append(msg)
                continue
            return msg

    def wait_event(self, name, device, timeout):
        """Wait for a QMP event about DEVICE (e.g. DEVICE_DELETED)."""
        end = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev["event"] == name and ev.get("data", {}).get("device") == device:
                    del self.events[i]
                    return True
            left = end - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                self.events.append(self._read())
            except socket.timeout:
                return False
            finally:
                self.sock.settimeout(None)


def connect_unix(path, deadline):
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
        except (FileNotFoundError, ConnectionRefusedError):
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def kernel_append(args, run=None, params=()):
    """The guest kernel's command line; RUN replaces the scenario's name;
    PARAMS (the guest's, for a next boot) are added, and a root= among
    them replaces root=/dev/vda."""
    # panic=-1 turns a panic into a reboot, which -no-reboot turns into an
    # exit; a scenario that reboots on purpose halts on a panic instead.
    # The lockup and RCU-stall detectors measure host scheduling under
    # software emulation, not the guest: a loaded host starves a vCPU for
    # seconds, and they would print a "BUG" that no kernel code caused.  A
    # real hang still shows as a scenario timeout.
    # mitigations=off: TCG executes nothing speculatively, so the guest
    # kernel's Spectre mitigations (retpolines: two jumps TCG must look up
    # where one was) guard nothing and cost every indirect call; without
    # them the scenarios' process starts, syscalls and udev work ran 7-16 %
    # faster (doc/testing.md, "Where the time goes").  The bench keeps
    # them (--mitigations): its figures are of the kernel as Debian ships it.
    root = next((p for p in params if p.startswith("root=")), "root=/dev/vda")
    append = (f"{root} rw console=ttyS0 loglevel=4 systemd.show_status=0 "
              "nosoftlockup rcupdate.rcu_cpu_stall_suppress=1 "
              f"panic={0 if args.allow_reboot else -1} basicdm.run={run or args.run}")
    if not args.mitigations:
        append += " mitigations=off"
    if args.bare:
        append += " basicdm.bare"
    for param in args.param:
        append += f" basicdm.{param}"
    for param in params:
        if not param.startswith("root="):
            append += f" {param}"
    return append


@functools.lru_cache(maxsize=None)
def disk_aio():
    """QEMU's aio= for the guest's disk images: io_uring where this host's
    kernel lets a process set one up, else QEMU's default pool of threads.
    With the pool every read and write of the guest hops to a worker thread
    and back through the main loop, whose wake-ups take CPU from the vCPU
    threads; io_uring made daemon-faults 4.7 % and stack-luks-lvm 3.3 %
    faster (two guests started together, doc/testing.md)."""
    if platform.machine() != "x86_64":
        return "threads"
    libc = ctypes.CDLL(None, use_errno=True)
    params = ctypes.create_string_buffer(IO_URING_PARAMS_SIZE)
    fd = libc.syscall(ctypes.c_long(SYS_IO_URING_SETUP), ctypes.c_uint(1), params)
    if fd < 0:
        return "threads"
    os.close(fd)
    return "io_uring"


def machine_args(args, tmp, empty):
    """The machine: everything a saved guest must find again when restored
    (its devices, in this order), with the host paths of this run.  The
    source and nextboot shares are always there, pointing at EMPTY when the
    scenario does not use them, so every scenario can restore one save."""
    # -erms,-fsrm: with "fast string" moves announced, the guest kernel
    # copies with byte-wise rep movsb, which TCG runs a byte at a time;
    # without them it copies 8 bytes a step: dd from /dev/zero to
    # /dev/null runs 5 times faster, a boot (the initramfs unpacked) far
    # faster (doc/testing.md, "Where the time goes").
    # --icount N: the guest's clock counts the instructions it executes,
    # 2^N ns each, and jumps over idle time (sleep=off), so a time measured
    # in the guest no longer depends on how busy the host is; QEMU then
    # runs every vCPU in one thread (the bench, doc/performance.md).
    if args.icount is None:
        clock = ["-accel", "tcg,thread=multi"]
    else:
        clock = ["-accel", "tcg,thread=single",
                 "-icount", f"shift={args.icount},sleep=off,align=off"]
    return ["-machine", "pc"] + clock + [
            "-cpu", "max,-erms,-fsrm", "-smp", str(args.smp), "-m", str(args.mem),
            "-nodefaults", "-display", "none",
            "-drive", f"file={tmp}/root.qcow2,if=none,id=root,format=qcow2,cache=unsafe,"
                      f"aio={disk_aio()}",
            "-device", "virtio-blk-pci,drive=root",
            "-virtfs", f"local,path={args.payload},mount_tag=payload,"
                       "security_model=none,readonly=on",
            "-virtfs", f"local,path={args.source or empty},mount_tag=source,"
                       "security_model=none,readonly=on",
            "-virtfs", f"local,path={tmp}/nextboot,mount_tag=nextboot,security_model=none",
            "-device", "virtio-serial-pci",
            "-chardev", f"socket,id=ctl,path={tmp}/ctl.sock,server=on,wait=on",
            "-device", "virtserialport,chardev=ctl,name=basicdm.ctl",
            "-qmp", f"unix:{tmp}/qmp.sock,server=on,wait=off",
            "-device", "virtio-rng-pci",
            # controllers for the USB and SCSI disks a scenario hot-plugs
            "-device", "qemu-xhci,id=xhci",
            "-device", "virtio-scsi-pci,id=scsi0"]


def qemu_command(args, tmp, kernel, append=None):
    """QEMU's command line; KERNEL is the (vmlinuz, initrd) pair to boot,
    or (vmlinuz, initrd, kernel parameters) for a next boot (vmrun.py)."""
    params = kernel[2] if len(kernel) > 2 else ()
    cmd = [args.qemu, "-kernel", kernel[0], "-initrd", kernel[1],
           "-append", append or kernel_append(args, params=params)]
    cmd += machine_args(args, tmp, os.path.join(tmp, "empty"))
    if not args.allow_reboot:
        cmd += ["-no-reboot"]
    for tag, path in args.share:
        cmd += ["-virtfs", f"local,path={path},mount_tag={tag},"
                           "security_model=none,readonly=on"]
    if args.interactive:
        cmd += ["-serial", "mon:stdio"]
    else:
        cmd += ["-serial", f"file:{tmp}/console.log"]
    return cmd


def new_overlay(path, backing, backing_format):
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", backing_format,
                    "-b", backing, path], check=True)
