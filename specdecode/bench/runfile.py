"""The run file on disk: resumable JSONL, one record per finished item, written and
fsync'ed at once (the record itself is specdecode.records).

Rules, in the order `run_bench` applies them:
  1. One writer per run file: `RunLock` takes an exclusive flock on RUN.jsonl.lock (which
     names the holder: pid, host, start time), so a second bench on the same file stops
     with an error naming the first instead of writing every item a second time.
  2. Only run files are touched: a file is a run file when it is empty or its first line
     is a valid record (records.load_record). Anything else is refused before any byte of
     it changes.
  3. A run killed at any moment leaves at most one partial last line (a prefix of a record
     line); `open_run` cuts it off and that item is re-run. A complete last record that
     only lacks its newline is kept (the newline is added).
  4. Resume: items with an ok record are skipped; items whose records are all errors are
     run again (unless the caller keeps errors). The new record is appended; readers take
     an ok record over error records of the same key (analysis.load.latest_per_key).
  5. RUN.jsonl.gz follows the same rules on its decompressed lines (specdecode.runio):
     each record is appended as one gzip member, and a repair rewrites the file atomically.
"""
from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SpecDecodeError
from ..records import dumps, load_record
from ..runio import encode_line, is_gzip, read_members, rewrite

# Every line the writer appends starts with this (new_record puts schema_version first):
# a partial last line left by a kill is a prefix of a record line, so it starts with it.
RECORD_PREFIX = b'{"schema_version": '


