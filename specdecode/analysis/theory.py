"""Leviathan et al. (2211.17192) predictions, in the notation of docs/theory.md "Theory".

E[tau] = (1 - alpha^(k+1)) / (1 - alpha)           iid acceptance, bonus included
E[tau] = 1 + sum_i prod_{j<=i} alpha_j              position-dependent acceptance
S      = E[tau] / (draft_cost + v(k))               draft_cost = k*c (one draft call per
                                                    drafted token) or a per-cycle cost
"""
from __future__ import annotations

from typing import Sequence


def expected_tau(alpha: float, k: float) -> float:
    """Expected tokens per target call with iid acceptance alpha and draft length k."""
    if alpha >= 1.0:
        return k + 1.0
    return (1.0 - alpha ** (k + 1.0)) / (1.0 - alpha)


def expected_tau_positional(alphas: Sequence[float]) -> float:
    """1 + sum_i prod_{j<=i} alpha_j for per-position acceptances alpha_0..alpha_{k-1}."""
    total, prod = 1.0, 1.0
    for a in alphas:
        prod *= a
        total += prod
    return total


def expected_tau_mixture(alpha: float, drafted: Sequence[tuple[float, int]]) -> float:
    """E[tau] when cycles draft different lengths: sum_d w_d * E[tau](alpha, d) / sum_d w_d.

    drafted: (d, number of cycles that drafted d tokens); an n-gram miss (d = 0) emits 1.
    """
    total = sum(n for _, n in drafted)
    return sum(n * expected_tau(alpha, d) for d, n in drafted) / total


def predicted_speedup(e_tau: float, draft_cost: float, v: float) -> float:
    """S = E[tau] / (draft_cost + v), both costs in units of one 1-token target call."""
    return e_tau / (draft_cost + v)


def fit_v_slope(points: Sequence[tuple[float, float, float]]) -> float | None:
    """Slope b of v(k) = 1 + b*k by weighted least squares through (0, 1).

    points: (k, v, weight). A k+1-token verify call costs 1 + b*k one-token calls; used to
    extrapolate v to the projection grid's k. None without usable points.
    """
    num = sum(w * k * (v - 1.0) for k, v, w in points if k > 0)
    den = sum(w * k * k for k, v, w in points if k > 0)
    return num / den if den > 0 else None


def projection_grid(c: float, v_slope: float, alphas: Sequence[float], ks: Sequence[int],
                    per_cycle: bool = False) -> list[list[float]]:
    """Predicted speedup [alpha][k] with v(k) = 1 + slope*k and a draft costing c per
    drafted token (k*c), or c per cycle whatever k (draft-free proposers)."""
    return [[predicted_speedup(expected_tau(a, k), c if per_cycle else k * c,
                               1.0 + v_slope * k) for k in ks] for a in alphas]
