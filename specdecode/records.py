"""The benchmark record: one neutral module that bench writes and analysis reads.

It owns, once each:
  - the record schema, versioned; every version ever written stays readable
    (`validate_record` checks a record against the schema of ITS version, `upgrade`
    lifts it to the current in-memory shape, `read_records` does both per file line);
  - the projection of a generation's cycles to JSON (`cycle_to_json`), nothing dropped;
  - the one `counters` function (CLI stats, the bench worker and the test fixtures);
  - the manifest-path rule (RUN.jsonl -> RUN.manifest.json beside it).

No torch here (analysis imports this module and never loads torch): cycles are read by
attribute, so a `types.CycleRecord` and a `TraceCycle` read back from JSON both work.

Raw counters only; every ratio (alpha, tau, speedup, c, v(k)) is computed by analysis/.
The baseline is the method whose method_config["proposer"] == "none".

Timing (seconds of time.perf_counter, measured the same way for every method):
  counters.prefill_s  prompt forward(s) up to the first new token (TTFT)
  counters.decode_s   from the first new token to the last (TPOT = decode_s / (new_tokens - 1))
  counters.total_s    prefill_s + decode_s (end to end; tokens/s is computed from it)
  counters.draft_s / target_s / overhead_s  split of the cycles into the draft stage, the
      target model calls and everything else (the loop's own time); null for peers whose
      internals are not instrumented (hf-*).
  trace[i].start / end / intervals  v2: the cycle and each model call as (start, end) in
      seconds since the generation's start (the prefill's start); the cycle's draft_s /
      target_s / overhead_s are derived from them and kept as convenience numbers.
  prefill_intervals  v2: the prefill's model calls, same clock.

Repetitions (bench `repeats: r`, optional v2 field `repeats`): the item was generated r
times (same seed, so the same tokens), interleaved with the other methods of its prompt.
  repeats            [{new_tokens, prefill_s, decode_s, total_s}, ...], one entry per
      repetition in run order; absent or null in records written before the field existed
      (read as one repetition: the counters) and in error records.
  counters, trace, outputs  those of the MEDIAN repetition by total_s (the lower middle one
      when r is even), a real generation, so counters and trace agree with each other.
  Analysis times an item by the median over `repeats` of each timing field (the mean of
      the two middle ones when r is even); see analysis.metrics.timing.

Version history:
  1  cycles: k, drafted, accepted, emitted, draft_s, target_s, overhead_s, token_index;
     one `draft` model identity.
  2  cycles also carry outcomes, kind, tokens, depth, mismatches, draft_calls, start/end,
     intervals and (on request) per-position statistics; `draft` is replaced by `models`
     ({role: identity} of every model besides the target the method used, {} for none;
     files its components' params name are listed as role.param, e.g. controller.head);
     counters.mismatches; prefill_intervals. A v1 record upgrades to v2 with the fields
     v1 did not record set to null.
     Later additions, optional (v2 records without them stay valid): repeats, quality.

Forecast (optional v2 field `forecast`, specdecode/timeseries): records of `specdecode ts
bench` only. One forecast window: its channel and origin, mse / mae / crps and the
prediction and truth (z-scored with training statistics). In those records a "token" is a
patch: new_tokens counts patches, trace[i].tokens holds committed patch indices, the
temperature is sigma, suite is the data set and prompt_id the window.

Quality (optional v2 field `quality`, specdecode/quality): null for error records, for
records written before the field existed, and for items not scored; else
  {"scorer": name, "score": [0, 1], "binary": bool, "detail": str | null,
   "agreement": null | {"baseline": method, "prefix_match": [0, 1], "chrf": [0, 1]}}
scored after generation (no timing includes it); agreement compares the output with the
baseline method's output for the same (suite, prompt, seed, temperature).
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from .errors import SpecDecodeError
from .runio import iter_lines, run_stem

if TYPE_CHECKING:
    from .types import CycleRecord, Interval

SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)

Record = dict[str, Any]

_NUM = {"type": "number", "minimum": 0}
_NUM_OR_NULL = {"type": ["number", "null"], "minimum": 0}
_INT = {"type": "integer", "minimum": 0}
_INT_OR_NULL = {"type": ["integer", "null"], "minimum": 0}
_INT_LIST = {"type": "array", "items": _INT}
_IDENTITY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "hash"],
    # dtype: present only when not fp32 (dtypes.py), so fp32 keys stay what they were
    "properties": {"name": {"type": "string"}, "hash": {"type": "string"},
                   "dtype": {"enum": ["bf16"]}},
}
_MODEL = {**_IDENTITY, "type": ["object", "null"]}

# ---------------------------------------------------------------------------- v1 (read only)
# Exactly the schema version 1 files were written with; kept to validate old files.

CYCLE_SCHEMA_V1 = {
    "type": "object",
    "additionalProperties": False,
    "required": ["k", "drafted", "accepted", "emitted", "draft_s", "target_s", "overhead_s",
                 "token_index"],
    "properties": {
        "k": _INT, "drafted": _INT, "accepted": _INT, "emitted": _INT,
        "draft_s": _NUM, "target_s": _NUM, "overhead_s": _NUM, "token_index": _INT,
    },
}

_COUNTERS_V1_PROPERTIES = {
    "new_tokens": _INT,
    "target_calls": _INT_OR_NULL,
    "draft_calls": _INT_OR_NULL,
    "cycles": _INT_OR_NULL,
    "drafted": _INT_OR_NULL,
    "accepted": _INT_OR_NULL,
    "accepted_per_position": {"type": ["array", "null"], "items": _INT},
    "reached_per_position": {"type": ["array", "null"], "items": _INT},
    "tau_hist": {"type": ["array", "null"], "items": _INT},
    "recovered": _INT_OR_NULL,
    "bonus": _INT_OR_NULL,
    "draft_s": _NUM_OR_NULL,
    "target_s": _NUM_OR_NULL,
    "overhead_s": _NUM_OR_NULL,
    "prefill_s": _NUM,
    "decode_s": _NUM,
    "total_s": _NUM,
}

COUNTERS_SCHEMA_V1 = {
    "type": "object",
    "additionalProperties": False,
    "required": list(_COUNTERS_V1_PROPERTIES),
    "properties": _COUNTERS_V1_PROPERTIES,
}

_RECORD_V1_PROPERTIES = {
    "schema_version": {"const": 1},
    "key": {"type": "string", "pattern": "^[0-9a-f]{16,64}$"},
    "run_id": {"type": "string"},
    "status": {"enum": ["ok", "error"]},
    "error": {"type": ["string", "null"]},
    "method": {"type": "string", "minLength": 1},
    "method_config": {"type": "object"},
    "exact": {"type": "boolean"},
    "suite": {"type": "string"},
    "suite_version": {"type": "string"},
    "prompt_id": {"type": "string"},
    "seed": {"type": "integer"},
    "temperature": {"type": "number", "minimum": 0},
    "max_new_tokens": _INT,
    "target": _MODEL,
    "draft": _MODEL,
    "prompt_tokens": _INT,
    "output_ids": _INT_LIST,
    "output_text": {"type": "string"},
    "finish_reason": {"enum": ["length", "eos", "stop", "context", "error"]},
    "counters": {"anyOf": [COUNTERS_SCHEMA_V1, {"type": "null"}]},
    "trace": {"type": ["array", "null"], "items": CYCLE_SCHEMA_V1},
    "created": {"type": "string"},
}

RECORD_SCHEMA_V1 = {
    "type": "object",
    "additionalProperties": False,
    "required": list(_RECORD_V1_PROPERTIES),
    "properties": _RECORD_V1_PROPERTIES,
}

# ---------------------------------------------------------------------------- v2 (current)
# A field marked "null: v1" is null only in records upgraded from version 1.

_FLOAT_OR_NULL = {"type": ["number", "null"]}   # null: not finite (kept out of JSON)
_INTERVALS = {
    "type": ["array", "null"],                   # null: v1 / not instrumented
    "items": {"type": "array", "minItems": 3, "maxItems": 3,
              "prefixItems": [{"type": "string"}, {"type": "number"}, {"type": "number"}]},
}

POSITION_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["draft_token", "target_token", "p_x", "q_x", "entropy_q", "entropy_p", "kl_qp"],
    "properties": {
        "draft_token": _INT,        # the token drafted at this position
        "target_token": _INT,       # the target's argmax there
        "p_x": _FLOAT_OR_NULL,      # target probability of the drafted token (temperature 1)
        "q_x": _FLOAT_OR_NULL,      # draft probability of it (1 for a deterministic draft)
        "entropy_q": _FLOAT_OR_NULL,  # nats
        "entropy_p": _FLOAT_OR_NULL,
        "kl_qp": _FLOAT_OR_NULL,    # KL(q || p), nats; null when the draft gives no distribution
    },
}

_EVENTS = {"type": "object", "additionalProperties": _INT,
           "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"}}

CYCLE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["k", "drafted", "accepted", "emitted", "outcomes", "kind", "tokens", "depth",
                 "mismatches", "draft_calls", "token_index", "start", "end", "intervals",
                 "draft_s", "target_s", "overhead_s", "positions"],
    "properties": {
        "k": _INT,                  # draft length the controller asked for
        "drafted": _INT,            # nodes proposed (< k: early stop / no match; a tree may exceed k)
        "accepted": _INT,           # accepted path length
        "emitted": _INT,            # tokens committed this cycle (after EOS / budget truncation)
        "outcomes": {"type": ["array", "null"], "items": {"type": "boolean"}},  # per checked position; null: v1
        "kind": {"enum": ["bonus", "recovered", "none", None]},                 # null: v1
        "tokens": {"type": ["array", "null"], "items": _INT},                   # committed ids; null: v1
        "depth": _INT_OR_NULL,      # deepest node (a chain: drafted); null: v1
        "mismatches": _INT_OR_NULL,  # accepted tokens the exact rule would have rejected; null: v1
        "draft_calls": _INT_OR_NULL,  # draft model forward calls; null: v1
        "token_index": _INT,        # new tokens committed before this cycle
        "start": _NUM_OR_NULL,      # seconds since the generation's start; null: v1
        "end": _NUM_OR_NULL,
        "intervals": _INTERVALS,    # [[what, start, end], ...]: the draft stage, each target call
        "draft_s": _NUM,            # derived from intervals (busy time of 'draft')
        "target_s": _NUM,           # ... of 'target'
        "overhead_s": _NUM,         # (end - start) minus the busy time of all intervals
        "positions": {"type": ["array", "null"], "items": POSITION_SCHEMA},  # on request
        # optional, written only when a proposer option fired: {name: count} this cycle
        "events": _EVENTS,
    },
}

COUNTERS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": [*_COUNTERS_V1_PROPERTIES, "mismatches"],
    "properties": {
        **_COUNTERS_V1_PROPERTIES,
        # accepted_per_position[i]: cycles whose checked position i (0-based) was accepted;
        # reached_per_position[i]: cycles whose position i was checked (every earlier one
        # accepted). alpha = sum(accepted) / sum(reached).
        "mismatches": _INT_OR_NULL,  # accepted tokens an exact rule would have rejected
        # optional: proposer events summed over the cycles ({name: count}), only when some
        # cycle had one (trace[i].events, Proposal.events)
        "events": _EVENTS,
    },
}

TIMING_KEYS = ("prefill_s", "decode_s", "total_s")

REPEAT_SCHEMA = {   # one repetition of the item: its tokens and wall times (see counters)
    "type": "object",
    "additionalProperties": False,
    "required": ["new_tokens", *TIMING_KEYS],
    "properties": {"new_tokens": _INT, **{k: _NUM for k in TIMING_KEYS}},
}

_RECORD_PROPERTIES = {
    **{k: v for k, v in _RECORD_V1_PROPERTIES.items() if k != "draft"},
    "schema_version": {"const": SCHEMA_VERSION},
    "models": {"type": "object", "additionalProperties": _IDENTITY,
               "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"}},
    "counters": {"anyOf": [COUNTERS_SCHEMA, {"type": "null"}]},   # null iff status error
    "trace": {"type": ["array", "null"], "items": CYCLE_SCHEMA},  # null: peers, errors
    "prefill_intervals": _INTERVALS,
}
_UNIT = {"type": "number", "minimum": 0, "maximum": 1}
AGREEMENT_SCHEMA = {   # the output vs the baseline method's output (same prompt, seed, T)
    "type": "object",
    "additionalProperties": False,
    "required": ["baseline", "prefix_match", "chrf"],
    "properties": {"baseline": {"type": "string"}, "prefix_match": _UNIT, "chrf": _UNIT},
}
QUALITY_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["scorer", "score", "binary", "detail", "agreement"],
    "properties": {
        "scorer": {"type": "string"}, "score": _UNIT, "binary": {"type": "boolean"},
        "detail": {"type": ["string", "null"]},
        "agreement": {"anyOf": [AGREEMENT_SCHEMA, {"type": "null"}]},
    },
}
DIVERGENCE_SCHEMA = {   # audit.py: where an exact method left target-only, and why
    "type": "object",
    "additionalProperties": False,
    "required": ["position", "gap", "margin", "tolerance", "numerical"],
    "properties": {"position": _INT, "gap": {"type": ["number", "null"]},
                   "margin": {"type": ["number", "null"]}, "tolerance": _NUM,
                   "numerical": {"type": "boolean"}},
}
_FLOATS = {"type": "array", "items": {"type": "number"}}
FORECAST_SCHEMA = {   # specdecode/timeseries: one forecast window (continuous values)
    "type": "object",
    "additionalProperties": False,
    "required": ["channel", "origin", "mse", "mae", "crps", "prediction", "truth"],
    "properties": {"channel": _INT, "origin": _INT, "mse": _NUM, "mae": _NUM, "crps": _NUM,
                   "prediction": _FLOATS, "truth": _FLOATS},   # z-scored units (train stats)
}
_OPTIONAL_PROPERTIES = {   # v2 fields added later: records written before them stay valid
    "repeats": {"type": ["array", "null"], "items": REPEAT_SCHEMA, "minItems": 1},
    "quality": {"anyOf": [QUALITY_SCHEMA, {"type": "null"}]},   # null: error / not scored
    "divergence": {"anyOf": [DIVERGENCE_SCHEMA, {"type": "null"}]},  # exact methods at T = 0
    "forecast": {"anyOf": [FORECAST_SCHEMA, {"type": "null"}]},  # timeseries records only
}

RECORD_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": list(_RECORD_PROPERTIES),
    "properties": {**_RECORD_PROPERTIES, **_OPTIONAL_PROPERTIES},
}

SCHEMAS = {1: RECORD_SCHEMA_V1, 2: RECORD_SCHEMA}

COUNTER_KEYS = tuple(COUNTERS_SCHEMA["required"])
INSTRUMENTED_KEYS = tuple(k for k in COUNTER_KEYS
                          if k not in ("new_tokens", "prefill_s", "decode_s", "total_s"))

# ---------------------------------------------------------------------------- validation


def validate_record(record: Any) -> list[str]:
    """Schema violations of one record as stored (empty when valid), checked against the
    schema of the record's own schema_version."""
    import jsonschema

    if not isinstance(record, dict):
        return ["<record>: not a JSON object"]
    version = record.get("schema_version")
    if version not in SCHEMAS or isinstance(version, bool):
        return [f"schema_version: {version!r} is not one this specdecode reads "
                f"({', '.join(map(str, READABLE_VERSIONS))})"]
    validator = jsonschema.Draft202012Validator(SCHEMAS[version])
    errors = []
    for err in sorted(validator.iter_errors(record), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in err.path) or "<record>"
        errors.append(f"{where}: {err.message}")
    if record.get("status") == "ok" and record.get("counters") is None:
        errors.append("counters: required when status is ok")
    if record.get("status") == "error" and not record.get("error"):
        errors.append("error: a message is required when status is error")
    return errors


