"""The sandbox's processes, found through /proc: kill every process of a run (its
process group, then everything with its uid or in its user namespace), and pick an
unused uid for a run when this process is root."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import time


def kill_all(proc: subprocess.Popen, uid: int | None, ns: str | None) -> None:
    """Kill the process group, then every process of the sandbox's uid / user namespace
    (a fork bomb keeps forking while being killed: repeat until none is left)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for _ in range(200):
        if not _kill_matching(uid, ns):
            break
        time.sleep(0.01)
    proc.wait()


def _kill_matching(uid: int | None, ns: str | None) -> int:
    hits = 0
    for pid in _pids():
        if _belongs(pid, uid, ns):
            hits += 1
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    return hits


def _belongs(pid: int, uid: int | None, ns: str | None) -> bool:
    try:
        if uid is not None and _real_uid(pid) == uid:
            return _state(pid) != "Z"   # a zombie is dead already; its parent reaps it
        return ns is not None and os.readlink(f"/proc/{pid}/ns/user") == ns and _state(pid) != "Z"
    except OSError:
        return False


def userns(pid: int) -> str | None:
    """The child's user namespace when it is not ours (None: none of its own, or gone)."""
    try:
        mine, its = os.readlink("/proc/self/ns/user"), os.readlink(f"/proc/{pid}/ns/user")
    except OSError:
        return None
    return its if its != mine else None


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _status_field(pid: int, name: str) -> str:
    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split()[1]
    return ""


def _real_uid(pid: int) -> int:
    return int(_status_field(pid, "Uid") or -1)


def _state(pid: int) -> str:
    return _status_field(pid, "State")


def count_processes(uid: int) -> int:
    return sum(1 for pid in _pids() if _safe_uid(pid) == uid)


def _safe_uid(pid: int) -> int:
    try:
        return _real_uid(pid)
    except OSError:
        return -1


def fresh_uid() -> int:
    """An unused uid for one run (root only): no process has it, no passwd entry."""
    busy = {_safe_uid(pid) for pid in _pids()}
    while True:
        uid = random.randrange(1_000_000, 2_000_000)
        if uid not in busy:
            return uid
