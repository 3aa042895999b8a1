"""`policy check`: does the solved policy have the structure the theory expects? Each
condition is reported passed / failed with the data behind it (a failure is a finding):

  stop-monotone-entropy    the optimal stop decision is non-decreasing in the entropy bin
                           (each (KL bin, pos) slice)
  stop-monotone-position   ... non-decreasing in the window position (each (h, KL) slice)
  threshold-monotone-kl    where the policy stops, its threshold is monotone in the KL bin,
                           in one direction for every (h, pos) slice
  supermodular-entropy-stop  Q(h+1, stop) - Q(h+1, cont) >= Q(h, stop) - Q(h, cont),
                           stop = the best stop action
  supermodular-kl-threshold  Q(kl+1, T_j+1) - Q(kl+1, T_j) >= Q(kl, T_j+1) - Q(kl, T_j)

Slices count only states visited at least `min_visits` times in the traces (the others
are the Laplace prior's guesses). The table's arrays come from the policy file."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .states import CONTINUE, Bins

TOL = 1e-9


@dataclass(frozen=True)
class Condition:
    name: str
    passed: bool
    checked: int                 # slices or quadruples examined
    violations: list             # the first few, with their numbers

    def to_json(self) -> dict:
        return {"name": self.name, "passed": self.passed, "checked": self.checked,
                "violations": self.violations[:10], "n_violations": len(self.violations)}


def grid(bins: Bins, values: np.ndarray) -> np.ndarray:
    """(S, ...) -> (n_h, n_kl, window, ...) by the state index layout."""
    return values.reshape(bins.n_h, bins.n_kl, bins.window, *values.shape[1:])


def monotone_stop(bins, policy, visits, axis: int, name: str, min_visits: int) -> Condition:
    stop = grid(bins, (policy != CONTINUE).astype(int))
    seen = grid(bins, visits >= min_visits)
    checked, bad = 0, []
    for idx in np.ndindex(*[n for i, n in enumerate(stop.shape) if i != axis]):
        line, ok = _line(stop, idx, axis), _line(seen, idx, axis)
        vals = line[ok]
        if len(vals) < 2:
            continue
        checked += 1
        if (np.diff(vals) < 0).any():
            bad.append({"slice": list(map(int, idx)), "stop": vals.tolist()})
    return Condition(name, not bad, checked, bad)


def monotone_threshold(bins, policy, visits, min_visits: int) -> Condition:
    t = grid(bins, policy.astype(float))
    seen = grid(bins, (visits >= min_visits) & (policy != CONTINUE))
    checked, ups, downs, bad = 0, 0, 0, []
    for h in range(bins.n_h):
        for p in range(bins.window):
            vals = t[h, :, p][seen[h, :, p]]
            if len(vals) < 2:
                continue
            checked += 1
            d = np.diff(vals)
            up, down = (d >= 0).all(), (d <= 0).all()
            ups, downs = ups + up, downs + down
            if not (up or down):
                bad.append({"slice": [h, p + 1], "threshold_index": (vals - 1).astype(int).tolist()})
    if not bad and checked and ups < checked and downs < checked:  # monotone, but not one way
        bad = [{"note": f"{ups} slices non-decreasing, {downs} non-increasing"}]
    direction = "non-decreasing" if ups >= downs else "non-increasing"
    return Condition(f"threshold-monotone-kl ({direction})", not bad, checked, bad)


def supermodular_entropy(bins, q, visits, min_visits: int) -> Condition:
    best_stop = np.where(np.isfinite(q[:, 1:]), q[:, 1:], -np.inf).max(axis=1)
    with np.errstate(invalid="ignore"):
        gain = grid(bins, best_stop - q[:, CONTINUE])          # (n_h, n_kl, W); -inf at pos W
    seen = grid(bins, visits >= min_visits)
    checked, bad = 0, []
    for h in range(bins.n_h - 1):
        for k in range(bins.n_kl):
            for p in range(bins.window - 1):
                if not (seen[h, k, p] and seen[h + 1, k, p]):
                    continue
                if not np.isfinite(gain[h:h + 2, k, p]).all():
                    continue  # one side forbidden there (a cascade fixed it): no gain to compare
                checked += 1
                if gain[h + 1, k, p] < gain[h, k, p] - TOL:
                    bad.append({"h": h, "kl": k, "pos": p + 1, "diff_low": float(gain[h, k, p]),
                                "diff_high": float(gain[h + 1, k, p])})
    return Condition("supermodular-entropy-stop", not bad, checked, bad)


def supermodular_kl(bins, q, visits, min_visits: int) -> Condition:
    qg = grid(bins, q)
    seen = grid(bins, visits >= min_visits)
    checked, bad = 0, []
    for h in range(bins.n_h):
        for k in range(bins.n_kl - 1):
            for p in range(bins.window):
                if not (seen[h, k, p] and seen[h, k + 1, p]):
                    continue
                with np.errstate(invalid="ignore"):
                    lo, hi = np.diff(qg[h, k, p, 1:]), np.diff(qg[h, k + 1, p, 1:])
                if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
                    continue  # the greedy table: one threshold only
                checked += len(lo)
                for j in np.nonzero(hi < lo - TOL)[0]:
                    bad.append({"h": h, "kl": k, "pos": p + 1, "T": [bins.grid[j], bins.grid[j + 1]],
                                "diff_low": float(lo[j]), "diff_high": float(hi[j])})
    return Condition("supermodular-kl-threshold", not bad, checked, bad)


def conditions(bins: Bins, table: dict, min_visits: int = 5) -> list[Condition]:
    policy = np.asarray(table["policy"])
    q = np.array([[-np.inf if x is None else x for x in row] for row in table["q"]], dtype=float)
    visits = np.asarray(table["visits"])
    return [monotone_stop(bins, policy, visits, 0, "stop-monotone-entropy", min_visits),
            monotone_stop(bins, policy, visits, 2, "stop-monotone-position", min_visits),
            monotone_threshold(bins, policy, visits, min_visits),
            supermodular_entropy(bins, q, visits, min_visits),
            supermodular_kl(bins, q, visits, min_visits)]


def _line(arr: np.ndarray, idx: tuple, axis: int) -> np.ndarray:
    full = list(idx)
    full.insert(axis, slice(None))
    return arr[tuple(full)]
