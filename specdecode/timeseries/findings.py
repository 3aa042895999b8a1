"""What the summary rows say: knob sensitivity and the issue's goals, per data set.

Sensitivity: over the grid rows (rule gaussian, fixed controller), Spearman's rho of each
knob (sigma, bias, mse_tol, k) against MSE and against speedup, with its p-value, and the
mean of each at every level of the knob (the marginal effect).

Goals (docs/timeseries.md):
  exact     a distilled stochastic draft with bias 1, mse_tol 0: acceptance >= 40%,
            speedup >= 1.5x, MSE within 10% of target-only at the same sigma;
  lossy     any setting with speedup >= 2x and MSE within 20% of target-only (same sigma);
  undistilled  its acceptance (expected near zero).
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy import stats

KNOBS = ("sigma", "bias", "mse_tol", "k")


def _value(row: dict, metric: str):
    return row[metric]["value"]


def grid_rows(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r["config"]["rule"] == "gaussian" and r["config"]["controller"] == "fixed"
            and _value(r, "speedup") is not None]


def sensitivity(rows: list[dict]) -> list[dict]:
    rows = grid_rows(rows)
    out = []
    for knob in KNOBS:
        x = np.array([r["config"][knob] for r in rows], float)
        entry = {"knob": knob, "levels": {}}
        for metric in ("mse", "speedup"):
            y = np.array([_value(r, metric) for r in rows], float)
            if len(set(x)) > 1:
                res = stats.spearmanr(x, y)
                entry[metric] = {"rho": float(res.statistic), "p": float(res.pvalue)}
            else:
                entry[metric] = None
        for level in sorted(set(x)):
            sel = [r for r in rows if r["config"][knob] == level]
            entry["levels"][float(level)] = {m: float(np.mean([_value(r, m) for r in sel]))
                                             for m in ("mse", "speedup", "acceptance")
                                             if all(_value(r, m) is not None for r in sel)}
        out.append(entry)
    return out


def baseline_mse(rows: list[dict]) -> dict[float, float]:
    return {r["config"]["sigma"]: _value(r, "mse") for r in rows if r["config"]["proposer"] == "none"}


def mse_ratio(row: dict, base: dict[float, float]) -> float | None:
    b = base.get(row["config"]["sigma"])
    return None if not b else _value(row, "mse") / b


def goals(rows: list[dict]) -> dict:
    base = baseline_mse(rows)
    exact = [r for r in rows if r["exact"] and r["config"]["proposer"] not in ("none", None)
             and r["config"]["rule"] == "gaussian" and str(r["config"]["proposer"]).startswith("stoch")]
    def ok_exact(r):
        return ((_value(r, "acceptance") or 0) >= 0.4 and (_value(r, "speedup") or 0) >= 1.5
                and (mse_ratio(r, base) or 9) <= 1.10)
    lossy = [r for r in rows if not r["exact"] and r["config"]["rule"] != "draft-only"
             and (_value(r, "speedup") or 0) >= 2.0 and (mse_ratio(r, base) or 9) <= 1.20]
    best_exact = max(exact, key=lambda r: _value(r, "speedup") or 0, default=None)
    und = [r for r in rows if r["config"]["proposer"] == "undistilled" and r["config"]["rule"] == "gaussian"]
    return {"exact_best": best_exact, "exact_met": [r for r in exact if ok_exact(r)],
            "lossy_met": sorted(lossy, key=lambda r: -_value(r, "speedup")),
            "undistilled": und, "baseline_mse": base}


def heat(rows: list[dict], metric: str) -> tuple[list, list, np.ndarray]:
    """(sigmas, ks, (S, K) values) of the exact grid rows (bias 1, mse_tol 0)."""
    cells = defaultdict(list)
    for r in grid_rows(rows):
        c = r["config"]
        if c["bias"] == 1.0 and c["mse_tol"] == 0.0 and _value(r, metric) is not None:
            cells[(c["sigma"], c["k"])].append(_value(r, metric))
    sigmas = sorted({s for s, _ in cells})
    ks = sorted({k for _, k in cells})
    grid = np.full((len(sigmas), len(ks)), np.nan)
    for (s, k), v in cells.items():
        grid[sigmas.index(s), ks.index(k)] = float(np.mean(v))
    return sigmas, ks, grid
