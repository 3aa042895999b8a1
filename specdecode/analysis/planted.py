"""Synthetic runs with PLANTED rejection effects, for testing `specdecode analyze`.

Two methods per prompt, built with synthetic.py's record helpers (schema-valid v2
records, counters summed from the trace by records.counters): the baseline 'target'
(one token per cycle) and 'draft' (k-token chains with per-position statistics). Both
emit the same tokens (an exact method). Tokens are drawn from one Zipf vocabulary.

The acceptance probability of a checked draft position is
    accept[domain] - position_effect (positions 1-2) - rare_effect (a rare token)
      - confidence_effect * (entropy_q / ENTROPY_MAX - 1/2)
where "rare" is the bottom 20% of the Zipf mass; every effect 0 is the global null (no
hypothesis true). Item time follows the cost model of synthetic.py times `slowdown[domain]`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .synthetic import counters_from_trace, make_record, trace_entry

ENTROPY_MAX = 3.0


@dataclass(frozen=True)
class PlantConfig:
    accept: dict[str, float] = field(default_factory=lambda: {   # domain -> base acceptance
        "code": 0.75, "prose": 0.75, "translation": 0.75})
    slowdown: dict[str, float] = field(default_factory=dict)     # domain -> time factor (1)
    position_effect: float = 0.0
    rare_effect: float = 0.0
    confidence_effect: float = 0.0
    n_prompts: int = 8            # per domain
    max_new_tokens: int = 48
    k: int = 4
    vocab: int = 3000
    zipf: float = 1.1
    t1: float = 0.02              # seconds per 1-token target call
    noise: float = 0.1            # lognormal sigma of each call's time
    position_stats: bool = True
    seed: int = 0


def _zipf(cfg: PlantConfig) -> tuple[np.ndarray, np.ndarray]:
    """(cumulative probabilities (V,), rare (V,) bool: the bottom 20% of the mass)."""
    p = 1.0 / np.arange(1, cfg.vocab + 1) ** cfg.zipf
    cdf = np.cumsum(p / p.sum())
    return cdf, cdf - p / p.sum() >= 0.8


def _draw(rng: np.random.Generator, cdf: np.ndarray) -> int:
    return int(min(np.searchsorted(cdf, rng.random()), len(cdf) - 1))


def _jitter(rng: np.random.Generator, sigma: float) -> float:
    return float(np.exp(rng.normal(0.0, sigma)))


def _accept_p(cfg: PlantConfig, domain: str, i: int, rare: bool, entropy: float) -> float:
    a = (cfg.accept[domain] - cfg.position_effect * (i < 2) - cfg.rare_effect * rare
         - cfg.confidence_effect * (entropy / ENTROPY_MAX - 0.5))
    return min(max(a, 0.02), 0.98)


def _position(rng, tok: int, ok: bool, h: float, cdf) -> dict:
    """Plausible per-position statistics of one checked draft token (entropy_q = h)."""
    return {"draft_token": tok, "target_token": tok if ok else _draw(rng, cdf),
            "p_x": float(rng.uniform(0.4, 1.0) if ok else rng.uniform(0.0, 0.6)),
            "q_x": float(rng.uniform(0.2, 1.0)), "entropy_q": h,
            "entropy_p": float(rng.uniform(0.0, ENTROPY_MAX)), "kl_qp": float(rng.uniform(0.0, 2.0))}


def _cycle(cfg, domain, rng, cdf, rare, room) -> tuple[list[int], list[dict], int]:
    """One chain cycle: (committed tokens, per-position statistics, drafted)."""
    drafted = min(cfg.k, room)
    tokens, positions = [], []
    for i in range(drafted):
        tok, h = _draw(rng, cdf), float(rng.uniform(0.0, ENTROPY_MAX))
        ok = rng.random() < _accept_p(cfg, domain, i, bool(rare[tok]), h)
        positions.append(_position(rng, tok, ok, h, cdf))
        if not ok:                       # the recovered token ends the cycle
            return tokens + [positions[-1]["target_token"]], positions, drafted
        tokens.append(tok)
    return tokens + [_draw(rng, cdf)], positions, drafted   # + the bonus token


def _draft_trace(cfg, domain, rng, cdf, rare, ctx, start) -> tuple[list[dict], list[int]]:
    """Cycles until max_new_tokens (the first token comes from the prefill)."""
    trace, ids, t = [], [_draw(rng, cdf)], start
    while len(ids) < cfg.max_new_tokens:
        room = cfg.max_new_tokens - len(ids) - 1
        toks, positions, drafted = _cycle(cfg, domain, rng, cdf, rare, room)
        e = trace_entry(cfg.k, drafted, len(toks) - 1, token_index=len(ids), start=t,
                        draft_s=0.1 * drafted * cfg.t1 * ctx * _jitter(rng, cfg.noise),
                        target_s=cfg.t1 * ctx * (1 + 0.1 * drafted) * _jitter(rng, cfg.noise),
                        tokens=toks, positions=positions if cfg.position_stats else None)
        trace.append(e)
        ids, t = ids + toks, e["end"]
    return trace, ids


def _base_trace(cfg, ids, ctx, rng, start) -> list[dict]:
    trace, t = [], start
    for i in range(1, len(ids)):
        e = trace_entry(0, 0, 0, token_index=i, start=t, tokens=[ids[i]],
                        target_s=cfg.t1 * ctx * _jitter(rng, cfg.noise))
        trace.append(e)
        t = e["end"]
    return trace


def planted_prompt(cfg: PlantConfig, domain: str, index: int) -> list[dict]:
    """The baseline and draft records of one prompt."""
    d_index = list(cfg.accept).index(domain)
    rng = np.random.default_rng([cfg.seed, d_index, index])
    cdf, rare = _zipf(cfg)
    ctx = cfg.slowdown.get(domain, 1.0) * float(np.exp(rng.normal(0.0, 0.2)))
    prefill = cfg.t1 * ctx * 3.0
    trace, ids = _draft_trace(cfg, domain, rng, cdf, rare, ctx, prefill)
    base = _base_trace(cfg, ids, ctx, rng, prefill)
    pid = f"{domain}-{index:03d}"
    common = dict(max_new_tokens=cfg.max_new_tokens, output_ids=ids,
                  prefill_intervals=[["target", 0.0, prefill]])
    return [make_record("target", "none", domain, pid, method_config={"k": 0},
                        counters=counters_from_trace(base, len(ids), prefill), trace=base, **common),
            make_record("draft", "draft", domain, pid, method_config={"k": cfg.k},
                        counters=counters_from_trace(trace, len(ids), prefill), trace=trace, **common)]


def planted_run(cfg: PlantConfig = PlantConfig()) -> list[dict]:
    return [r for domain in cfg.accept for i in range(cfg.n_prompts) for r in planted_prompt(cfg, domain, i)]
