"""Read benchmark runs (RUN.jsonl + optional RUN.manifest.json). JSONL only: no models.

Every line is checked against the record schema of its own version and upgraded to the
current one (specdecode.records); an invalid line is a user error naming file:line, never
a silent skip. When several lines share a record key (a resumed run that retried a failed
item), an ok record wins over error records and otherwise the LAST one wins; the number
superseded is reported.

A report compares only like with like (`select_runs`): records are grouped into
configurations, the settings that make their figures comparable (CONFIG_FIELDS), and a
set of runs holding more than one is refused with a one-line error listing them, unless
one is selected (--config ID, or --run-id for settings the records do not show).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import SpecDecodeError
from ..records import manifest_path, read_records

Record = dict[str, Any]

# The bench settings a record does not carry but its run's manifest does (config.*).
MANIFEST_FIELDS = ("split", "top_k", "top_p", "chat")
# Everything that makes two records' figures comparable; the record carries the target
# identity, max_new_tokens and each suite's version, the manifest the rest.
CONFIG_FIELDS = ("target", "max_new_tokens", "suite versions", *MANIFEST_FIELDS)


@dataclass
class RunSet:
    records: list[Record]                         # deduplicated, in file order, current schema
    paths: list[str]
    manifests: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    superseded: int = 0                           # lines replaced by another line, same key
    versions: dict[int, int] = field(default_factory=dict)  # stored schema_version -> lines


def _read_manifest(run_path: Path) -> dict[str, Any] | None:
    path = manifest_path(run_path)
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise SpecDecodeError(f"{path}: not valid JSON ({exc.msg}); fix or delete the manifest")


def latest_per_key(records: list[Record]) -> list[Record]:
    """One record per key: the last ok record, else the last record (all errors). Order
    follows each winner's position."""
    by_key: dict[str, Record] = {}
    for rec in records:
        old = by_key.get(rec["key"])
        if old is not None and old["status"] == "ok" and rec["status"] != "ok":
            continue                       # an error never replaces an ok record
        by_key.pop(rec["key"], None)       # re-insert so order follows the winning line
        by_key[rec["key"]] = rec
    return list(by_key.values())


def load_runs(paths: list[str | Path]) -> RunSet:
    """Load and merge runs; on duplicate record keys ok beats error, then later lines win."""
    if not paths:
        raise SpecDecodeError("no run files given; pass one or more RUN.jsonl paths")
    lines: list[Record] = []
    manifests: dict[str, dict[str, Any] | None] = {}
    versions: dict[int, int] = {}
    for p in map(Path, paths):
        run = read_records(p, progress=True)
        manifests[str(p)] = _read_manifest(p)
        lines += run.records
        for v, n in run.versions.items():
            versions[v] = versions.get(v, 0) + n
    records = latest_per_key(lines)
    if not records:
        raise SpecDecodeError(f"no records in {', '.join(map(str, paths))}; run `specdecode bench` first")
    return RunSet(records=records, paths=[str(p) for p in paths], manifests=manifests,
                  superseded=len(lines) - len(records), versions=dict(sorted(versions.items())))


# ---------------------------------------------------------------------------- configurations


@dataclass
class Configuration:
    id: str                      # short hash of `fields`, for --config
    fields: dict[str, Any]       # what is known of the CONFIG_FIELDS of its records
    records: list[Record]


def _run_settings(manifests: dict[str, dict | None]) -> dict[str, dict]:
    """run_id -> bench config, for every run a manifest describes (the latest invocation,
    and earlier ones whose history entry kept its config)."""
    out: dict[str, dict] = {}
    for man in manifests.values():
        if not man:
            continue
        for entry in [*(man.get("history") or []), man]:
            if entry.get("run_id") and isinstance(entry.get("config"), dict):
                out[entry["run_id"]] = entry["config"]
    return out


def record_fields(rec: Record, settings: dict[str, dict]) -> dict[str, Any]:
    """What is known of a record's configuration; a manifest field is absent (unknown)
    when no manifest describes the record's run."""
    target = rec.get("target") or {}
    fields = {"target": f"{target.get('name')}@{str(target.get('hash'))[:8]}" if target else None,
              "max_new_tokens": rec["max_new_tokens"],
              f"suite {rec['suite']}": rec["suite_version"]}
    config = settings.get(rec["run_id"])
    if config is not None:
        fields.update({k: config.get(k) for k in MANIFEST_FIELDS})
    return fields


def _agrees(a: dict, b: dict) -> bool:
    return all(b[k] == v for k, v in a.items() if k in b)


