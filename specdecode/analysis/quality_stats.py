"""Statistics of quality scores: a clustered bootstrap of a mean, the paired tests of a
method against the baseline, Holm's correction.

The tests themselves are scipy.stats / statsmodels; this module only shapes the data for
them and handles the cases they leave undefined (no discordant pair, no nonzero difference).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Hashable, Sequence

import numpy as np


@dataclass(frozen=True)
class QualityConfig:
    level: float = 0.05        # a paired difference is marked significant when p_shown < level
    exact_below: int = 25      # McNemar: exact binomial test below this many discordant pairs,
                               # chi-square with continuity correction from there on
    holm: bool = True          # p_shown: Holm-adjusted across the methods of one (suite, T)


QUALITY_DEFAULT = QualityConfig()


def _ratio_of_sums(sums: np.ndarray, counts: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.sum(sums, axis=axis) / np.sum(counts, axis=axis)


def cluster_mean_ci(values: Sequence[float], units: Sequence[Hashable], n_boot: int = 1000,
                    level: float = 0.95, seed: int = 0
                    ) -> tuple[float | None, tuple[float, float] | None]:
    """Mean of `values` (n,) and its percentile bootstrap CI, resampling `units` (n,): the
    items of one unit (a prompt: all its seeds) are drawn together, as for the speedup.

    The mean is sum / count over the drawn units (scipy.stats.bootstrap, paired over the
    per-unit (U,) sums and counts). (None, None) for no values; CI None under 2 units."""
    if len(values) == 0:
        return None, None
    per_unit: dict[Hashable, list[float]] = {}
    for v, u in zip(values, units):
        acc = per_unit.setdefault(u, [0.0, 0.0])
        acc[0] += float(v)
        acc[1] += 1.0
    sums, counts = (np.array(c) for c in zip(*per_unit.values()))   # each (U,)
    mean = float(sums.sum() / counts.sum())
    if len(sums) < 2:
        return mean, None
    if np.all(sums / counts == mean):   # every unit the same: no spread to resample
        return mean, (mean, mean)
    from scipy.stats import bootstrap

    res = bootstrap((sums, counts), _ratio_of_sums, paired=True, vectorized=True,
                    n_resamples=n_boot, confidence_level=level, method="percentile",
                    rng=np.random.default_rng(seed))
    ci = res.confidence_interval
    return mean, (float(ci.low), float(ci.high))


def mcnemar_test(method_pass: Sequence[bool], base_pass: Sequence[bool],
                 exact_below: int = QUALITY_DEFAULT.exact_below) -> dict[str, Any]:
    """McNemar's test on paired pass/fail outcomes (statsmodels). table (2, 2): rows method
    pass / fail, columns baseline pass / fail; only the discordant cells b = [0][1] and
    c = [1][0] carry information. p = 1 when there is no discordant pair."""
    from statsmodels.stats.contingency_tables import mcnemar

    m, b = np.asarray(method_pass, bool), np.asarray(base_pass, bool)
    table = [[int(np.sum(m & b)), int(np.sum(m & ~b))],
             [int(np.sum(~m & b)), int(np.sum(~m & ~b))]]
    discordant = table[0][1] + table[1][0]
    exact = discordant < exact_below
    out = {"test": "mcnemar-exact" if exact else "mcnemar-chi2", "table": table,
           "statistic": None, "p_value": 1.0}
    if discordant == 0:
        return out
    res = mcnemar(table, exact=exact, correction=True)
    return {**out, "statistic": float(res.statistic), "p_value": float(res.pvalue)}


def wilcoxon_test(diffs: Sequence[float]) -> dict[str, Any]:
    """Wilcoxon signed-rank test of paired differences (scipy.stats.wilcoxon, zero
    differences dropped: zero_method 'wilcox'). p = 1 when every difference is zero, where
    scipy's statistic is undefined."""
    from scipy.stats import wilcoxon

    d = np.asarray(diffs, dtype=float)
    out = {"test": "wilcoxon", "table": None, "statistic": None, "p_value": 1.0}
    if not np.any(d != 0.0):
        return out
    res = wilcoxon(d, zero_method="wilcox")
    return {**out, "statistic": float(res.statistic), "p_value": float(res.pvalue)}


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values (statsmodels multipletests), same order."""
    if not pvalues:
        return []
    from statsmodels.stats.multitest import multipletests

    return [float(p) for p in multipletests(list(pvalues), method="holm")[1]]
