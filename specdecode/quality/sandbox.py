"""Run untrusted Python (a model's HumanEval completion) in a separate, confined process.

Never exec'd in-process. `run_python(source, limits)` writes the program into a private
temporary directory (deleted afterwards), starts `PYTHON -I -S -B prog.py` there
with an empty environment and waits at most `limits.wall_s`; then every process the
candidate made is killed. Confinement, each layer applied where the platform allows and
recorded in `SandboxResult.isolation` (never a silent failure):

  resource limits (always; preexec_fn): RLIMIT_CPU, RLIMIT_AS (memory), RLIMIT_FSIZE,
      RLIMIT_NOFILE, RLIMIT_CORE = 0, and RLIMIT_NPROC (fork bombs). Root is exempt from
      RLIMIT_NPROC, so when this process is root the child runs as a fresh unused uid
      (no passwd entry, no files, "other" permissions only); otherwise the limit counts
      processes of the child's own user namespace, or, without one, is set to the user's
      current process count plus `limits.processes`.
  user + network namespace: unshare(CLONE_NEWUSER | CLONE_NEWNET) in the child (ctypes;
      Python 3.11 has no os.unshare). The new network namespace has only a loopback
      interface that is down: no connection anywhere, 127.0.0.1 included.
      isolation["network"] is false where that fails (no user namespaces).
  Landlock (landlock.py): writes only beneath the private directory; with ABI >= 4 no
      TCP connect/bind either (so network isolation holds without namespaces), with
      ABI >= 6 no signals to processes outside. isolation["filesystem"] says which
      layer guards files: "landlock", "uid" (root only: a fresh uid), or "none" (then a
      candidate can delete whatever the benchmark's user may delete).
  cleanup: on timeout or exit, the process group is killed, then every process with the
      sandbox's uid (root) or in its user namespace, so a candidate that calls setsid()
      does not outlive the check.

This machine (Linux 6.18, root, user namespaces on, Landlock ABI 7) gets all layers.
A failure of the machinery itself (no temporary directory, process not started, the
interpreter unable to run a trivial program) raises SandboxError; a candidate that
fails, crashes, times out or exceeds a limit is a SandboxResult with passed False.
"""
from __future__ import annotations

import ctypes
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from . import landlock
from .procs import count_processes, fresh_uid, kill_all, userns

