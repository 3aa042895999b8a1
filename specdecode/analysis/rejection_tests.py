"""The registered tests of the rejection analysis: each takes the analysis data and its
params and returns one result (a hypotheses-table row's numbers), or raises Untestable
with the reason (too few domains, no per-position statistics, ...).

Result: {statistic, effect_name, effect, effect_ci, p, n, unit, sign}
  effect    a difference of pooled rejection rates (fractions; the report prints
            percentage points) or a ratio - 1; effect_ci its 95% prompt-bootstrap CI
  p         two-sided; the hypotheses table corrects it across rows (Holm)
  sign      the direction the hypothesis predicts: +1 effect > 0, -1 effect < 0,
            0 no direction ("differs"; such a row is supported or inconclusive, never
            falsified: no test shows that something does NOT differ)
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import stats

from .rejection_data import Checks, Prompts
from .resample import percentile_ci, permutation_p, ratio, strata_sums, wilcoxon_p

DIRECTIONS = {"higher": 1, "lower": -1}


class Untestable(Exception):
    """The data cannot test this (the message says why); not an input error."""


@dataclass
class Data:
    prompts: Prompts
    checks: Checks | None
    mass_before: np.ndarray | None   # (N,) per check: reference mass of more frequent tokens
    n_boot: int = 1000
    n_perm: int = 2000
    seed: int = 0


def _result(statistic, effect_name, effect, ci, p, n, sign, kind="pp", **extra) -> dict:
    """kind: how the effect prints: pp (percentage points), percent, plain."""
    return {"statistic": statistic, "effect_name": effect_name, "effect": float(effect),
            "effect_ci": ci, "effect_kind": kind, "p": float(p), "n": int(n), "unit": "prompts",
            "sign": sign, **extra}


def _sign(direction: str) -> int:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)} (got {direction!r})")
    return DIRECTIONS[direction]


def _drafting(d: Data) -> tuple[Prompts, np.ndarray]:
    """(prompts, row indices of prompts that drafted something)."""
    return d.prompts, np.flatnonzero(d.prompts.drafted > 0)


def _two_each(groups: list[np.ndarray]) -> None:
    """A permutation test of prompts needs at least 2 prompts in every group."""
    if min(len(g) for g in groups) < 2:
        raise Untestable("needs at least 2 drafting prompts in every group compared")


def domains(d: Data) -> list[str]:
    return list(dict.fromkeys(d.prompts.suite[d.prompts.drafted > 0].tolist()))


# ---------------------------------------------------------------------------- by domain


def domain_vs_rest(d: Data, domain: str = "code", direction: str = "lower") -> dict:
    """Rejection (1 - accepted/drafted) of one domain's prompts minus the other domains'
    (pooled); p from shuffling prompts between the two groups (permutation test)."""
    sign = _sign(direction)
    P, rows = _drafting(d)
    present = domains(d)
    if domain not in present:
        raise Untestable(f"no '{domain}' domain in these records (domains: {', '.join(present) or 'none'})")
    if len(present) < 2:
        raise Untestable(f"needs another domain besides '{domain}' to compare with")
    rej, drf = P.drafted - P.accepted, P.drafted
    inside = P.suite[rows] == domain
    groups = [rows[inside], rows[~inside]]
    _two_each(groups)

    def diff(x, y, axis=-1):
        return ratio(rej[x].sum(axis), drf[x].sum(axis)) - ratio(rej[y].sum(axis), drf[y].sum(axis))

    boot = strata_sums(np.column_stack([rej[rows], drf[rows]]), inside, d.n_boot, d.seed)
    b_diff = ratio(boot[True][:, 0], boot[True][:, 1]) - ratio(boot[False][:, 0], boot[False][:, 1])
    p = permutation_p(groups, diff, d.n_perm, d.seed)
    return _result("permutation test of prompts between the groups (two-sided)",
                   f"rejection {domain} - rest", diff(*groups), percentile_ci(b_diff), p,
                   len(rows), sign)


def _chi2(rej_by_group: np.ndarray, n_by_group: np.ndarray) -> np.ndarray:
    """Pearson chi-square of a (groups x {rejected, accepted}) table from each group's
    rejected and drafted sums (..., k); vectorised over leading axes."""
    pooled = rej_by_group.sum(-1, keepdims=True) / n_by_group.sum(-1, keepdims=True)
    expected = n_by_group * pooled * (1.0 - pooled)
    return np.sum((rej_by_group - n_by_group * pooled) ** 2 / np.where(expected > 0, expected, np.nan), -1)


def domains_differ(d: Data) -> dict:
    """Do domains' rejection rates differ? Effect: Cramer's V of the pooled
    domain x {rejected, accepted} table (bootstrap CI); p from a permutation test of
    prompts between domains with the pooled chi-square as statistic. The textbook
    chi-square p (scipy chi2_contingency, positions as independent draws) is kept as
    `p_pooled_chi2` for reference only: it ignores that positions cluster in prompts."""
    P, rows = _drafting(d)
    present = domains(d)
    if len(present) < 2:
        raise Untestable(f"needs >= 2 domains (found {', '.join(present) or 'none'})")
    rej, drf = P.drafted - P.accepted, P.drafted
    groups = [rows[P.suite[rows] == s] for s in present]
    _two_each(groups)

    def chi2(*idx, axis=-1):
        r = np.stack([rej[i].sum(axis) for i in idx], -1)
        n = np.stack([drf[i].sum(axis) for i in idx], -1)
        return _chi2(r, n)

    table = np.rint([[rej[g].sum(), drf[g].sum() - rej[g].sum()] for g in groups]).astype(np.int64)
    if not table[:, 0].any() or not table[:, 1].any():
        raise Untestable("every drafted token was accepted, or every one rejected")
    chi2_stat, p_pooled, _, _ = stats.chi2_contingency(table, correction=False)
    v = float(stats.contingency.association(table, method="cramer"))
    boot = strata_sums(np.column_stack([rej[rows], drf[rows]]), P.suite[rows], d.n_boot, d.seed)
    b_r = np.stack([boot[s][:, 0] for s in present], -1)
    b_n = np.stack([boot[s][:, 1] for s in present], -1)
    b_v = np.sqrt(_chi2(b_r, b_n) / b_n.sum(-1))
    p = permutation_p(groups, chi2, d.n_perm, d.seed, alternative="greater")
    return _result("permutation test of prompts between domains, pooled chi-square",
                   "Cramer's V", v, percentile_ci(b_v), p, len(rows), 0, kind="plain",
                   chi2=float(chi2_stat), p_pooled_chi2=float(p_pooled))


def throughput_by_domain(d: Data) -> dict:
    """Does tokens/s differ between domains? Kruskal-Wallis on per-prompt tokens/s;
    effect: fastest domain's pooled tokens/s / slowest's - 1 (bootstrap CI)."""
    P = d.prompts
    present = list(dict.fromkeys(P.suite.tolist()))
    if len(present) < 2:
        raise Untestable(f"needs >= 2 domains (found {', '.join(present) or 'none'})")
    per_prompt = ratio(P.tokens, P.seconds)
    groups = [per_prompt[P.suite == s] for s in present]
    if len(per_prompt) < 3:
        raise Untestable("needs at least 3 prompts")
    try:
        p = float(stats.kruskal(*groups).pvalue)
    except ValueError:   # every value identical
        p = 1.0
    rates = np.array([ratio(P.tokens[P.suite == s].sum(), P.seconds[P.suite == s].sum()) for s in present])
    boot = strata_sums(np.column_stack([P.tokens, P.seconds]), P.suite, d.n_boot, d.seed)
    b_rates = np.stack([ratio(boot[s][:, 0], boot[s][:, 1]) for s in present], -1)
    b_eff = b_rates.max(-1) / b_rates.min(-1) - 1.0
    return _result("Kruskal-Wallis on per-prompt tokens/s", "tokens/s fastest / slowest domain - 1",
                   rates.max() / rates.min() - 1.0, percentile_ci(b_eff), p, len(per_prompt), 0,
                   kind="percent",
                   fastest=present[int(rates.argmax())], slowest=present[int(rates.argmin())])


# ---------------------------------------------------------------------------- paired, within prompts


def _paired(d: Data, a: tuple, b: tuple, sign: int, name: str) -> dict:
    """Pooled rejection of A minus B, with A and B measured within the same prompts:
    a, b = (rejected (P,), checked (P,)); prompts lacking either are left out. p: Wilcoxon
    signed-rank on the per-prompt differences; CI: bootstrap over prompts."""
    keep = (a[1] > 0) & (b[1] > 0)
    if keep.sum() < 2:
        raise Untestable(f"fewer than 2 prompts have checked positions of both kinds ({name})")
    cols = np.column_stack([a[0], a[1], b[0], b[1]])[keep]           # (n, 4)
    effect = ratio(cols[:, 0].sum(), cols[:, 1].sum()) - ratio(cols[:, 2].sum(), cols[:, 3].sum())
    boot = strata_sums(cols, np.zeros(len(cols)), d.n_boot, d.seed)[0.0]
    b_eff = ratio(boot[:, 0], boot[:, 1]) - ratio(boot[:, 2], boot[:, 3])
    diffs = cols[:, 0] / cols[:, 1] - cols[:, 2] / cols[:, 3]
    return _result("Wilcoxon signed-rank on per-prompt differences (two-sided)", name,
                   effect, percentile_ci(b_eff), wilcoxon_p(diffs), len(cols), sign)


def early_vs_late(d: Data, early: int = 2, direction: str = "higher") -> dict:
    """Rejection given reached at positions 1..early minus at the later positions."""
    sign = _sign(direction)
    P = d.prompts
    if P.reached.shape[1] <= early:
        raise Untestable(f"needs drafts longer than {early} positions")
    rej = P.reached - P.acc_pos                                        # (P, W)
    a = (rej[:, :early].sum(1), P.reached[:, :early].sum(1))
    b = (rej[:, early:].sum(1), P.reached[:, early:].sum(1))
    return _paired(d, a, b, sign, f"rejection positions 1-{early} - positions {early + 1}+")


def rare_vs_common(d: Data, rare_mass: float = 0.2, direction: str = "higher") -> dict:
    """Rejection of checked drafted tokens in the bottom `rare_mass` of the reference
    unigram mass (rare) minus the rest (common)."""
    sign = _sign(direction)
    if d.checks is None:
        raise Untestable("needs per-position statistics (schema v2, `position_stats: true`)")
    if not 0.0 < rare_mass < 1.0:
        raise ValueError(f"rare_mass must be in (0, 1) (got {rare_mass!r})")
    C, n = d.checks, len(d.prompts.unit)
    rare = d.mass_before >= 1.0 - rare_mass

    def sums(mask):
        return (np.bincount(C.prompt, weights=(C.rejected & mask).astype(float), minlength=n),
                np.bincount(C.prompt, weights=mask.astype(float), minlength=n))
    return _paired(d, sums(rare), sums(~rare), sign,
                   f"rejection rare (bottom {rare_mass:.0%} of mass) - common")


TESTS: dict[str, Callable[..., dict]] = {
    "domain_vs_rest": domain_vs_rest,
    "domains_differ": domains_differ,
    "throughput_by_domain": throughput_by_domain,
    "early_vs_late": early_vs_late,
    "rare_vs_common": rare_vs_common,
}


def params_of(name: str) -> list[str]:
    """The params a registered test takes (besides the data)."""
    return list(inspect.signature(TESTS[name]).parameters)[1:]