# ---------------------------------------------------------------------------- reading


def upgrade(record: Record) -> Record:
    """A valid record of any readable version in the current (v2) shape; fields the
    older version did not record are null. Returns a new dict for older versions."""
    if record["schema_version"] == SCHEMA_VERSION:
        return record
    old = copy.deepcopy(record)
    draft = old.pop("draft")
    out = {**old, "schema_version": SCHEMA_VERSION, "models": {"draft": draft} if draft else {},
           "prefill_intervals": None, "repeats": None, "quality": None}
    if out["counters"] is not None:
        out["counters"]["mismatches"] = None
    if out["trace"] is not None:
        out["trace"] = [{**cyc, "outcomes": None, "kind": None, "tokens": None, "depth": None,
                         "mismatches": None, "draft_calls": None, "start": None, "end": None,
                         "intervals": None, "positions": None} for cyc in out["trace"]]
    return out


def load_record(raw: Any, where: str) -> tuple[Record, int]:
    """Validate one parsed record against its own version, then upgrade it.
    Returns (record in the current shape, the version it was stored as)."""
    problems = validate_record(raw)
    if problems:
        if problems[0].startswith("schema_version:"):
            raise SpecDecodeError(f"{where}: {problems[0]}; use a matching specdecode")
        raise SpecDecodeError(f"{where}: invalid record ({problems[0]}); "
                              "regenerate it with `specdecode bench`")
    return upgrade(raw), raw["schema_version"]