_CLONE_NEWUSER, _CLONE_NEWNET = 0x10000000, 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the candidate): the item becomes an error record."""


@dataclass(frozen=True)
class SandboxLimits:
    wall_s: float = 10.0              # wall clock, then the whole process tree is killed
    cpu_s: int = 10                   # RLIMIT_CPU per process (SIGXCPU, then SIGKILL 1 s later)
    memory_bytes: int = 1 << 30       # RLIMIT_AS: 1 GiB of address space per process
    file_bytes: int = 16 << 20        # RLIMIT_FSIZE: largest file (stdout/stderr included)
    open_files: int = 64              # RLIMIT_NOFILE
    processes: int = 32               # RLIMIT_NPROC: processes the candidate may have at once
    tail_chars: int = 2000            # stderr kept in the result


@dataclass(frozen=True)
class SandboxResult:
    status: str                       # ok | failed | timeout | memory | cpu | killed
    returncode: int | None
    stderr: str                       # the last limits.tail_chars characters
    isolation: dict = field(default_factory=dict)  # {network, filesystem, uid, python}

    @property
    def passed(self) -> bool:
        return self.status == "ok"

    @property
    def detail(self) -> str:
        """One line: the status, and for a failure the last line of stderr."""
        last = self.stderr.strip().splitlines()[-1:] if self.status == "failed" else []
        return f"{self.status}: {last[0][:200]}" if last else self.status


def run_python(source: str, limits: SandboxLimits = SandboxLimits()) -> SandboxResult:
    """Run `source` as a program in the sandbox (see the module docstring)."""
    return _run(interpreter(), source, limits)


@lru_cache(maxsize=None)
def interpreter() -> str:
    """The first Python that runs a trivial program in the sandbox, checked once per
    process: sys.executable, else a system python3 (the sandbox uid may not reach a
    virtualenv under a private home). None works: SandboxError, never a score of 0."""
    tried = []
    for python in dict.fromkeys([sys.executable, *_SYSTEM_PYTHONS]):
        if not os.path.exists(python):
            continue
        try:
            res = _run(python, "print('ok')", SandboxLimits(wall_s=30, cpu_s=30))
        except SandboxError as exc:
            tried.append(f"{python}: {exc}")
            continue
        if res.passed:
            return python
        tried.append(f"{python}: {res.detail}")
    raise SandboxError(f"the sandbox cannot run Python ({'; '.join(tried) or 'no interpreter found'}); "
                       "install a python3 that an unprivileged user can execute")


_SYSTEM_PYTHONS = ("/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3")


def _run(python: str, source: str, limits: SandboxLimits) -> SandboxResult:
    try:
        box = tempfile.mkdtemp(prefix="specdecode-sandbox-")
    except OSError as exc:
        raise SandboxError(f"sandbox: cannot create a temporary directory ({exc})") from exc
    try:
        uid = fresh_uid() if os.geteuid() == 0 else None
        _prepare(Path(box), source, uid)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            return _start_and_wait(python, box, uid, limits, out, err)
    finally:
        _remove(box)


def _prepare(box: Path, source: str, uid: int | None) -> None:
    (box / "prog.py").write_text(source, encoding="utf-8")
    if uid is not None:  # the fresh uid owns its directory and nothing else
        for p in (box, box / "prog.py"):
            os.chown(p, uid, uid)


def _start_and_wait(python: str, box: str, uid: int | None, limits: SandboxLimits, out, err) -> SandboxResult:
    report_r, report_w = os.pipe()
    base = 0 if uid is not None else count_processes(os.getuid())
    try:
        proc = _popen(python, box, uid, out, err, _preexec(box, limits, report_w, base))
    finally:
        os.close(report_w)
    try:
        isolation = _read_report(report_r, uid)
        ns = userns(proc.pid)
        timed_out = _wait(proc, limits.wall_s)
    finally:
        os.close(report_r)
        kill_all(proc, uid, locals().get("ns"))
    err.seek(0)
    tail = err.read().decode("utf-8", "replace")[-limits.tail_chars:]
    isolation["python"] = python
    return SandboxResult(_status(proc.returncode, timed_out, tail), proc.returncode, tail, isolation)


def _popen(python, box, uid, out, err, preexec) -> subprocess.Popen:
    ids = {"user": uid, "group": uid, "extra_groups": []} if uid is not None else {}
    try:
        return subprocess.Popen([python, "-I", "-S", "-B", "prog.py"], cwd=box, env={},
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err, close_fds=True,
                                start_new_session=True, preexec_fn=preexec, **ids)
    except (OSError, subprocess.SubprocessError) as exc:
        raise SandboxError(f"sandbox: cannot start the candidate process ({exc})") from exc


def _preexec(box: str, limits: SandboxLimits, report_w: int, base_processes: int):
    """The child's set-up between fork and exec (runs as the sandbox uid already)."""
    def setup() -> None:
        for what, value in ((resource.RLIMIT_CORE, 0), (resource.RLIMIT_AS, limits.memory_bytes),
                            (resource.RLIMIT_FSIZE, limits.file_bytes),
                            (resource.RLIMIT_NOFILE, limits.open_files)):
            resource.setrlimit(what, (value, value))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 1))
        # after unshare: a new user namespace counts only its own processes
        net = _libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0
        nproc = limits.processes + (0 if net else base_processes)
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        fs = landlock.restrict(box)
        os.write(report_w, f"{int(net)} {fs}".encode())

    return setup


def _read_report(fd: int, uid: int | None) -> dict:
    """What the child's set-up achieved; Popen returned, so exec happened and it is complete."""
    net, fs = (int(x) for x in os.read(fd, 64).split())
    return {"network": bool(net) or fs >= 4,
            "filesystem": "landlock" if fs else ("uid" if uid is not None else "none"),
            "uid": uid}


def _wait(proc: subprocess.Popen, wall_s: float) -> bool:
    """True when the wall-clock limit ran out."""
    try:
        proc.wait(timeout=wall_s)
        return False
    except subprocess.TimeoutExpired:
        return True


def _status(returncode: int | None, timed_out: bool, stderr: str) -> str:
    if timed_out:
        return "timeout"
    if returncode == 0:
        return "ok"
    if returncode == -signal.SIGXCPU:
        return "cpu"
    if returncode is not None and returncode < 0:
        return "killed"
    return "memory" if "MemoryError" in stderr else "failed"


def _remove(box: str) -> None:
    """Delete the private directory even where the candidate removed its own permissions."""
    def fix(func, path, _exc):
        os.chmod(os.path.dirname(path), 0o700)
        os.chmod(path, 0o700) if os.path.isdir(path) else None
        func(path)

    shutil.rmtree(box, onerror=fix)
