"""Per (data set, method) metrics of a `ts bench` run file, with bootstrap CIs over
windows. Reads records only (never a model).

  mse / mae / crps   mean over windows (z-scored units), CI resampling windows
  acceptance         analysis.metrics.alpha: sum accepted_per_position / sum reached
  tau                analysis.metrics.tau: patches after the prefill per cycle
  time               mean seconds per forecast (records' total_s, prefill included)
  speedup            sum(target-only time) / sum(method time) over the SAME windows and
                     seeds, target-only at the method's sigma; CI resampling window pairs
CIs: 95% percentile bootstrap (analysis.resample), n_boot resamples, fixed seed.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from ..analysis import metrics
from ..analysis.resample import percentile_ci, ratio, strata_sums


@dataclass(frozen=True)
class SummaryConfig:
    n_boot: int = 1000
    seed: int = 0


def _boot_ratio(num: np.ndarray, den: np.ndarray, cfg: SummaryConfig) -> list | None:
    """CI of sum(num) / sum(den), resampling rows (windows)."""
    if len(num) < 2:
        return None
    boot = strata_sums(np.column_stack([num, den]).astype(float), np.zeros(len(num)), cfg.n_boot,
                       cfg.seed)[0.0]
    return percentile_ci(ratio(boot[:, 0], boot[:, 1]))


def _stat(values: np.ndarray, cfg: SummaryConfig) -> dict:
    return {"value": float(values.mean()) if len(values) else None,
            "ci": _boot_ratio(values, np.ones(len(values)), cfg)}


def _acc(records: list[dict], cfg: SummaryConfig) -> dict:
    counts = [metrics.position_counts([r]) for r in records]
    if any(c is None for c in counts) or not records:
        return {"value": None, "ci": None}
    acc = np.array([sum(a) for a, _ in counts], float)
    reached = np.array([sum(r) for _, r in counts], float)
    return {"value": metrics.alpha(records), "ci": _boot_ratio(acc, reached, cfg)}


def _tau(records: list[dict], cfg: SummaryConfig) -> dict:
    dec = np.array([metrics.decode_tokens(r) for r in records], float)
    cyc = np.array([r["counters"]["cycles"] for r in records], float)
    return {"value": metrics.tau(records), "ci": _boot_ratio(dec, cyc, cfg)}


def _speedup(records: list[dict], base: dict[tuple, dict], cfg: SummaryConfig) -> dict:
    pairs = [(base[_pair(r)], r) for r in records if _pair(r) in base]
    if not pairs:
        return {"value": None, "ci": None}
    b = np.array([metrics.timing(x, "total_s") for x, _ in pairs])
    m = np.array([metrics.timing(y, "total_s") for _, y in pairs])
    return {"value": float(b.sum() / m.sum()), "ci": _boot_ratio(b, m, cfg)}


def _pair(rec: dict) -> tuple:
    return rec["prompt_id"], rec["seed"], rec["temperature"]


def method_row(records: list[dict], base: dict[tuple, dict], cfg: SummaryConfig) -> dict:
    f = [r["forecast"] for r in records]
    times = np.array([metrics.timing(r, "total_s") for r in records])
    return {"method": records[0]["method"], "config": records[0]["method_config"],
            "exact": records[0]["exact"], "n": len(records),
            "mse": _stat(np.array([x["mse"] for x in f]), cfg),
            "mae": _stat(np.array([x["mae"] for x in f]), cfg),
            "crps": _stat(np.array([x["crps"] for x in f]), cfg),
            "acceptance": _acc(records, cfg), "tau": _tau(records, cfg),
            "time_s": _stat(times, cfg), "speedup": _speedup(records, base, cfg),
            "draft_call_s": metrics.draft_token_s(records),
            "target_call_s": metrics.target_step_s(records)}


def summarise(records: list[dict], cfg: SummaryConfig = SummaryConfig()) -> dict:
    """{dataset: {"rows": [method rows], "errors": n}} from the ok records of a run."""
    by = defaultdict(lambda: defaultdict(list))
    errors = defaultdict(int)
    for r in records:
        if r.get("forecast") is None:
            errors[r["suite"]] += r["status"] == "error"
            continue
        by[r["suite"]][r["method"]].append(r)
    out = {}
    for ds, methods in by.items():
        base = {_pair(r): r for recs in methods.values() for r in recs
                if r["method_config"]["proposer"] == "none"}
        out[ds] = {"rows": [method_row(recs, base, cfg) for recs in methods.values()],
                   "errors": errors[ds]}
    return out
