"""Confinement of one submission's process, applied inside the sandbox before any of its code runs.

Run by the forked child (see ``zygote.py``) while it is still the grader's: private mount and IPC
namespaces with fresh size-capped tmpfs folders (home, /tmp, /dev/shm, the Keras data folder) that vanish
with the submission, a switch to an unprivileged uid when the process is root, every capability dropped,
``no_new_privs``, a seccomp filter against kernel interfaces a submission has no use for (keyrings,
namespaces, mounts, BPF...), and resource limits. Each step that the host refuses is reported, not
fatal: the parent records what was in force. Depends on the standard library (and pyseccomp when
installed) only.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWNET = 0x00020000, 0x08000000, 0x10000000, 0x40000000
CLONE_NEWUTS, CLONE_NEWPID, CLONE_NEWCGROUP = 0x04000000, 0x20000000, 0x02000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 4, 24, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
NOBODY = 65534

# Kernel interfaces a submission never needs; each is a way out of the sandbox or into another
# submission's data (keyrings are shared per uid), or kernel attack surface.
DENIED_SYSCALLS = (
    "add_key", "keyctl", "request_key", "unshare", "setns", "mount", "umount2", "pivot_root", "chroot",
    "move_mount", "open_tree", "fsopen", "fsmount", "fsconfig", "fspick", "mount_setattr",
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon",
    "swapoff", "acct", "syslog", "quotactl", "open_by_handle_at", "name_to_handle_at", "lookup_dcookie",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "vhangup", "iopl", "ioperm",
)
NAMESPACE_FLAGS = (CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWPID, CLONE_NEWCGROUP)

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    encode = (lambda s: s.encode() if s is not None else None)
    _check(_libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)), f"mount {target}")


def _read_only_bind(fd: int, target: str) -> None:
    """Bind what ``fd`` (opened before the tmpfs hid it) points to onto ``target``, read-only."""
    _mount(f"/proc/self/fd/{fd}", target, None, MS_BIND | MS_REC)
    _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def private_folders(spec: dict, uid: int, gid: int) -> None:
    """New mount and IPC namespaces, then a fresh tmpfs of its own size on each scratch folder. What must
    stay visible below one of them (a Python installation or this checkout under /tmp, as in a CI clone)
    is held by a file descriptor across the mount and bound back read-only."""
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWIPC), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing mounted here propagates back
    folders = sorted(spec["tmpfs"], key=lambda pair: pair[0].count("/"))  # /tmp before a home below it

    def below(path: str, folder: str) -> bool:
        return path == folder or path.startswith(folder.rstrip("/") + "/")

    hidden = [path for path in spec.get("keep", ()) if any(below(path, folder) for folder, _ in folders)]
    data = spec.get("data")
    held: dict[str, int] = {}
    sources: dict[str, int] = {}
    try:  # every descriptor is closed again, also when one cannot be opened: none reaches the student
        for path in hidden:
            if os.path.exists(path):
                held[path] = os.open(path, os.O_PATH | os.O_CLOEXEC)
        for _, source in (data or {}).get("files", ()):
            sources[source] = os.open(source, os.O_PATH | os.O_CLOEXEC)
        for folder, size in folders:
            os.makedirs(folder, exist_ok=True)
            # a folder that gets a bound-back path is sticky and world-writable like any /tmp: the child, root
            # without CAP_DAC_OVERRIDE here, could not create the mount point in a 0700 folder of the student's
            made_inside = [*held, *([data["home"]] if data else [])]
            mode = "1777" if any(below(path, folder) for path in made_inside) else "0700"
            _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, f"size={int(size)},uid={uid},gid={gid},mode={mode}")
        for path, fd in held.items():
            os.makedirs(path, mode=0o755, exist_ok=True)
            _read_only_bind(fd, path)
        _data_folder(data, sources, uid, gid)
    finally:
        for fd in [*held.values(), *sources.values()]:
            os.close(fd)


def _data_folder(data: dict | None, sources: dict[str, int], uid: int, gid: int) -> None:
    if data:  # Keras only uses a writable KERAS_HOME: a small tmpfs with each data set bound read-only in it
        home = data["home"]
        os.makedirs(home, exist_ok=True)  # below a private /tmp (no bubblewrap) it is not there yet
        # mode 0777: the still-privileged child (root without CAP_DAC_OVERRIDE) fills it, then the student owns it
        _mount("tmpfs", home, "tmpfs", MS_NOSUID | MS_NODEV, f"size={1024**2},uid={uid},gid={gid},mode=0777")
        for relative, source in data["files"]:
            target = os.path.join(home, relative)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o444))
            _read_only_bind(sources[source], target)


def drop_privileges(uid: int, gid: int) -> None:
    """Root becomes ``uid``; then no capability is left in any set, and none can be regained."""
    if os.geteuid() == 0 or os.getuid() == 0:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == errno.EINVAL:
            break  # past the last capability this kernel knows
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable for both 32-bit halves: all zero
    _check(_libc.capset(header, data), "capset")
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def status() -> dict:
    """Uids and capabilities as the kernel sees this process now (read back, not assumed)."""
    fields = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            fields[key] = value.split()
    host_uid = None
    try:
        with open("/proc/self/uid_map") as handle:  # the uid outside this user namespace
            own = int(fields["Uid"][1])
            for line in handle:
                inside, outside, count = (int(v) for v in line.split())
                if inside <= own < inside + count:
                    host_uid = outside + own - inside
    except (OSError, ValueError):
        pass
    return {"uid": int(fields["Uid"][1]), "host_uid": host_uid, "cap_eff": int(fields["CapEff"][0], 16),
            "cap_prm": int(fields["CapPrm"][0], 16), "no_new_privs": fields.get("NoNewPrivs", ["0"])[0] == "1"}


def seccomp_filter() -> str | None:
    """Deny ``DENIED_SYSCALLS`` and namespace-creating clones (EPERM); None if installed, else why not."""
    try:
        import pyseccomp as seccomp
    except Exception as exc:  # not installed, or no libseccomp on this host
        return f"pyseccomp unavailable ({type(exc).__name__}: {exc})"
    try:
        deny = seccomp.ERRNO(errno.EPERM)
        rules = seccomp.SyscallFilter(seccomp.ALLOW)
        for name in DENIED_SYSCALLS:
            try:
                rules.add_rule(deny, name)
            except (OSError, ValueError, RuntimeError):
                pass  # a syscall this architecture does not have
        for flag in NAMESPACE_FLAGS:
            rules.add_rule(deny, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
        # clone3 passes its flags in memory a filter cannot read: make the C library fall back to clone
        rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
        rules.load()
    except Exception as exc:
        return f"seccomp filter not loaded ({type(exc).__name__}: {exc})"
    return None


def set_limits(limits: dict) -> None:
    for name, value in limits.items():
        kind = getattr(resource, name)
        resource.setrlimit(kind, (int(value), int(value)))


def confine(spec: dict) -> dict:
    """Apply every step of ``spec`` that this host allows; return what is in force, read back."""
    uid, gid = int(spec.get("uid", NOBODY)), int(spec.get("gid", NOBODY))
    report: dict = {"notes": []}
    was_root = os.geteuid() == 0
    target_uid, target_gid = (uid, gid) if was_root else (os.getuid(), os.getgid())
    try:
        private_folders(spec, target_uid, target_gid)
        report["private_folders"] = True
    except OSError as exc:
        report["private_folders"] = False
        report["notes"].append(f"no private scratch folders or IPC namespace ({exc.strerror or exc})")
    try:
        drop_privileges(target_uid, target_gid)
    except OSError as exc:
        report["notes"].append(f"privileges not fully dropped ({exc})")
    os.chdir(spec["home"])  # after the switch: the new home belongs to the unprivileged uid alone
    problem = seccomp_filter() if spec.get("seccomp", True) else "turned off"
    report["seccomp"] = problem is None
    if problem:
        report["notes"].append(f"no seccomp filter: {problem}")
    set_limits(spec.get("rlimits", {}))
    report.update(status())
    return report
