"""Small statistics: paired bootstrap of a ratio of sums, two-proportion z-test, quantiles."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np


def ratio_of_rates(tok_m, time_m, tok_b, time_b) -> float:
    """(sum tok_m / sum time_m) / (sum tok_b / sum time_b): aggregate speedup."""
    return (np.sum(tok_m) / np.sum(time_m)) / (np.sum(tok_b) / np.sum(time_b))


def bootstrap_ratio_ci(tok_m: Sequence[float], time_m: Sequence[float],
                       tok_b: Sequence[float], time_b: Sequence[float],
                       n_boot: int = 1000, level: float = 0.95,
                       seed: int = 0) -> tuple[float, float] | None:
    """Percentile CI of ratio_of_rates, resampling units (prompts) with replacement.

    Each argument has one entry per unit (n,): a unit's method and baseline sums travel
    together (paired). Vectorised: a (n_boot, n) matrix of multinomial counts times each
    (n,) vector gives the resampled sums. None with fewer than 2 units.
    """
    arrays = [np.asarray(a, dtype=float) for a in (tok_m, time_m, tok_b, time_b)]
    n = arrays[0].size
    if n < 2:
        return None
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot)   # (B, n)
    tm, sm, tb, sb = (counts @ a for a in arrays)                     # each (B,)
    ratios = (tm / sm) / (tb / sb)
    tail = (1.0 - level) / 2.0 * 100.0
    lo, hi = np.percentile(ratios, [tail, 100.0 - tail])
    return float(lo), float(hi)


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float] | None:
    """Pooled two-proportion z-test of x1/n1 vs x2/n2: (z, two-sided p), None if degenerate."""
    if n1 == 0 or n2 == 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    if se == 0.0:
        return None
    z = (x1 / n1 - x2 / n2) / se
    return z, math.erfc(abs(z) / math.sqrt(2.0))


def quantile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated quantile (q in [0, 1]); None for no values."""
    if len(values) == 0:
        return None
    return float(np.quantile(np.asarray(values, dtype=float), q))


def paired_ratio(rows, n_boot: int = 1000, level: float = 0.95,
                 seed: int = 0) -> tuple[float, tuple[float, float] | None]:
    """ratio_of_rates and its bootstrap CI from per-item rows (unit, tok_m, time_m, tok_b,
    time_b): the items of one unit (e.g. a prompt, all its seeds) are summed and resampled
    together. rows must not be empty."""
    units: dict = {}
    for unit, *values in rows:
        u = units.setdefault(unit, [0.0, 0.0, 0.0, 0.0])
        for i, v in enumerate(values):
            u[i] += v
    cols = [list(c) for c in zip(*units.values())]
    ci = bootstrap_ratio_ci(*cols, n_boot=n_boot, level=level, seed=seed)
    return float(ratio_of_rates(*cols)), ci


def reach(value: float | None, ci: Sequence[float] | None) -> float | None:
    """How far from 1.0 a ratio and its CI go: max |x - 1| over the value and both ends."""
    if value is None:
        return None
    return max(abs(x - 1.0) for x in [value, *(ci or ())])