@dataclass
class RecordFile:
    path: Path
    records: list[Record]          # in file order, upgraded to the current schema
    versions: dict[int, int]       # schema_version as stored -> number of records


def read_records(path: str | Path, progress: bool = False) -> RecordFile:
    """Every record of one JSONL file (plain or .jsonl.gz): validated (each against its own
    version) and upgraded; blank lines ignored. A bad line is a SpecDecodeError naming
    file:line."""
    path = Path(path)
    if not path.exists():
        raise SpecDecodeError(f"{path}: no such run file; pass the RUN.jsonl written by bench")
    lines = iter_lines(path)  # streamed: memory holds the records, not the file's text too
    if progress:
        from tqdm import tqdm

        lines = tqdm(lines, desc=f"read {path.name}", unit="rec", disable=None, leave=False)
    records, versions = [], {}
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise SpecDecodeError(f"{path}:{lineno}: not UTF-8 text at byte {exc.start} of the line; pass a "
                                  "RUN.jsonl (or RUN.jsonl.gz) written by bench") from None
        except json.JSONDecodeError as exc:
            raise SpecDecodeError(f"{path}:{lineno}: not valid JSON ({exc.msg}); remove the "
                                  "truncated line and re-run the benchmark to resume") from None
        record, version = load_record(raw, f"{path}:{lineno}")
        records.append(record)
        versions[version] = versions.get(version, 0) + 1
    return RecordFile(path, records, versions)


