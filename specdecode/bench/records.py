"""Resumable JSONL records: one line per finished item, written and fsync'ed at once.

A run killed at any moment leaves at most one partial last line; `open_run` detects it,
cuts it off (that item is simply re-run) and returns the keys already finished, so a
rerun of the same command neither loses nor duplicates a record.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path


def item_key(method: dict, suite: str, suite_version: str, prompt_id: str, seed: int,
             temperature: float, max_new_tokens: int, target: dict, draft: dict | None,
             sampling: dict) -> str:
    """sha256 over the canonical JSON of everything that determines the item's result."""
    blob = json.dumps({"method": method, "suite": suite, "suite_version": suite_version,
                       "prompt_id": prompt_id, "seed": seed, "temperature": temperature,
                       "max_new_tokens": max_new_tokens, "target": target, "draft": draft,
                       "sampling": sampling}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def repair(path: Path) -> int:
    """Cut a truncated or corrupt last line off `path`. Returns the bytes removed."""
    if not path.exists():
        return 0
    data = path.read_bytes()
    end = len(data)
    if data and not data.endswith(b"\n"):
        end = data.rfind(b"\n") + 1  # drop the partial last line
    elif data:
        last_start = data.rfind(b"\n", 0, end - 1) + 1
        try:
            json.loads(data[last_start:end])
        except ValueError:
            end = last_start
    if end < len(data):
        with open(path, "r+b") as fh:
            fh.truncate(end)
            fh.flush()
            os.fsync(fh.fileno())
    return len(data) - end


def finished_keys(path: Path) -> set[str]:
    keys: set[str] = set()
    if not path.exists():
        return keys
    with open(path) as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                keys.add(json.loads(line)["key"])
            except (ValueError, KeyError):
                from ..errors import SpecDecodeError

                raise SpecDecodeError(f"{path}:{n} is not a record; fix or move the file (specdecode validate {path})") from None
    return keys


def open_run(path: Path) -> set[str]:
    """Prepare `path` for appending; return the keys of records already in it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    removed = repair(path)
    if removed:
        print(f"[bench] {path}: cut a truncated last line ({removed} bytes); that item will be re-run",
              file=sys.stderr)
    return finished_keys(path)


class RecordWriter:
    """Appends one record per line; each line is complete on disk before the next item."""

    def __init__(self, path: Path):
        self.path = path
        self.fh = None

    def write(self, record: dict) -> None:
        if self.fh is None:
            self.fh = open(self.path, "a", encoding="utf-8")
        self.fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.fh.flush()
        os.fsync(self.fh.fileno())

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None
