"""Value iteration on the estimated MDP, and the speed / time exchange rate c_time.

reward(s, a) = tokens - c_time * ms - kappa * dist (estimate.py's means). Value iteration
    Q(s, a) = r(s, a) + gamma * sum_s' P(s' | s, a) V(s'),  V(s) = max over allowed a
until max |V_new - V| < eps. Ties go to the lowest action index: continue before stop,
and the exact threshold (grid[0] = 1) before the lossy ones.

c_time (tokens per ms) prices time in tokens. Given, it is used as is; by default it is
found by Dinkelbach's iteration for the best rate (tokens - kappa * dist) / ms: start at
one token per median verify time (about target-only's rate), solve, set c_time to the
policy's own rate from the states where cycles start, repeat until it moves < 0.1%.
At that fixed point the policy maximises the rate itself, not a surplus over a guess."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .estimate import Estimates


@dataclass(frozen=True)
class SolveConfig:
    kappa: float = 0.0
    gamma: float = 0.99
    eps: float = 1e-4
    max_iter: int = 100_000
    c_time: float | None = None   # tokens per ms; None: Dinkelbach (the best rate)
    dinkelbach_rounds: int = 20


@dataclass(frozen=True)
class Solution:
    q: np.ndarray          # (S, A), -inf where not allowed
    v: np.ndarray          # (S,)
    policy: np.ndarray     # (S,) action index
    iterations: int
    residual: float
    c_time: float
    rate: float            # (tokens - kappa * dist) per ms of the policy from cycle starts


def value_iteration(P: sp.csr_matrix, R: np.ndarray, allowed: np.ndarray, gamma: float, eps: float,
                    max_iter: int = 100_000) -> tuple[np.ndarray, np.ndarray, int, float]:
    """P (S * A, S), R (S, A), allowed (S, A) -> (Q, V, iterations, final residual)."""
    S, A = R.shape
    v = np.zeros(S)
    q = np.where(allowed, R, -np.inf)
    residual, it = np.inf, 0
    while residual >= eps and it < max_iter:
        q = np.where(allowed, R + gamma * (P @ v).reshape(S, A), -np.inf)
        v_new = q.max(axis=1)
        residual = float(np.abs(v_new - v).max())
        v, it = v_new, it + 1
    return q, v, it, residual


def greedy_policy(q: np.ndarray) -> np.ndarray:
    return q.argmax(axis=1)  # first maximum: continue, then the exact threshold


def evaluate(P: sp.csr_matrix, r: np.ndarray, policy: np.ndarray, gamma: float) -> np.ndarray:
    """Discounted value of a fixed policy: solve (I - gamma P_pi) V = r_pi; r (S, A)."""
    S, A = r.shape
    rows = np.arange(S) * A + policy
    P_pi = P[rows]
    return spla.spsolve((sp.identity(S, format="csc") - gamma * P_pi).tocsc(), r[np.arange(S), policy])


def reward(est: Estimates, kappa: float, c_time: float) -> np.ndarray:
    return est.parts["tokens"] - c_time * est.parts["ms"] - kappa * est.parts["dist"]


def start_weights(est: Estimates) -> np.ndarray:
    """(S,) where cycles start (pos 1), by visits; uniform over them when none was seen."""
    first = np.arange(est.bins.n_states) % est.bins.window == 0
    w = np.where(first, est.visits, 0.0)
    return w / w.sum() if w.sum() > 0 else first / first.sum()


def policy_rate(est: Estimates, policy: np.ndarray, kappa: float, gamma: float) -> float:
    d = start_weights(est)
    gain = evaluate(est.P, est.parts["tokens"] - kappa * est.parts["dist"], policy, gamma)
    ms = evaluate(est.P, est.parts["ms"], policy, gamma)
    return float(d @ gain) / max(float(d @ ms), 1e-12)


def initial_c_time(est: Estimates) -> float:
    stops = est.counts[:, 1:] > 0
    ms = np.median(est.parts["ms"][:, 1:][stops]) if stops.any() else 1.0
    return 1.0 / max(float(ms), 1e-9)


def solve(est: Estimates, cfg: SolveConfig, allowed: np.ndarray | None = None) -> Solution:
    allowed = est.allowed if allowed is None else allowed
    c = cfg.c_time if cfg.c_time is not None else initial_c_time(est)
    rounds = 1 if cfg.c_time is not None else cfg.dinkelbach_rounds
    for _ in range(rounds):
        q, v, it, res = value_iteration(est.P, reward(est, cfg.kappa, c), allowed, cfg.gamma, cfg.eps, cfg.max_iter)
        policy = greedy_policy(q)
        rate = policy_rate(est, policy, cfg.kappa, cfg.gamma)
        if cfg.c_time is not None or abs(rate - c) <= 1e-3 * abs(c):
            break
        c = max(rate, 1e-9)  # a rate <= 0 (kappa outweighs tokens): time is then nearly free
    return Solution(q, v, policy, it, res, c, rate)