def manifest_path(run: str | Path) -> Path:
    """RUN.jsonl (or RUN.jsonl.gz) -> RUN.manifest.json beside it."""
    run = Path(run)
    return run.with_name(run_stem(run) + ".manifest.json")


# ---------------------------------------------------------------------------- writing


def dumps(record: Record) -> str:
    """One JSONL line (no newline). NaN / Infinity are not JSON: they raise ValueError."""
    return json.dumps(record, ensure_ascii=False, allow_nan=False)


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def intervals_to_json(intervals: Iterable[Interval], origin: float) -> list[list]:
    """[[what, start, end], ...] in seconds since `origin`."""
    return [[i.what, i.start - origin, i.end - origin] for i in intervals]


def position_to_json(pos) -> dict[str, Any]:
    return {"draft_token": int(pos.draft_token), "target_token": int(pos.target_token),
            "p_x": _finite(pos.p_x), "q_x": _finite(pos.q_x),
            "entropy_q": _finite(pos.entropy_q), "entropy_p": _finite(pos.entropy_p),
            "kl_qp": _finite(pos.kl_qp)}


def cycle_to_json(cycle: CycleRecord, origin: float = 0.0) -> dict[str, Any]:
    """The v2 trace entry of one cycle; times in seconds since `origin` (the
    generation's start, i.e. the prefill's start)."""
    return {
        "k": cycle.k, "drafted": cycle.drafted, "accepted": cycle.accepted,
        "emitted": len(cycle.tokens), "outcomes": [bool(o) for o in cycle.outcomes],
        "kind": cycle.kind, "tokens": [int(t) for t in cycle.tokens], "depth": cycle.depth,
        "mismatches": cycle.mismatches, "draft_calls": cycle.draft_calls,
        "token_index": cycle.token_index,
        "start": cycle.start - origin, "end": cycle.end - origin,
        "intervals": intervals_to_json(cycle.intervals, origin),
        # convenience numbers derived from the intervals; max() only absorbs float rounding
        "draft_s": max(cycle.draft_s, 0.0), "target_s": max(cycle.target_s, 0.0),
        "overhead_s": max(cycle.overhead_s, 0.0),
        "positions": None if cycle.positions is None else [position_to_json(p) for p in cycle.positions],
        **({"events": {str(k): int(v) for k, v in cycle.events.items()}} if getattr(cycle, "events", None) else {}),
    }


