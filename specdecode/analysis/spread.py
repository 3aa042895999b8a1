"""Spread: how far the baseline's timing moves when nothing changes, and which claimed
effects that swamps. A timing is only as good as its repeat.

Per (suite, temperature) of the baseline, and pooled over suites:
  baseline CV    per item: stdev / mean of total_s over its repetitions (bench `repeats`);
                 the median (and max) over items
  self speedup   the baseline against itself: tokens/s of its repetition 1 over its
                 repetition 2 on the same items, aggregated and bootstrapped exactly like a
                 speedup (needs >= 2 repetitions); it should read 1.00x
  vs reference   our target-only loop's tokens/s over hf-greedy's (the peer that runs the
                 same greedy computation through transformers) on the items where both
                 produced the same tokens; it should read 1.00x too
  noise floor    the larger of reach(self speedup) and reach(vs reference), where reach =
                 max |x - 1| over the ratio and its CI ends: how far from 1.00x a comparison
                 with no effect lands in this run
A claimed effect is a speedup (of a method other than the baseline and the reference)
whose CI excludes 1.00x. It is within noise when |speedup - 1| < the noise floor of its
(suite, temperature) (the pooled floor when the suite's cannot be measured). The run is
flagged noisy when any claimed effect is within noise; the flag is None (not measured)
when no floor could be measured (one repetition and no hf-greedy).
"""
from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import Any

from . import metrics as M
from .cells import ALL_SUITES, cell_keys, pair_up, select, unique_in_order
from .config import AnalysisConfig
from .stats import paired_ratio, reach

REFERENCE_PEER = "hf-greedy"   # the peer whose tokens/s our target-only loop should match

Record = dict[str, Any]


@dataclass
class SpreadRow:
    suite: str
    temperature: float
    n_items: int = 0               # ok baseline items
    n_repeated: int = 0            # ... with >= 2 repetitions
    repeats: int = 1               # the most repetitions of one item
    cv_median: float | None = None
    cv_max: float | None = None
    self_speedup: float | None = None
    self_ci: list[float] | None = None
    n_reference: int = 0           # items paired with the reference (same tokens)
    vs_reference: float | None = None
    vs_reference_ci: list[float] | None = None
    noise_floor: float | None = None


def find_reference(records: list[Record]) -> str | None:
    """The first method that is the hf-greedy peer (None when the run has none)."""
    names = unique_in_order(r["method"] for r in records
                            if r["method_config"].get("peer") == REFERENCE_PEER)
    return names[0] if names else None


def _unit(rec: Record) -> tuple[str, str]:
    return rec["suite"], rec["prompt_id"]


def spread_row(records: list[Record], baseline: str, reference: str | None, suite: str,
               temperature: float, cfg: AnalysisConfig) -> SpreadRow:
    ok, _ = select(records, baseline, suite, temperature)
    row = SpreadRow(suite, temperature, n_items=len(ok))
    repeated = [r for r in ok if len(r.get("repeats") or ()) >= 2]
    row.n_repeated = len(repeated)
    row.repeats = max((len(r.get("repeats") or [None]) for r in ok), default=1)
    cvs = [c for c in (M.cv(M.repeat_times(r)) for r in repeated) if c is not None]
    if cvs:
        row.cv_median, row.cv_max = statistics.median(cvs), max(cvs)
    boot = dict(n_boot=cfg.n_boot, level=cfg.ci_level, seed=cfg.seed)
    if repeated:
        first, second = ([r["repeats"][i] for r in repeated] for i in (0, 1))
        rows = [(_unit(r), a["new_tokens"], a["total_s"], b["new_tokens"], b["total_s"])
                for r, a, b in zip(repeated, first, second)]
        row.self_speedup, ci = paired_ratio(rows, **boot)
        row.self_ci = list(ci) if ci else None
    if reference is not None:
        ref_ok, _ = select(records, reference, suite, temperature)
        pairs = [(b, h) for b, h in pair_up(ok, ref_ok) if b["output_ids"] == h["output_ids"]]
        row.n_reference = len(pairs)
        if pairs:
            rows = [(_unit(b), b["counters"]["new_tokens"], M.timing(b, "total_s"),
                     h["counters"]["new_tokens"], M.timing(h, "total_s")) for b, h in pairs]
            row.vs_reference, ci = paired_ratio(rows, **boot)
            row.vs_reference_ci = list(ci) if ci else None
    reaches = [x for x in (reach(row.self_speedup, row.self_ci),
                           reach(row.vs_reference, row.vs_reference_ci)) if x is not None]
    row.noise_floor = max(reaches) if reaches else None
    return row


def is_claim(cell, reference: str | None) -> bool:
    """A speedup the report presents as an effect: its CI excludes 1.00x."""
    if cell.is_baseline or cell.method == reference or cell.speedup is None:
        return False
    ci = cell.speedup_ci
    return bool(ci) and not ci[0] <= 1.0 <= ci[1]


def spread(records: list[Record], cells: list, baseline: str | None,
           cfg: AnalysisConfig) -> dict[str, Any] | None:
    """The spread rows and the noise flag; sets noise_floor / within_noise on `cells`
    (summary.CellSummary objects). None without a baseline."""
    if baseline is None:
        return None
    reference = find_reference(records)
    rows = {(k.suite, k.temperature): spread_row(records, baseline, reference, k.suite,
                                                 k.temperature, cfg)
            for k in cell_keys(records) if k.method == baseline}

    def floor(suite: str, t: float) -> float | None:
        for key in ((suite, t), (ALL_SUITES, t)):
            if key in rows and rows[key].noise_floor is not None:
                return rows[key].noise_floor
        return None

    claims = []
    for c in cells:
        if c.is_baseline or c.method == reference:
            continue
        c.noise_floor = floor(c.suite, c.temperature)
        if not is_claim(c, reference):
            continue
        effect = abs(c.speedup - 1.0)
        c.within_noise = None if c.noise_floor is None else effect < c.noise_floor
        claims.append({"method": c.method, "suite": c.suite, "temperature": c.temperature,
                       "speedup": c.speedup, "effect": effect, "noise_floor": c.noise_floor,
                       "within_noise": c.within_noise})
    measured = any(r.noise_floor is not None for r in rows.values())
    within = [cl for cl in claims if cl["within_noise"]]
    checked = [cl for cl in claims if cl["noise_floor"] is not None]
    return {"baseline": baseline, "reference": reference,
            "rows": [asdict(r) for r in rows.values()],
            "claims": claims,
            "smallest_claim": min(checked, key=lambda cl: cl["effect"], default=None),
            "within_noise": within,
            "noisy": (len(within) > 0) if measured else None}