def configurations(records: list[Record], manifests: dict[str, dict | None]) -> list[Configuration]:
    """Group records into configurations: two records belong together when every field
    known for both agrees (unknown manifest fields, and suites the other did not run,
    agree with anything). Records that could join several groups form their own.
    Groups are ordered by first appearance."""
    settings = _run_settings(manifests)
    fields = [record_fields(r, settings) for r in records]
    groups: list[dict] = []    # {"fields": union of its records' fields, "members": [index], "loose": bool}
    # the best-known records first, so the groups form before records that fit several
    for i in sorted(range(len(records)), key=lambda i: -len(fields[i])):
        fits = [g for g in groups if not g["loose"] and _agrees(fields[i], g["fields"])]
        if len(fits) > 1:      # e.g. unknown sampling, two sampling settings present
            fits = [g for g in groups if g["loose"] and g["fields"] == fields[i]]
            if not fits:
                groups.append({"fields": dict(fields[i]), "members": [], "loose": True})
                fits = groups[-1:]
        elif not fits:
            groups.append({"fields": {}, "members": [], "loose": False})
            fits = groups[-1:]
        fits[0]["fields"].update(fields[i])
        fits[0]["members"].append(i)
    groups.sort(key=lambda g: min(g["members"]))
    out, seen = [], set()
    for g in groups:
        blob = json.dumps(g["fields"], sort_keys=True, default=str)
        gid = hashlib.sha256(blob.encode()).hexdigest()[:6]
        while gid in seen:
            gid = hashlib.sha256((gid + blob).encode()).hexdigest()[:6]
        seen.add(gid)
        out.append(Configuration(gid, g["fields"], [records[i] for i in sorted(g["members"])]))
    return out


def _listing(groups: list[Configuration]) -> str:
    """'ID (field=value of the fields that differ, N records); ...' of every group."""
    keys = list(dict.fromkeys(k for g in groups for k in g.fields))
    differ = [k for k in keys if len({json.dumps(g.fields.get(k), default=str) for g in groups}) > 1]
    out = []
    for g in groups:
        parts = [f"{k}={g.fields.get(k, '?')}" for k in differ[:3]] + [f"{len(g.records)} records"]
        out.append(f"{g.id} ({', '.join(parts)})")
    return "; ".join(out)


def _mixed(groups: list[Configuration], where: str) -> SpecDecodeError:
    return SpecDecodeError(f"{where} mixes {len(groups)} configurations that must not be compared: "
                           f"{_listing(groups)}; report one with --config ID")


def _conflicts(records: list[Record], where: str) -> None:
    """Refuse records of one item (method, suite, prompt, seed, T) with different keys:
    they were run with settings the records do not show (method parameters, sampling,
    model builds), so they must not be pooled."""
    keys: dict[tuple, dict[str, str]] = {}
    for r in records:
        item = (r["method"], r["suite"], r["prompt_id"], r["seed"], r["temperature"])
        keys.setdefault(item, {})[r["key"]] = r["run_id"]
    clashes = [(item, runs) for item, runs in keys.items() if len(runs) > 1]
    if not clashes:
        return
    (method, suite, prompt, seed, temp), runs = clashes[0]
    counts: dict[str, int] = {}
    for r in records:
        counts[r["run_id"]] = counts.get(r["run_id"], 0) + 1
    listing = ", ".join(f"{rid} ({n} records)" for rid, n in counts.items())
    raise SpecDecodeError(
        f"{where}: {len(clashes)} items were run with different settings that the records do not "
        f"show (e.g. {method} on {suite}/{prompt} seed {seed} T={temp}, run ids "
        f"{', '.join(dict.fromkeys(runs.values()))}); report one run with --run-id ID[,ID...] "
        f"(run ids: {listing})")


def select_runs(runset: RunSet, config: str | None = None,
                run_ids: list[str] | None = None) -> RunSet:
    """The records of one configuration (like with like). `run_ids` keeps the records of
    those bench invocations first; `config` picks a configuration by its id (a prefix
    will do). Raises a one-line SpecDecodeError when the records mix configurations and
    none is picked, or when one item was run with different settings."""
    where = ", ".join(runset.paths) or "these runs"
    records = runset.records
    if run_ids:
        present = list(dict.fromkeys(r["run_id"] for r in records))
        missing = [rid for rid in run_ids if rid not in present]
        if missing:
            raise SpecDecodeError(f"--run-id {','.join(missing)}: no such run in {where}. "
                                  f"Available: {', '.join(present)}")
        records = [r for r in records if r["run_id"] in run_ids]
    groups = configurations(records, runset.manifests)
    if config is not None:
        chosen = [g for g in groups if g.id.startswith(config)] if config else []
        if len(chosen) != 1:
            what = "is ambiguous" if chosen else "matches no configuration"
            raise SpecDecodeError(f"--config {config} {what} in {where}. Available: "
                                  f"{_listing(groups)}")
        records = chosen[0].records
    elif len(groups) > 1:
        raise _mixed(groups, where)
    _conflicts(records, where)
    if records is runset.records:
        return runset
    return replace(runset, records=records)


def configuration_of(runset: RunSet) -> dict[str, Any]:
    """The configuration fields of a runset of one configuration (for summary.json)."""
    groups = configurations(runset.records, runset.manifests)
    if len(groups) != 1:
        return {}
    return {"id": groups[0].id, **groups[0].fields}
