"""The benchmark record: one JSON line per (method, suite, prompt, seed, temperature).

Raw counters only; every ratio (alpha, tau, speedup, c, v(k)) is computed by analysis/.
The schema is strict (no unknown keys) and versioned: bump SCHEMA_VERSION on any change
and keep `validate_record` accepting exactly the current version.

Files: a run is RUN.jsonl plus RUN.manifest.json beside it (git SHA, package versions,
hardware, torch threads, the full resolved config). The baseline is the method whose
method_config["proposer"] == "none" (target-only decoding through the same loop).

Timing fields (seconds, time.perf_counter, measured the same way for every method):
  prefill_s  prompt forward(s) up to the first new token (this is TTFT)
  decode_s   from the first new token to the last (TPOT = decode_s / (new_tokens - 1))
  total_s    prefill_s + decode_s (end to end, what tokens/s is computed from)
  draft_s / target_s / overhead_s  split of decode_s into draft model calls, target
             model calls and everything else (the loop's own time); None for peers
             whose internals are not instrumented (hf-*).
"""
from __future__ import annotations

from typing import Any

SCHEMA_VERSION = 1

_NUM = {"type": "number", "minimum": 0}
_NUM_OR_NULL = {"type": ["number", "null"], "minimum": 0}
_INT = {"type": "integer", "minimum": 0}
_INT_OR_NULL = {"type": ["integer", "null"], "minimum": 0}
_INT_LIST = {"type": "array", "items": _INT}
_MODEL = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "required": ["name", "hash"],
    "properties": {"name": {"type": "string"}, "hash": {"type": "string"}},
}

# One decode cycle (propose -> verify -> commit). Target-only decoding has k = 0,
# drafted = 0, accepted = 0 and emits one token per cycle.
CYCLE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["k", "drafted", "accepted", "emitted", "draft_s", "target_s", "overhead_s",
                 "token_index"],
    "properties": {
        "k": _INT,               # draft length the controller asked for
        "drafted": _INT,         # draft tokens actually proposed (<= k: early stop, no match)
        "accepted": _INT,        # draft tokens kept
        "emitted": _INT,         # tokens committed this cycle = accepted + 1 (recovered/bonus)
        "draft_s": _NUM,
        "target_s": _NUM,
        "overhead_s": _NUM,
        "token_index": _INT,     # number of new tokens committed before this cycle
    },
}

COUNTERS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["new_tokens", "target_calls", "draft_calls", "cycles", "drafted", "accepted",
                 "accepted_per_position", "reached_per_position", "tau_hist", "recovered",
                 "bonus", "draft_s", "target_s", "overhead_s", "prefill_s", "decode_s",
                 "total_s"],
    "properties": {
        "new_tokens": _INT,
        "target_calls": _INT_OR_NULL,   # target forward calls during decode (prefill excluded)
        "draft_calls": _INT_OR_NULL,    # draft forward calls during decode (prefill excluded)
        "cycles": _INT_OR_NULL,         # decode cycles (the first token comes from prefill)
        "drafted": _INT_OR_NULL,
        "accepted": _INT_OR_NULL,
        # accepted_per_position[i]: cycles whose draft token i (0-based) was accepted;
        # reached_per_position[i]: cycles whose draft token i was checked by the verifier
        # (every earlier draft token accepted). alpha = sum(accepted) / sum(reached).
        "accepted_per_position": {"type": ["array", "null"], "items": _INT},
        "reached_per_position": {"type": ["array", "null"], "items": _INT},
        "tau_hist": {"type": ["array", "null"], "items": _INT},  # [i] = cycles emitting i tokens
        "recovered": _INT_OR_NULL,      # cycles ending in a recovered (residual) token
        "bonus": _INT_OR_NULL,          # cycles where every draft token was accepted
        "draft_s": _NUM_OR_NULL,
        "target_s": _NUM_OR_NULL,
        "overhead_s": _NUM_OR_NULL,
        "prefill_s": _NUM,
        "decode_s": _NUM,
        "total_s": _NUM,
    },
}

RECORD_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["schema_version", "key", "run_id", "status", "error", "method", "method_config",
                 "exact", "suite", "suite_version", "prompt_id", "seed", "temperature",
                 "max_new_tokens", "target", "draft", "prompt_tokens", "output_ids",
                 "output_text", "finish_reason", "counters", "trace", "created"],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "key": {"type": "string", "pattern": "^[0-9a-f]{16,64}$"},
        "run_id": {"type": "string"},
        "status": {"enum": ["ok", "error"]},
        "error": {"type": ["string", "null"]},
        "method": {"type": "string", "minLength": 1},
        "method_config": {"type": "object"},   # resolved proposer/verifier/controller/params
        "exact": {"type": "boolean"},           # does the method claim target-exact output
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
        "counters": {"anyOf": [COUNTERS_SCHEMA, {"type": "null"}]},  # null iff status error
        "trace": {"type": ["array", "null"], "items": CYCLE_SCHEMA},
        "created": {"type": "string"},
    },
}


def validate_record(record: dict[str, Any]) -> list[str]:
    """Return the list of schema violations of one record (empty when valid)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(RECORD_SCHEMA)
    errors = []
    for err in sorted(validator.iter_errors(record), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in err.path) or "<record>"
        errors.append(f"{where}: {err.message}")
    if record.get("status") == "ok" and record.get("counters") is None:
        errors.append("counters: required when status is ok")
    if record.get("status") == "error" and not record.get("error"):
        errors.append("error: a message is required when status is error")
    return errors
