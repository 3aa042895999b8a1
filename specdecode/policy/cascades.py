"""The two cascade baselines of JointAdaSpec: the same estimates, the same reward and the
same c_time as the joint solve, but the two decisions made one after the other.

length-first: solve the length with the threshold fixed at 1 (exact verification:
    actions continue / stop at T = 1); then keep where it stops and continue, and choose
    the threshold of each stop state by a second solve with only the stop actions there.
threshold-first: choose each state's threshold by the immediate reward of stopping there
    (tokens - c_time * ms - kappa * dist of that verify); then solve the length with actions
    continue / stop at that threshold."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .estimate import Estimates
from .solve import Solution, SolveConfig, reward, solve
from .states import CONTINUE

EXACT = 1  # the stop action with grid[0] = 1.0


def length_first(est: Estimates, cfg: SolveConfig) -> Solution:
    exact_only = est.allowed.copy()
    exact_only[:, EXACT + 1:] = False
    length = solve(est, cfg, exact_only).policy            # (S,) continue or stop at T = 1
    then = est.allowed.copy()
    then[length == CONTINUE, 1:] = False                    # continue where it continued
    then[length != CONTINUE, CONTINUE] = False              # any threshold where it stopped
    return solve(est, cfg, then)


def threshold_first(est: Estimates, cfg: SolveConfig) -> Solution:
    stops = np.where(est.allowed[:, 1:], reward(est, cfg.kappa, cfg.c_time)[:, 1:], -np.inf)
    best = 1 + stops.argmax(axis=1)                          # (S,) myopic threshold per state
    then = np.zeros_like(est.allowed)
    then[:, CONTINUE] = est.allowed[:, CONTINUE]
    then[np.arange(len(best)), best] = True
    return solve(est, cfg, then)


CASCADES = {"cascade-length": length_first, "cascade-threshold": threshold_first}


def with_c_time(cfg: SolveConfig, joint: Solution) -> SolveConfig:
    """The cascades price time as the joint solve found it (its Dinkelbach fixed point)."""
    return replace(cfg, c_time=joint.c_time)
