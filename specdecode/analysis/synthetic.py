"""Synthetic benchmark runs with known mechanics, for tests, docs and report previews.

Records are schema-valid and built the way the runner builds them: a per-cycle trace
(k, drafted, accepted, emitted, timings) and counters summed from it. Timings follow the
cost model exactly (target call t1 * (1 + slope * drafted), draft call c * t1) times a
per-item context factor and optional noise, so analysis figures have known targets.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..bench.schema import SCHEMA_VERSION

Record = dict[str, Any]


@dataclass(frozen=True)
class SynthMethod:
    name: str
    proposer: str                 # "none" (baseline), "draft", "ngram", or a peer ("hf")
    exact: bool = True
    k: int = 4
    alpha: float = 0.0            # per-token acceptance, times the suite's multiplier
    c: float = 0.0                # draft call cost / target call ("draft"); per cycle ("ngram")
    match_rate: float = 1.0       # ngram: share of cycles that find a match and draft k
    overhead_s: float = 0.0       # loop overhead per cycle, seconds
    instrumented: bool = True     # False: a peer, internals null, no trace
    error_prompts: tuple[int, ...] = ()     # prompt indices whose record is an error
    mismatch_prompts: tuple[int, ...] = ()  # prompt indices whose output differs (a bug)


@dataclass(frozen=True)
class SynthConfig:
    suites: dict[str, float] = field(default_factory=lambda: {
        "code": 1.1, "math": 1.0, "chat": 0.85})   # suite -> acceptance multiplier
    n_prompts: int = 6
    seeds: tuple[int, ...] = (0,)
    temperature: float = 0.0
    max_new_tokens: int = 64
    t1: float = 0.02              # seconds per 1-token target call
    verify_slope: float = 0.1     # v(k) = 1 + slope * k
    noise: float = 0.05           # lognormal sigma on every timing (0: the model exactly)
    seed: int = 0
    methods: tuple[SynthMethod, ...] = (
        SynthMethod("target", "none", k=0),
        SynthMethod("draft-k4", "draft", k=4, alpha=0.8, c=0.08, overhead_s=0.0005),
        SynthMethod("ngram", "ngram", k=4, alpha=0.7, c=0.02, match_rate=0.6),
        SynthMethod("topk-lossy", "draft", exact=False, k=4, alpha=0.9, c=0.08),
        SynthMethod("hf-assisted", "hf", k=4, alpha=0.8, c=0.08, overhead_s=0.002,
                    instrumented=False),
    )


def record_key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def counters_from_trace(trace: list[dict], new_tokens: int, prefill_s: float,
                        draft_calls: int) -> dict[str, Any]:
    """Sum a trace into schema counters (what the runner stores)."""
    width = max([c["drafted"] for c in trace] + [0])
    acc, reached = [0] * width, [0] * width
    hist = [0] * (max([c["emitted"] for c in trace] + [1]) + 1)
    for c in trace:
        for i in range(min(c["accepted"] + 1, c["drafted"])):  # checked positions
            reached[i] += 1
            acc[i] += i < c["accepted"]
        hist[c["emitted"]] += 1
    sums = {n: sum(c[n] for c in trace) for n in ("draft_s", "target_s", "overhead_s",
                                                  "drafted", "accepted")}
    decode_s = sums["draft_s"] + sums["target_s"] + sums["overhead_s"]
    return {"new_tokens": new_tokens, "target_calls": len(trace), "draft_calls": draft_calls,
            "cycles": len(trace), "drafted": sums["drafted"], "accepted": sums["accepted"],
            "accepted_per_position": acc, "reached_per_position": reached, "tau_hist": hist,
            "recovered": sum(c["accepted"] < c["drafted"] for c in trace),
            "bonus": sum(c["drafted"] > 0 and c["accepted"] == c["drafted"] for c in trace),
            "draft_s": sums["draft_s"], "target_s": sums["target_s"],
            "overhead_s": sums["overhead_s"], "prefill_s": prefill_s, "decode_s": decode_s,
            "total_s": prefill_s + decode_s}


def make_record(method: str, proposer: str, suite: str, prompt_id: str, *, seed: int = 0,
                temperature: float = 0.0, exact: bool = True, counters: dict | None,
                output_ids: list[int], trace: list[dict] | None = None,
                error: str | None = None, max_new_tokens: int = 64,
                method_config: dict | None = None) -> Record:
    """A schema-valid record; status is 'error' iff `error` is given."""
    config = {"proposer": proposer, **(method_config or {})}
    return {
        "schema_version": SCHEMA_VERSION,
        "key": record_key(method, config, suite, prompt_id, seed, temperature),
        "run_id": "synthetic", "status": "error" if error else "ok", "error": error,
        "method": method, "method_config": config, "exact": exact,
        "suite": suite, "suite_version": "synthetic-1", "prompt_id": prompt_id,
        "seed": seed, "temperature": temperature, "max_new_tokens": max_new_tokens,
        "target": {"name": "synthetic-target", "hash": "0" * 8},
        "draft": None if proposer in ("none", "ngram") else {"name": "synthetic-draft",
                                                               "hash": "1" * 8},
        "prompt_tokens": 32, "output_ids": [] if error else output_ids,
        "output_text": "" if error else " ".join(map(str, output_ids)),
        "finish_reason": "error" if error else "length",
        "counters": None if error else counters, "trace": None if error else trace,
        "created": "2026-01-01T00:00:00+00:00",
    }


def _jitter(rng: np.random.Generator, sigma: float) -> float:
    """Mean-one lognormal factor (exactly 1.0 when sigma is 0)."""
    return float(np.exp(rng.normal(0.0, sigma) - sigma * sigma / 2)) if sigma else 1.0


def _draft_size(m: SynthMethod, rng: np.random.Generator, room: int) -> int:
    if m.proposer == "none":
        return 0
    if m.proposer == "ngram" and rng.random() >= m.match_rate:
        return 0
    return min(m.k, room)


def simulate_trace(m: SynthMethod, cfg: SynthConfig, alpha: float, ctx: float,
                   rng: np.random.Generator) -> tuple[list[dict], int]:
    """Cycles until max_new_tokens (the first token came from prefill). Returns the
    trace and the number of draft forward calls."""
    trace, committed, calls = [], 1, 0
    while committed < cfg.max_new_tokens:
        drafted = _draft_size(m, rng, cfg.max_new_tokens - committed - 1)
        accepted = 0
        while accepted < drafted and rng.random() < alpha:
            accepted += 1
        n_calls = drafted if m.proposer != "ngram" else 0
        draft_s = (n_calls * m.c if m.proposer != "ngram" else m.c) * cfg.t1 * ctx
        target_s = cfg.t1 * ctx * (1.0 + cfg.verify_slope * drafted)
        trace.append({"k": m.k, "drafted": drafted, "accepted": accepted,
                      "emitted": accepted + 1, "token_index": committed,
                      "draft_s": draft_s * _jitter(rng, cfg.noise) if m.k else 0.0,
                      "target_s": target_s * _jitter(rng, cfg.noise),
                      "overhead_s": m.overhead_s})
        committed, calls = committed + accepted + 1, calls + n_calls
    return trace, calls


def _outputs(base_ids: list[int], m: SynthMethod, index: int) -> list[int]:
    ids = list(base_ids)
    if not m.exact or index in m.mismatch_prompts:
        ids[len(ids) // 2] += 1    # a lossy method (or a bug) changes one token
    return ids


def simulate_record(m: SynthMethod, cfg: SynthConfig, suite: str, index: int,
                    seed: int) -> Record:
    item_rng = np.random.default_rng([cfg.seed, index, seed, len(suite)])
    ctx = _jitter(item_rng, 0.2)             # per-item cost factor, shared by all methods
    base_ids = [int(t) for t in item_rng.integers(0, 49152, cfg.max_new_tokens)]
    rng = np.random.default_rng([cfg.seed, index, seed, len(suite), int(cfg.temperature * 100),
                                 int(record_key(m.name)[:8], 16)])
    common = dict(seed=seed, temperature=cfg.temperature, exact=m.exact,
                  max_new_tokens=cfg.max_new_tokens, method_config={"k": m.k})
    prompt_id = f"{suite}-{index:03d}"
    if index in m.error_prompts:
        return make_record(m.name, m.proposer, suite, prompt_id, counters=None, output_ids=[],
                           error="RuntimeError: synthetic failure", **common)
    alpha = min(m.alpha * cfg.suites[suite], 0.98)
    trace, calls = simulate_trace(m, cfg, alpha, ctx, rng)
    prefill_s = cfg.t1 * ctx * 3.0 * _jitter(rng, cfg.noise)
    counters = counters_from_trace(trace, cfg.max_new_tokens, prefill_s, calls)
    if not m.instrumented:
        for name in ("target_calls", "draft_calls", "cycles", "drafted", "accepted",
                     "accepted_per_position", "reached_per_position", "tau_hist",
                     "recovered", "bonus", "draft_s", "target_s", "overhead_s"):
            counters[name] = None
        trace = None
    return make_record(m.name, m.proposer, suite, prompt_id, counters=counters,
                       output_ids=_outputs(base_ids, m, index), trace=trace, **common)


def synthetic_run(cfg: SynthConfig = SynthConfig()) -> list[Record]:
    """Every method x suite x prompt x seed, baseline first."""
    return [simulate_record(m, cfg, suite, i, s) for m in cfg.methods for suite in cfg.suites
            for i in range(cfg.n_prompts) for s in cfg.seeds]


def write_run(records: list[Record], path: str | Path, manifest: dict | None = None) -> Path:
    """RUN.jsonl (+ RUN.manifest.json when a manifest is given)."""
    path = Path(path)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    if manifest is not None:
        path.with_name(path.name.removesuffix(".jsonl") + ".manifest.json").write_text(
            json.dumps(manifest, indent=2))
    return path