@dataclass(frozen=True)
class TraceCycle:
    """A cycle read back from a v2 trace entry: the attributes `counters` reads."""

    k: int
    drafted: int
    accepted: int
    outcomes: tuple[bool, ...]
    kind: str
    tokens: tuple[int, ...]
    draft_calls: int
    token_index: int
    depth: int
    mismatches: int
    draft_s: float
    target_s: float
    overhead_s: float
    positions: tuple[dict, ...] | None = None
    events: dict | None = None


def cycle_from_json(entry: dict[str, Any]) -> TraceCycle:
    """Inverse of cycle_to_json for what `counters` needs (v2 entries; a v1 entry lacks
    outcomes and tokens and cannot be re-counted)."""
    if entry.get("outcomes") is None or entry.get("tokens") is None:
        raise SpecDecodeError("this trace entry predates schema v2 (no outcomes / tokens); "
                              "its record's stored counters are the only ones")
    return TraceCycle(k=entry["k"], drafted=entry["drafted"], accepted=entry["accepted"],
                      outcomes=tuple(entry["outcomes"]), kind=entry["kind"],
                      tokens=tuple(entry["tokens"]), draft_calls=entry["draft_calls"],
                      token_index=entry["token_index"], depth=entry["depth"],
                      mismatches=entry["mismatches"], draft_s=entry["draft_s"],
                      target_s=entry["target_s"], overhead_s=entry["overhead_s"],
                      positions=None if entry["positions"] is None else tuple(entry["positions"]),
                      events=entry.get("events"))


