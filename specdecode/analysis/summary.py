"""Compute every reported figure from records: the one place the numbers come from.

build_summary(runset, config) -> a JSON-ready dict (summary.json); the Markdown, terminal
and plot renderers only format it. See DEFINITIONS for what each figure means.
"""
from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import Any

from ..errors import SpecDecodeError
from . import metrics as M
from .cells import (ALL_SUITES, CellKey, cell_keys, find_baseline, pair_up,
                    pick_trace_item, select)
from .config import AnalysisConfig
from .exactness import is_checked, mismatches, real
from .load import RunSet
from .quality import QUALITY_DEFINITIONS, quality_summary
from .spread import spread
from .stats import paired_ratio, quantile, two_proportion_z
from .theory import (expected_tau, expected_tau_mixture, expected_tau_positional,
                     fit_v_slope, predicted_speedup)
from .theory import projection_grid

SUMMARY_FORMAT = "specdecode.analysis.summary/1"

DEFINITIONS = {
    "item_time": "an item's prefill_s, decode_s and total_s are the median over its "
                 "repetitions (bench repeats: r, run interleaved with the other methods of "
                 "the prompt; the mean of the two middle ones for even r); every time "
                 "below is an item time",
    "tokens_per_s": "sum(new_tokens) / sum(total_s) over the ok records of the cell "
                    "(end to end: prefill + decode)",
    "speedup": "aggregate speedup: total tokens over total time of the method divided by the "
               "same for the baseline (proposer 'none'), on the (suite, prompt, seed) items "
               "both have ok",
    "speedup_ci": "paired percentile bootstrap over prompts (a resampled prompt brings the "
                  "method's and the baseline's records, all seeds)",
    "median_prompt_speedup": "median over items of (method tokens/s) / (baseline tokens/s) "
                             "on the same prompt and seed",
    "decode_speedup": "as speedup, decode phase only: sum(new_tokens - 1) / sum(decode_s); "
                      "this is what the Leviathan prediction models",
    "tau": "decode tokens per target call: sum(new_tokens - 1) / sum(cycles) (one target call "
           "per cycle; target_calls when cycles is null)",
    "alpha": "sum(accepted_per_position) / sum(reached_per_position): per-position acceptance "
             "MLE; rejection rate = 1 - alpha",
    "draft_yield": "sum(accepted) / sum(drafted)",
    "k_mean": "mean draft length asked per cycle (traces); drafted / cycles without traces. "
              "The prediction assumes every cycle drafts k_mean tokens: proposers that "
              "sometimes draft nothing (n-gram misses; see drafted_per_cycle) get "
              "efficiency < 1 from the misses",
    "drafted_per_cycle": "sum(drafted) / sum(cycles)",
    "c": "draft cost per drafted token: (draft_s / drafted of the method) / (target_s / target_calls "
         "of the baseline on the shared items), c_per = 'token' (= per draft call for a plain draft; a copy "
         "head drafts some tokens with no call); for draft-free proposers (0 draft calls) the drafting time per "
         "cycle over the baseline step time (c_per = 'cycle')",
    "v": "verify-call cost: (target_s / target_calls of the method) / (target_s / "
         "target_calls of the baseline on the shared items)",
    "expected_tau": "(1 - alpha^(k+1)) / (1 - alpha) with k = k_mean",
    "expected_tau_positional": "1 + sum_i prod_{j<=i} alpha_j from per-position acceptance",
    "predicted_speedup": "expected_tau / (k_mean * c + v); expected_tau / (c + v) when c is "
                         "per cycle",
    "ceiling_speedup": "(k_mean + 1) / (k_mean * c + v) (c per cycle: / (c + v)): the decode "
                       "speedup if every drafted token were accepted, the most any verifier, "
                       "exact or lossy, can give with this proposer, draft length and costs",
    "efficiency": "decode_speedup / predicted_speedup (1.0 = the measured decode phase runs "
                  "exactly as the model predicts; overhead and non-iid acceptance lower it)",
    "predicted_speedup_drafted": "the same model for the draft lengths actually proposed: "
                                 "E[tau] averaged over the cycles' drafted d (traces; "
                                 "drafted / cycles without), draft cost "
                                 "drafted_per_cycle * c (or c per cycle); "
                                 "efficiency_drafted = decode_speedup / it, which isolates "
                                 "overhead and non-iid acceptance from short drafts",
    "ttft": "prefill_s (median, p90)",
    "tpot": "decode_s / (new_tokens - 1), median over records",
    "exact_t0": "for exact methods at temperature 0: output_ids equal the baseline's on "
                "every shared item; a bf16 divergence the audit finds to be a near-tie "
                "(logit gap under the dtype tolerance, see docs/dtype.md) is counted "
                "apart as a near-tie, not as a mismatch",
    "errors": "records with status 'error' are counted and excluded from every figure",
    "v_by_k": "from traces: mean cycle target_s for cycles that drafted k tokens (a k+1 "
              "token verify call) over the baseline's target_s / target_calls",
    "projection": "predicted speedup over alpha x k with the main method's c and "
                  "v(k) = 1 + slope * k (weighted least squares through v(0) = 1)",
    "position_stats": "per checked draft position i = 1..k and pooled ('all'), from traces "
                      "recorded with position_stats: true: n checked positions, means of "
                      "H(q) and H(p) (entropies of the draft's and the target's distributions "
                      "at temperature 1, nats), KL(q || p), p(x) and q(x) (the target's and "
                      "the draft's probability of the drafted token x), and the rejection "
                      "rate at that position",
    "position_test": "rejection rate at draft position 0 vs positions >= late_from, pooled "
                     "two-proportion z-test; later positions are reached only after earlier "
                     "accepts, so this compares conditional rates",
    "baseline_cv": "spread: per baseline item, stdev / mean of total_s over its repetitions; "
                   "median (max) over items",
    "self_speedup": "spread: the baseline against itself, tokens/s of its repetition 1 over "
                    "its repetition 2 on the same items, with the speedup's bootstrap CI "
                    "(should read 1.00x)",
    "vs_reference": "spread: our target-only loop's tokens/s over the hf-greedy peer's on the "
                    "items where both produced the same tokens (should read 1.00x)",
    "noise_floor": "per (suite, T): the larger of max |x - 1| over self_speedup and its CI "
                   "ends and over vs_reference and its CI ends (the pooled floor when a "
                   "suite has none): how far from 1.00x a comparison with no effect lands",
    "noisy": "a claimed effect (a speedup whose CI excludes 1, other than the baseline and "
             "hf-greedy) with |speedup - 1| < its noise_floor is within noise (marked in "
             "the headline); the run is flagged noisy when any claimed effect is",
}


