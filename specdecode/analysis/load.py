"""Read benchmark runs (RUN.jsonl + optional RUN.manifest.json). JSONL only: no models.

Every line is checked against the record schema; an invalid line is a user error naming
file:line, never a silent skip. When several lines share a record key (a resumed run that
retried an item), the LAST one wins and the number superseded is reported.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ..bench.schema import SCHEMA_VERSION, validate_record
from ..errors import SpecDecodeError


@dataclass
class RunSet:
    records: list[dict[str, Any]]                 # deduplicated, in file order
    paths: list[str]
    manifests: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    superseded: int = 0                           # lines replaced by a later line, same key


def manifest_path(run_path: Path) -> Path:
    """RUN.jsonl -> RUN.manifest.json (beside it)."""
    return run_path.with_name(run_path.name.removesuffix(".jsonl") + ".manifest.json")


def _read_manifest(run_path: Path) -> dict[str, Any] | None:
    path = manifest_path(run_path)
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise SpecDecodeError(f"{path}: not valid JSON ({exc.msg}); fix or delete the manifest")


def _parse_line(path: Path, lineno: int, line: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SpecDecodeError(f"{path}:{lineno}: not valid JSON ({exc.msg}); "
                              "remove the truncated line and re-run the benchmark to resume")
    version = record.get("schema_version") if isinstance(record, dict) else None
    if version != SCHEMA_VERSION:
        raise SpecDecodeError(f"{path}:{lineno}: schema_version {version!r}, this analysis "
                              f"reads version {SCHEMA_VERSION}; use a matching specdecode")
    problems = validate_record(record)
    if problems:
        raise SpecDecodeError(f"{path}:{lineno}: invalid record ({problems[0]}); "
                              "regenerate it with `specdecode bench`")
    return record


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """All records of one JSONL file, validated, blank lines ignored."""
    if not path.exists():
        raise SpecDecodeError(f"{path}: no such run file; pass the RUN.jsonl written by bench")
    lines = path.read_text().splitlines()
    records = []
    for lineno, line in enumerate(tqdm(lines, desc=f"read {path.name}", unit="rec",
                                       disable=None, leave=False), start=1):
        if line.strip():
            records.append(_parse_line(path, lineno, line))
    return records


def load_runs(paths: list[str | Path]) -> RunSet:
    """Load and merge runs; later files/lines win on duplicate record keys."""
    if not paths:
        raise SpecDecodeError("no run files given; pass one or more RUN.jsonl paths")
    by_key: dict[str, dict[str, Any]] = {}
    manifests: dict[str, dict[str, Any] | None] = {}
    n_lines = 0
    for p in map(Path, paths):
        records = read_jsonl(p)
        manifests[str(p)] = _read_manifest(p)
        n_lines += len(records)
        for rec in records:
            by_key.pop(rec["key"], None)   # re-insert so order follows the winning line
            by_key[rec["key"]] = rec
    if not by_key:
        raise SpecDecodeError(f"no records in {', '.join(map(str, paths))}; run `specdecode bench` first")
    return RunSet(records=list(by_key.values()), paths=[str(p) for p in paths],
                  manifests=manifests, superseded=n_lines - len(by_key))