def counters(cycles: Iterable, new_tokens: int, prefill_s: float, decode_s: float) -> dict:
    """The record's `counters` from the cycles of one generation (CycleRecord or
    TraceCycle): raw sums, no ratios. The first new token comes from the prefill, so
    target_calls counts decode calls only."""
    cycles = list(cycles)
    width = max((len(c.outcomes) for c in cycles), default=0)
    acc_pos, reach_pos = [0] * width, [0] * width
    tau_hist = [0] * (max((len(c.tokens) for c in cycles), default=0) + 1)
    for c in cycles:
        for i, ok in enumerate(c.outcomes):
            reach_pos[i] += 1
            acc_pos[i] += int(ok)
        tau_hist[len(c.tokens)] += 1
    return {
        "new_tokens": new_tokens,
        "target_calls": len(cycles),
        "draft_calls": sum(c.draft_calls for c in cycles),
        "cycles": len(cycles),
        "drafted": sum(c.drafted for c in cycles),
        "accepted": sum(c.accepted for c in cycles),
        "accepted_per_position": acc_pos,
        "reached_per_position": reach_pos,
        "tau_hist": tau_hist,
        "recovered": sum(c.kind == "recovered" for c in cycles),
        "bonus": sum(c.kind == "bonus" for c in cycles),
        "draft_s": max(sum(c.draft_s for c in cycles), 0.0),
        "target_s": max(sum(c.target_s for c in cycles), 0.0),
        "overhead_s": max(sum(c.overhead_s for c in cycles), 0.0),
        "prefill_s": prefill_s,
        "decode_s": decode_s,
        "total_s": prefill_s + decode_s,
        "mismatches": sum(c.mismatches for c in cycles),
        **_event_sums(cycles),
    }