@dataclass
class CellSummary:
    method: str
    suite: str
    temperature: float
    proposer: str | None
    exact: bool
    is_baseline: bool
    n_ok: int
    n_err: int
    error_example: str | None = None
    tokens_per_s: float | None = None
    n_pairs: int = 0
    speedup: float | None = None
    speedup_ci: list[float] | None = None
    median_prompt_speedup: float | None = None
    decode_speedup: float | None = None
    tau: float | None = None
    alpha: float | None = None
    rejection_rate: float | None = None
    draft_yield: float | None = None
    accepted_per_position: list[int] | None = None
    reached_per_position: list[int] | None = None
    per_position_acceptance: list[float | None] | None = None
    tau_hist: list[int] | None = None
    k_mean: float | None = None
    drafted_per_cycle: float | None = None
    c: float | None = None
    c_per: str | None = None
    v: float | None = None
    expected_tau: float | None = None
    expected_tau_positional: float | None = None
    predicted_speedup: float | None = None
    ceiling_speedup: float | None = None
    efficiency: float | None = None
    expected_tau_drafted: float | None = None
    predicted_speedup_drafted: float | None = None
    efficiency_drafted: float | None = None
    ttft_median: float | None = None
    ttft_p90: float | None = None
    tpot_median: float | None = None
    exact_t0: dict[str, Any] | None = None
    position_test: dict[str, Any] | None = None
    position_stats: list[dict[str, Any]] | None = None
    noise_floor: float | None = None    # the baseline's spread in this (suite, T): spread.py
    within_noise: bool | None = None   # a claimed effect (CI excludes 1) smaller than noise_floor


def _speed(cell: CellSummary, pairs, cfg: AnalysisConfig) -> None:
    """Paired speed figures vs the baseline (aggregate, CI, median ratio, decode); every
    time is the item's median over its repetitions (metrics.timing)."""
    cell.n_pairs = len(pairs)
    if not pairs:
        return
    ms, bs = [m for m, _ in pairs], [b for _, b in pairs]
    rows = [((m["suite"], m["prompt_id"]),   # unit = (suite, prompt): its seeds travel together
             m["counters"]["new_tokens"], M.timing(m, "total_s"),
             b["counters"]["new_tokens"], M.timing(b, "total_s")) for m, b in pairs]
    cell.speedup, ci = paired_ratio(rows, cfg.n_boot, cfg.ci_level, cfg.seed)
    cell.speedup_ci = list(ci) if ci else None
    per_item = [M.ratio(M.tokens_per_s([m]), M.tokens_per_s([b])) for m, b in pairs]
    per_item = [r for r in per_item if r is not None]
    cell.median_prompt_speedup = statistics.median(per_item) if per_item else None
    cell.decode_speedup = M.ratio(M.decode_tokens_per_s(ms), M.decode_tokens_per_s(bs))


