"""`policy solve`'s driver: traces -> estimates -> one table per kind and kappa, written
with a manifest (traces hash, kappa, bins, target / draft identity, the command).

Two tables per file, by sampling mode: "greedy" from the T = 0 traces and "sampled" from
the T > 0 ones (a mode without traces is left out; the controller then uses the other).
At T = 0 the threshold cannot change the outcome (the fuzzy verifier is exact there), so
the greedy table only chooses between continue and stop at T = 1."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from ..errors import SpecDecodeError
from .cascades import CASCADES, EXACT, with_c_time
from .estimate import REWARD_PARTS, Estimates, estimate
from .io import KINDS, SCHEMA, policy_name, read_manifest, read_traces, traces_hash, traces_ref, write_json
from .solve import Solution, SolveConfig, solve
from .states import Bins, feasible, vectorized

KAPPAS = (0.0, 0.5, 1.0, 2.0, 5.0)


@dataclass(frozen=True)
class Arrays:
    """Every transition of one mode as arrays (n,)."""

    s: np.ndarray
    a: np.ndarray
    s2: np.ndarray
    parts: dict


def arrays(bins: Bins, lines: list[dict], greedy: bool) -> Arrays | None:
    cols: dict[str, list] = {}
    for line in lines:
        if (line["temperature"] == 0) == greedy:
            for f, vals in line["steps"].items():
                cols.setdefault(f, []).extend(vals)
    if not cols.get("a"):
        return None
    c = {f: np.asarray(v, dtype=float) for f, v in cols.items()}
    if (c["a"] >= bins.n_actions).any():
        raise SpecDecodeError(f"the traces' actions do not fit the grid of {len(bins.grid)} thresholds; "
                              "solve with the grid they were collected with")
    s = vectorized(bins, c["h"], np.where(c["kl"] < 0, np.nan, c["kl"]), c["pos"].astype(int))
    s2 = vectorized(bins, c["h2"], np.where(c["kl2"] < 0, np.nan, c["kl2"]), c["pos2"].astype(int))
    a = c["a"].astype(int)
    if greedy:
        a = np.where(a > 0, EXACT, a)  # T cannot matter at T = 0: pool the stops at T = 1
    return Arrays(s, a, np.where(c["end"] > 0, -1, s2), {p: c[p] for p in REWARD_PARTS})


def mode_estimates(bins: Bins, lines: list[dict], alpha: float) -> dict[str, Estimates]:
    out = {}
    for mode, greedy in (("greedy", True), ("sampled", False)):
        arr = arrays(bins, lines, greedy)
        if arr is None:
            continue
        allowed = feasible(bins)
        if greedy:
            allowed[:, EXACT + 1:] = False
        out[mode] = estimate(bins, arr.s, arr.a, arr.s2, arr.parts, allowed, alpha)
    if not out:
        raise SpecDecodeError("the traces hold no transitions; run `specdecode policy collect` first")
    return out


def table_json(sol: Solution, est: Estimates) -> dict:
    stops = np.where(np.isfinite(sol.q[:, 1:]), sol.q[:, 1:], -np.inf)
    return {"policy": sol.policy.tolist(), "best_stop": (1 + stops.argmax(axis=1)).tolist(),
            "q": [[None if not np.isfinite(x) else round(float(x), 6) for x in row] for row in sol.q],
            "visits": est.visits.astype(int).tolist(), "counts": est.counts.astype(int).tolist(),
            "iterations": sol.iterations, "residual": sol.residual, "c_time": sol.c_time, "rate": sol.rate,
            "n_transitions": int(est.counts.sum())}


def solve_all(traces: Path, out: Path, bins: Bins, kappas=KAPPAS, cfg: SolveConfig = SolveConfig(),
              alpha: float = 1.0, command: str = "", progress=None) -> list[Path]:
    """Write every kind x kappa table into `out`; returns the paths."""
    lines, man = read_traces(traces), read_manifest(traces)
    if bins.window != man["window"] or tuple(bins.grid) != tuple(man["grid"]):
        raise SpecDecodeError(f"bins: window {bins.window} / grid must be the traces' (window {man['window']}, "
                              f"grid {man['grid']}); leave --window out")
    ests = mode_estimates(bins, lines, alpha)
    base = {"target": man["target"], "draft": man["draft"], "bins": bins.to_json(), "alpha": alpha,
            "gamma": cfg.gamma, "eps": cfg.eps, "traces": traces_ref(traces, out), "traces_hash": traces_hash(traces),
            "n_traces": len(lines), "temperatures": sorted({ln["temperature"] for ln in lines}),
            "min_verify_rows": man.get("min_verify_rows"), "command": command,
            "created": dt.datetime.now().astimezone().isoformat(timespec="seconds")}
    written = []
    for kappa in kappas:
        sols = {mode: solve_kinds(est, replace(cfg, kappa=kappa)) for mode, est in ests.items()}
        for kind in KINDS:
            tables = {mode: table_json(sols[mode][kind], ests[mode]) for mode in sols}
            payload = {"schema": SCHEMA, "kind": kind, "manifest": {**base, "kappa": kappa, "solve": asdict(cfg)},
                       "tables": tables}
            path = out / policy_name(kind, kappa)
            write_json(path, payload)
            written.append(path)
        if progress:
            progress(kappa, sols)
    return written


def solve_kinds(est: Estimates, cfg: SolveConfig) -> dict[str, Solution]:
    joint = solve(est, cfg)
    fixed = with_c_time(cfg, joint)
    return {"jointadaspec": joint, **{k: fn(est, fixed) for k, fn in CASCADES.items()}}