def _event_sums(cycles: list) -> dict:
    """{"events": {name: total}} over the cycles that carry events; {} when none do."""
    total: dict[str, int] = {}
    for c in cycles:
        for name, n in (getattr(c, "events", None) or {}).items():
            total[name] = total.get(name, 0) + int(n)
    return {"events": total} if total else {}


def peer_counters(new_tokens: int, prefill_s: float, decode_s: float) -> dict:
    """Counters of an uninstrumented generation (a peer): tokens and wall time only."""
    return {"new_tokens": new_tokens, **{k: None for k in INSTRUMENTED_KEYS},
            "prefill_s": prefill_s, "decode_s": decode_s, "total_s": prefill_s + decode_s}


def repetition(counters: dict) -> dict:
    """One `repeats` entry: a generation's tokens and wall times, from its counters."""
    return {"new_tokens": counters["new_tokens"], **{k: counters[k] for k in TIMING_KEYS}}


def median_repetition(repeats: list[dict]) -> int:
    """Index of the repetition whose counters a record keeps: the median by total_s (the
    lower middle one when the count is even; ties: the earliest)."""
    order = sorted(range(len(repeats)), key=lambda i: (repeats[i]["total_s"], i))
    return order[(len(order) - 1) // 2]


def new_record(*, key: str, run_id: str, method: str, method_config: dict, exact: bool,
               suite: str, suite_version: str, prompt_id: str, seed: int, temperature: float,
               max_new_tokens: int, target: dict | None, models: dict[str, dict],
               prompt_tokens: int = 0, output_ids: list[int] = (), output_text: str = "",
               finish_reason: str = "error", counters: dict | None = None,
               trace: list[dict] | None = None, prefill_intervals: list | None = None,
               repeats: list[dict] | None = None, quality: dict | None = None,
               error: str | None = None, created: str | None = None) -> Record:
    """A current-version record; status is 'error' iff `error` is given (then the
    outputs, counters, trace, repeats and quality are empty)."""
    failed = error is not None
    return {
        "schema_version": SCHEMA_VERSION, "key": key, "run_id": run_id,
        "status": "error" if failed else "ok", "error": error,
        "method": method, "method_config": method_config, "exact": exact,
        "suite": suite, "suite_version": suite_version, "prompt_id": prompt_id,
        "seed": seed, "temperature": temperature, "max_new_tokens": max_new_tokens,
        "target": target, "models": dict(models), "prompt_tokens": prompt_tokens,
        "output_ids": [] if failed else [int(t) for t in output_ids],
        "output_text": "" if failed else output_text,
        "finish_reason": "error" if failed else finish_reason,
        "counters": None if failed else counters,
        "trace": None if failed else trace,
        "prefill_intervals": None if failed else prefill_intervals,
        "repeats": None if failed or repeats is None else [dict(r) for r in repeats],
        "quality": None if failed or quality is None else dict(quality),
        "created": created or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def generation_to_json(result, prefill_s: float, decode_s: float) -> dict[str, Any]:
    """The record fields of one loop generation (a types.GenerationResult): counters,
    trace and prefill_intervals, times relative to the generation's start."""
    if result.prefill is not None:
        origin = result.prefill.start
    else:
        origin = result.cycles[0].start if result.cycles else 0.0
    return {
        "counters": counters(result.cycles, len(result.output_ids), prefill_s, decode_s),
        "trace": [cycle_to_json(c, origin) for c in result.cycles],
        "prefill_intervals": (intervals_to_json(result.prefill.intervals, origin)
                              if result.prefill is not None else None),
    }