def _mechanics(cell: CellSummary, ok: list[dict], cfg: AnalysisConfig) -> None:
    """tau, alpha, per-position acceptance, rejection-by-position test."""
    cell.tau, cell.alpha, cell.draft_yield = M.tau(ok), M.alpha(ok), M.draft_yield(ok)
    cell.rejection_rate = None if cell.alpha is None else 1.0 - cell.alpha
    cell.tau_hist, cell.k_mean = M.tau_hist(ok), M.mean_k(ok)
    cell.drafted_per_cycle = M.ratio(M.counter_sum(ok, "drafted"), M.counter_sum(ok, "cycles"))
    cell.position_stats = M.position_stats(ok)
    counts = M.position_counts(ok)
    if counts is None or not counts[1] or counts[1][0] == 0:
        return
    acc, reached = counts
    cell.accepted_per_position, cell.reached_per_position = acc, reached
    cell.per_position_acceptance = [M.ratio(a, r) for a, r in zip(acc, reached)]
    late_acc, late_n = sum(acc[cfg.late_from:]), sum(reached[cfg.late_from:])
    test = two_proportion_z(reached[0] - acc[0], reached[0], late_n - late_acc, late_n)
    cell.position_test = {
        "early_rejection": 1.0 - acc[0] / reached[0], "n_early": reached[0],
        "late_rejection": M.ratio(late_n - late_acc, late_n), "n_late": late_n,
        "late_from": cfg.late_from, "z": test[0] if test else None,
        "p_value": test[1] if test else None}


def _theory(cell: CellSummary, ok: list[dict], base_ok: list[dict]) -> None:
    """c, v, Leviathan prediction and efficiency (needs a baseline step time)."""
    t1 = M.target_step_s(base_ok)
    cell.v = M.ratio(M.target_step_s(ok), t1)
    calls, drafted = M.counter_sum(ok, "draft_calls"), M.counter_sum(ok, "drafted")
    if calls:
        cell.c, cell.c_per = M.ratio(M.draft_token_s(ok), t1), "token"
    elif calls == 0 and drafted:
        cell.c, cell.c_per = M.ratio(M.draft_cycle_s(ok), t1), "cycle"
    if None in (cell.alpha, cell.k_mean, cell.c, cell.v):
        return
    cell.expected_tau = expected_tau(cell.alpha, cell.k_mean)
    alphas = [a for a in cell.per_position_acceptance or [] if a is not None]
    cell.expected_tau_positional = expected_tau_positional(alphas)
    draft_cost = cell.k_mean * cell.c if cell.c_per == "token" else cell.c
    cell.predicted_speedup = predicted_speedup(cell.expected_tau, draft_cost, cell.v)
    cell.ceiling_speedup = predicted_speedup(expected_tau(1.0, cell.k_mean), draft_cost, cell.v)
    cell.efficiency = M.ratio(cell.decode_speedup, cell.predicted_speedup)
    _theory_drafted(cell, M.drafted_lengths(ok))


def _theory_drafted(cell: CellSummary, lengths: list[tuple[float, int]] | None) -> None:
    """The same prediction for the draft lengths actually proposed (early stops, n-gram
    misses): E[tau] averaged over cycles' drafted d, draft cost mean(d) * c (or c/cycle)."""
    if not lengths or cell.drafted_per_cycle is None:
        return
    cell.expected_tau_drafted = expected_tau_mixture(cell.alpha, lengths)
    draft_cost = cell.drafted_per_cycle * cell.c if cell.c_per == "token" else cell.c
    cell.predicted_speedup_drafted = predicted_speedup(cell.expected_tau_drafted, draft_cost,
                                                       cell.v)
    cell.efficiency_drafted = M.ratio(cell.decode_speedup, cell.predicted_speedup_drafted)


def _exactness(cell: CellSummary, pairs) -> None:
    if not is_checked(cell.exact, cell.temperature, cell.is_baseline) or not pairs:
        return
    found = mismatches(pairs)
    bad, ties = len(real(found)), len(found) - len(real(found))
    cell.exact_t0 = {"status": "yes" if bad == 0 else "NO", "n": len(pairs), "mismatched": bad}
    if ties:  # bf16 near-ties (audit.py); absent otherwise, so fp32 summaries are unchanged
        cell.exact_t0["near_ties"] = ties