def item_key(method: dict, suite: str, suite_version: str, prompt_id: str, seed: int,
             temperature: float, max_new_tokens: int, target: dict, models: dict[str, dict],
             sampling: dict) -> str:
    """sha256 over the canonical JSON of everything that determines the item's result;
    `models` is {role: identity} of every model besides the target the method uses."""
    blob = json.dumps({"method": method, "suite": suite, "suite_version": suite_version,
                       "prompt_id": prompt_id, "seed": seed, "temperature": temperature,
                       "max_new_tokens": max_new_tokens, "target": target, "models": models,
                       "sampling": sampling}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


# ---------------------------------------------------------------------------- the lock


def lock_path(run: Path) -> Path:
    """RUN.jsonl -> RUN.jsonl.lock beside it."""
    return run.with_name(run.name + ".lock")


class RunLock:
    """Exclusive, non-blocking flock on RUN.jsonl.lock for the life of one bench.

    The lock file holds "pid P on HOST since TIME" of its holder; it is removed on release
    (while still locked; `acquire` re-checks that the path it locked is still the file on
    disk, so a removal racing with a second opener cannot give two holders).
    """

    def __init__(self, run: Path):
        self.run = Path(run)
        self.path = lock_path(self.run)
        self.fd: int | None = None

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise SpecDecodeError(f"{self.path}: cannot create the lock file ({exc.strerror}); "
                                      "pass an --out in a writable directory") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = _holder(fd) if exc.errno in (errno.EAGAIN, errno.EACCES) else None
                os.close(fd)
                if holder is None:
                    raise SpecDecodeError(f"{self.path}: cannot lock ({exc.strerror}); "
                                          "put the run file on a local disk") from None
                raise SpecDecodeError(f"{self.run} is being written by another bench ({holder}); "
                                      "wait for it to finish or pass another --out") from None
            try:
                disk, mine = os.stat(self.path), os.fstat(fd)
                same = (disk.st_dev, disk.st_ino) == (mine.st_dev, mine.st_ino)
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # the holder removed the file between our open and flock: retry
        since = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since {since}\n".encode(), 0)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        os.close(self.fd)
        self.fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _holder(fd: int) -> str:
    """What the lock file says about its holder (it writes that just after locking)."""
    for _ in range(20):
        text = os.pread(fd, 500, 0).decode("utf-8", "replace").strip()
        if text:
            return text
        time.sleep(0.05)
    return "another process"


# ---------------------------------------------------------------------------- opening


@dataclass
class RunState:
    """What a run file already holds, by item key."""

    ok: set[str] = field(default_factory=set)       # keys with at least one ok record
    failed: dict[str, str] = field(default_factory=dict)  # keys with only error records -> last error
    cut: int = 0                                    # bytes of a partial last line removed
    outputs: dict[str, tuple] = field(default_factory=dict)  # ok key -> (output_ids tuple, output_text)


def _not_a_run_file(path: Path, why: str) -> SpecDecodeError:
    return SpecDecodeError(f"{path} is not a specdecode run file ({why}); bench leaves it "
                           "untouched: pass a new path or an existing RUN.jsonl to --out")


def _is_record(line: bytes) -> bool:
    try:
        load_record(json.loads(line), "")
    except (ValueError, SpecDecodeError):
        return False
    return True


def _is_partial_record(line: bytes) -> bool:
    """A prefix of a record line, as a kill in the middle of a write leaves it."""
    return line.startswith(RECORD_PREFIX) or (bool(line) and RECORD_PREFIX.startswith(line))


def check_run_file(path: Path, data: bytes) -> None:
    """Raise unless `data` (the bytes of `path`) is a run file: empty, or its first line
    is a valid record (or, alone and unterminated, a record cut short by a kill)."""
    lines = data.split(b"\n")
    first = next((ln for ln in lines if ln.strip()), None)
    if first is None:
        return
    if _is_record(first):
        return
    if first is lines[-1] and _is_partial_record(first):
        return  # killed while writing the first record
    raise _not_a_run_file(path, "its first line is not a record")


def repair(path: Path) -> int:
    """Cut a partial last line off the run file `path`; add the missing newline after a
    complete last record. Returns the bytes removed. Anything else at the end of the file
    (which no kill of the writer produces) is refused, not deleted."""
    if not path.exists():
        return 0
    data, truncated = read_members(path)
    check_run_file(path, data)
    return _repair(path, data, truncated)


def _repair(path: Path, data: bytes, truncated: bool = False) -> int:
    """`truncated`: a .gz file's last member was cut by a kill (runio.read_members); the
    file is rewritten from its decompressed lines even when no partial line shows."""
    if not data or data.endswith(b"\n"):
        if truncated:
            rewrite(path, data)
        return 0
    start = data.rfind(b"\n") + 1
    tail = data[start:]
    if _is_record(tail):                 # a complete record: keep it, finish its line
        _store(path, data, data + b"\n")
        print(f"[bench] {path}: the last record had no final newline; added it", file=sys.stderr)
        return 0
    if tail.strip() and not _is_partial_record(tail):
        lineno = data.count(b"\n") + 1
        raise SpecDecodeError(f"{path}:{lineno}: not a record; fix or move the file "
                              f"(specdecode validate {path})")
    _store(path, data, data[:start])
    return len(data) - start


def _store(path: Path, data: bytes, fixed: bytes) -> None:
    """Make the run file, now holding the JSONL bytes `data`, hold `fixed` instead: `data`
    cut short or `data` plus a newline. A .gz file is rewritten atomically (its members
    cannot be cut in place); a plain file is truncated or appended to in place."""
    if is_gzip(path):
        rewrite(path, fixed)
        return
    with open(path, "r+b") as fh:
        fh.truncate(min(len(data), len(fixed)))
        fh.seek(0, os.SEEK_END)
        fh.write(fixed[len(data):])
        fh.flush()
        os.fsync(fh.fileno())


def scan(path: Path, data: bytes) -> RunState:
    """Keys already in the file, split into ok and failed (errors only)."""
    state = RunState()
    for n, line in enumerate(data.split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            key, status = raw["key"], raw["status"]
        except (ValueError, KeyError, TypeError):
            raise SpecDecodeError(f"{path}:{n} is not a record; fix or move the file "
                                  f"(specdecode validate {path})") from None
        if status == "ok":
            state.ok.add(key)
            state.failed.pop(key, None)
            state.outputs[key] = (tuple(raw.get("output_ids") or ()), raw.get("output_text") or "")
        elif key not in state.ok:
            state.failed[key] = raw.get("error") or "unknown error"
    return state


def open_run(path: Path) -> RunState:
    """Prepare the run file `path` for appending (call it holding the RunLock): refuse a
    file that is not a run file, repair a partial last line, return what it holds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        return RunState()
    if not path.is_file():
        raise _not_a_run_file(path, "not a regular file")
    data, truncated = read_members(path)
    check_run_file(path, data)
    cut = _repair(path, data, truncated)
    if cut:
        print(f"[bench] {path}: cut a truncated last line ({cut} bytes); that item will be re-run",
              file=sys.stderr)
        data = read_members(path)[0]
    state = scan(path, data)
    state.cut = cut
    return state


class RecordWriter:
    """Appends one record per line (per gzip member for .gz); each is complete on disk
    before the next item."""

    def __init__(self, path: Path):
        self.path = path
        self.fh = None

    def write(self, record: dict) -> None:
        if self.fh is None:
            self.fh = open(self.path, "ab")
        self.fh.write(encode_line(self.path, dumps(record) + "\n"))
        self.fh.flush()
        os.fsync(self.fh.fileno())

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None
