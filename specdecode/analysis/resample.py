"""Prompt-level resampling for the rejection analysis: cluster bootstrap of sums, and
permutation / rank tests through scipy.stats.

Every statistic here is a function of per-prompt SUMS (rejected, drafted, tokens,
seconds, ...), so a bootstrap resample is a multinomial count vector per prompt and the
resampled sums are one matrix product: counts (B, n) @ columns (n, m) -> (B, m).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import stats

MIN_FINITE = 20   # a CI from fewer finite resamples is not reported


def strata_sums(cols: np.ndarray, strata: np.ndarray, n_boot: int, seed: int
                ) -> dict[object, np.ndarray]:
    """{stratum: (B, m) bootstrap sums of cols (n, m)}, resampling rows (prompts) with
    replacement WITHIN each stratum (e.g. a domain), so every resample keeps each
    stratum's number of prompts."""
    rng = np.random.default_rng(seed)
    out = {}
    for s in dict.fromkeys(strata.tolist()):
        rows = cols[strata == s]                                  # (n_s, m)
        n = len(rows)
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot)   # (B, n_s)
        out[s] = counts @ rows                                    # (B, m)
    return out


def percentile_ci(values: np.ndarray, level: float = 0.95) -> list[float] | None:
    """Percentile interval of the finite bootstrap values; None when too few are finite
    (a resample with an empty denominator has no value)."""
    values = values[np.isfinite(values)]
    if values.size < MIN_FINITE:
        return None
    tail = (1.0 - level) / 2.0 * 100.0
    lo, hi = np.percentile(values, [tail, 100.0 - tail])
    return [float(lo), float(hi)]


def ratio(num, den):
    """num / den elementwise, nan where den is 0 (no warning)."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def rate_ci(num: np.ndarray, den: np.ndarray, n_boot: int, seed: int) -> tuple[float, list | None]:
    """Pooled sum(num) / sum(den) over prompts (n,) and its bootstrap CI (resampling prompts)."""
    point = float(ratio(num.sum(), den.sum()))
    if len(num) < 2:
        return point, None
    boot = strata_sums(np.column_stack([num, den]), np.zeros(len(num)), n_boot, seed)[0.0]
    return point, percentile_ci(ratio(boot[:, 0], boot[:, 1]))


def permutation_p(groups: list[np.ndarray], statistic: Callable, n_perm: int, seed: int,
                  alternative: str = "two-sided") -> float:
    """p-value of `statistic` under shuffling prompts between groups (scipy.stats.
    permutation_test); `groups` hold row indices, statistic(*index_arrays, axis) -> value."""
    res = stats.permutation_test(groups, statistic, permutation_type="independent",
                                 vectorized=True, n_resamples=n_perm, alternative=alternative,
                                 random_state=np.random.default_rng(seed))
    return float(res.pvalue)


def wilcoxon_p(diffs: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p of per-prompt paired differences; 1.0 when every
    difference is zero (nothing to rank)."""
    if not np.any(diffs != 0):
        return 1.0
    p = float(stats.wilcoxon(diffs).pvalue)
    return p if np.isfinite(p) else 1.0