def summarize_cell(records: list[dict], key: CellKey, baseline: str | None,
                   cfg: AnalysisConfig) -> CellSummary:
    ok, err = select(records, key.method, key.suite, key.temperature)
    first = (ok or err)[0]
    cell = CellSummary(
        method=key.method, suite=key.suite, temperature=key.temperature,
        proposer=first["method_config"].get("proposer"), exact=first["exact"],
        is_baseline=key.method == baseline, n_ok=len(ok), n_err=len(err),
        error_example=err[0]["error"] if err else None)
    if not ok:
        return cell
    cell.tokens_per_s = M.tokens_per_s(ok)
    cell.ttft_median, cell.ttft_p90 = quantile(M.ttfts(ok), 0.5), quantile(M.ttfts(ok), 0.9)
    cell.tpot_median = quantile(M.tpots(ok), 0.5)
    _mechanics(cell, ok, cfg)
    if baseline is None:
        return cell
    base_ok, _ = select(records, baseline, key.suite, key.temperature)
    pairs = pair_up(ok, base_ok)
    _speed(cell, pairs, cfg)
    _exactness(cell, pairs)
    paired_base = [b for _, b in pairs] or base_ok   # same items when there are any
    if paired_base:
        _theory(cell, ok, paired_base)
    return cell


def v_by_k(records: list[dict], baseline: str | None) -> dict[str, list[dict[str, Any]]]:
    """Per method, from traces: verify cost by drafted tokens k, relative to a 1-token call."""
    if baseline is None:
        return {}
    t1 = M.target_step_s([r for r in records if r["method"] == baseline and r["status"] == "ok"])
    out = {}
    for method in dict.fromkeys(r["method"] for r in records):
        ok = [r for r in records if r["method"] == method and r["status"] == "ok"]
        rows = [{"k": k, "cycles": n, "v": M.ratio(s / n, t1)}
                for k, (s, n) in M.verify_time_by_k(ok).items()]
        if rows and method != baseline:
            out[method] = rows
    return out


def _main_method(cells: list[CellSummary], cfg: AnalysisConfig) -> CellSummary | None:
    """The pooled cell of the projection's method: cfg.main_method, else the fastest exact
    method with a per-call draft cost (a draft model), else the fastest such method."""
    suites = {c.suite for c in cells}
    pooled = [c for c in cells if c.suite == (ALL_SUITES if ALL_SUITES in suites else c.suite)]
    if cfg.main_method is not None:
        named = [c for c in pooled if c.method == cfg.main_method]
        if not named:
            names = ", ".join(dict.fromkeys(c.method for c in pooled))
            raise SpecDecodeError(f"--main-method {cfg.main_method}: no such method in these "
                                  f"runs. Available: {names}")
        return named[0]
    drafts = [c for c in pooled if c.c_per == "token" and c.c is not None]
    exact = [c for c in drafts if c.exact]
    return max(exact or drafts, key=lambda c: c.speedup or 0.0, default=None)


def projection(cells: list[CellSummary], vk: dict, cfg: AnalysisConfig) -> dict | None:
    main = _main_method(cells, cfg)
    if main is None or main.c is None or main.v is None:
        return None
    points = [(r["k"], r["v"], r["cycles"]) for r in vk.get(main.method, []) if r["v"]]
    if not points and main.k_mean:
        points = [(main.k_mean, main.v, 1.0)]
    slope = fit_v_slope(points)
    if slope is None:
        return None
    return {"method": main.method, "suite": main.suite, "temperature": main.temperature,
            "c": main.c, "c_per": main.c_per, "v_slope": slope,
            "alphas": list(cfg.alpha_grid), "ks": list(cfg.k_grid),
            "speedup": projection_grid(main.c, slope, cfg.alpha_grid, cfg.k_grid,
                                       per_cycle=main.c_per == "cycle"),
            "measured": {"alpha": main.alpha, "k_mean": main.k_mean,
                         "decode_speedup": main.decode_speedup}}


def build_summary(runset: RunSet, cfg: AnalysisConfig, baseline_name: str | None = None
                  ) -> dict[str, Any]:
    records = runset.records
    baseline = find_baseline(records, baseline_name)
    cells = [summarize_cell(records, key, baseline, cfg) for key in cell_keys(records)]
    noise = spread(records, cells, baseline, cfg)   # sets noise_floor / within_noise on cells
    vk = v_by_k(records, baseline)
    out = {
        "format": SUMMARY_FORMAT,
        "inputs": {"paths": runset.paths, "n_records": len(records),
                   "superseded": runset.superseded, "manifests": runset.manifests,
                   "schema_versions": {str(v): n for v, n in runset.versions.items()}},
        "config": asdict(cfg),
        "baseline": baseline,
        "definitions": DEFINITIONS,
        "cells": [asdict(c) for c in cells],
        "spread": noise,
        "v_by_k": vk,
        "projection": projection(cells, vk, cfg),
        "trace_item": pick_trace_item(records, cfg.trace_prompt),
    }
    quality = quality_summary(records, cells, baseline, cfg)
    if quality is not None:   # unscored runs keep the summary they always had
        out["quality"] = quality
        out["definitions"] = {**DEFINITIONS, **QUALITY_DEFINITIONS}
    return out
