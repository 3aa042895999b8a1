"""Synthetic benchmark runs with known mechanics, for tests, docs and report previews.

Records are schema-valid (the current version) and built the way the runner builds them:
a per-cycle v2 trace (outcomes, kind, tokens, intervals on one timeline, optional
per-position statistics) and counters summed from it by records.counters, the one counters
function. Timings follow the cost model exactly (target call t1 * (1 + slope * drafted),
draft call c * t1) times a per-item context factor and optional noise, so analysis figures
have known targets.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..records import counters as record_counters
from ..records import cycle_from_json, dumps, manifest_path, new_record, peer_counters

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
    position_stats: bool = False  # simulate per-position statistics in the traces
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


def trace_entry(k: int, drafted: int, accepted: int, *, token_index: int, start: float = 0.0,
                draft_s: float = 0.0, target_s: float = 0.0, overhead_s: float = 0.0,
                draft_calls: int | None = None, emitted: int | None = None,
                tokens: list[int] | None = None, positions: list[dict] | None = None) -> dict:
    """One v2 trace entry of a chain cycle: the draft stage, then one target call, then
    overhead, laid out from `start` (seconds since the generation's start)."""
    emitted = accepted + 1 if emitted is None else emitted
    outcomes = [True] * accepted + ([False] if accepted < drafted else [])
    t_draft, t_target = start + draft_s, start + draft_s + target_s
    intervals = ([["draft", start, t_draft]] if draft_s else []) + [["target", t_draft, t_target]]
    return {"k": k, "drafted": drafted, "accepted": accepted, "emitted": emitted,
            "outcomes": outcomes,
            "kind": "none" if drafted == 0 else "recovered" if accepted < drafted else "bonus",
            "tokens": tokens if tokens is not None else [0] * emitted, "depth": drafted,
            "mismatches": 0, "draft_calls": drafted if draft_calls is None else draft_calls,
            "token_index": token_index, "start": start, "end": t_target + overhead_s,
            "intervals": intervals, "draft_s": draft_s, "target_s": target_s,
            "overhead_s": overhead_s, "positions": positions}


def counters_from_trace(trace: list[dict], new_tokens: int, prefill_s: float) -> dict[str, Any]:
    """Sum a v2 trace into counters with records.counters (what the runner stores);
    decode_s = the cycles' draft + target + overhead time."""
    decode_s = sum(c["draft_s"] + c["target_s"] + c["overhead_s"] for c in trace)
    return record_counters([cycle_from_json(c) for c in trace], new_tokens, prefill_s, decode_s)


def make_record(method: str, proposer: str, suite: str, prompt_id: str, *, seed: int = 0,
                temperature: float = 0.0, exact: bool = True, counters: dict | None,
                output_ids: list[int], trace: list[dict] | None = None,
                error: str | None = None, max_new_tokens: int = 64,
                method_config: dict | None = None, prefill_intervals: list | None = None
                ) -> Record:
    """A schema-valid record; status is 'error' iff `error` is given."""
    config = {"proposer": proposer, **(method_config or {})}
    models = {} if proposer in ("none", "ngram") else {
        "draft": {"name": "synthetic-draft", "hash": "1" * 8}}
    return new_record(
        key=record_key(method, config, suite, prompt_id, seed, temperature),
        run_id="synthetic", method=method, method_config=config, exact=exact,
        suite=suite, suite_version="synthetic-1", prompt_id=prompt_id, seed=seed,
        temperature=temperature, max_new_tokens=max_new_tokens,
        target={"name": "synthetic-target", "hash": "0" * 8}, models=models,
        prompt_tokens=32, output_ids=output_ids, output_text=" ".join(map(str, output_ids)),
        finish_reason="length", counters=counters, trace=trace,
        prefill_intervals=prefill_intervals, error=error, created="2026-01-01T00:00:00+00:00")


def _jitter(rng: np.random.Generator, sigma: float) -> float:
    """Mean-one lognormal factor (exactly 1.0 when sigma is 0)."""
    return float(np.exp(rng.normal(0.0, sigma) - sigma * sigma / 2)) if sigma else 1.0


def _draft_size(m: SynthMethod, rng: np.random.Generator, room: int) -> int:
    if m.proposer == "none":
        return 0
    if m.proposer == "ngram" and rng.random() >= m.match_rate:
        return 0
    return min(m.k, room)


def _positions(m: SynthMethod, outcomes: list[bool], rng: np.random.Generator) -> list[dict]:
    """Plausible per-position statistics: accepted tokens are likely under p."""
    det = m.proposer == "ngram"
    out = []
    for ok in outcomes:
        q_x = 1.0 if det else float(rng.uniform(0.3, 1.0))
        out.append({"draft_token": int(rng.integers(0, 49152)), "target_token": int(rng.integers(0, 49152)),
                    "p_x": float(rng.uniform(0.5, 1.0) if ok else rng.uniform(0.0, 0.5)),
                    "q_x": q_x, "entropy_q": 0.0 if det else float(rng.uniform(0.2, 2.5)),
                    "entropy_p": float(rng.uniform(0.2, 2.5)),
                    "kl_qp": None if det else float(rng.uniform(0.0, 1.5))})
    return out


def simulate_trace(m: SynthMethod, cfg: SynthConfig, alpha: float, ctx: float,
                   rng: np.random.Generator, start: float = 0.0) -> list[dict]:
    """Cycles until max_new_tokens (the first token came from prefill), laid out on one
    timeline from `start` (the end of the prefill)."""
    trace, committed, t = [], 1, start
    while committed < cfg.max_new_tokens:
        drafted = _draft_size(m, rng, cfg.max_new_tokens - committed - 1)
        accepted = 0
        while accepted < drafted and rng.random() < alpha:
            accepted += 1
        n_calls = drafted if m.proposer != "ngram" else 0
        draft_s = (n_calls * m.c if m.proposer != "ngram" else m.c) * cfg.t1 * ctx
        target_s = cfg.t1 * ctx * (1.0 + cfg.verify_slope * drafted)
        entry = trace_entry(m.k, drafted, accepted, token_index=committed, start=t,
                            draft_s=draft_s * _jitter(rng, cfg.noise) if m.k else 0.0,
                            target_s=target_s * _jitter(rng, cfg.noise),
                            overhead_s=m.overhead_s, draft_calls=n_calls)
        if cfg.position_stats:
            entry["positions"] = _positions(m, entry["outcomes"], rng)
        trace.append(entry)
        committed, t = committed + accepted + 1, entry["end"]
    return trace


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
    prefill_s = cfg.t1 * ctx * 3.0 * _jitter(rng, cfg.noise)
    trace = simulate_trace(m, cfg, alpha, ctx, rng, start=prefill_s)
    counters = counters_from_trace(trace, cfg.max_new_tokens, prefill_s)
    prefill = [["target", 0.0, prefill_s]]
    if not m.instrumented:
        counters = peer_counters(counters["new_tokens"], prefill_s, counters["decode_s"])
        trace = prefill = None
    return make_record(m.name, m.proposer, suite, prompt_id, counters=counters,
                       output_ids=_outputs(base_ids, m, index), trace=trace,
                       prefill_intervals=prefill, **common)


def synthetic_run(cfg: SynthConfig = SynthConfig()) -> list[Record]:
    """Every method x suite x prompt x seed, baseline first."""
    return [simulate_record(m, cfg, suite, i, s) for m in cfg.methods for suite in cfg.suites
            for i in range(cfg.n_prompts) for s in cfg.seeds]


def write_run(records: list[Record], path: str | Path, manifest: dict | None = None) -> Path:
    """RUN.jsonl (+ RUN.manifest.json when a manifest is given)."""
    path = Path(path)
    path.write_text("".join(dumps(r) + "\n" for r in records))
    if manifest is not None:
        manifest_path(path).write_text(json.dumps(manifest, indent=2))
    return path
