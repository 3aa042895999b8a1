"""Transition and reward estimates from traces, with a Laplace prior.

Counts N(s, a, s') of the transitions in the traces. A pair (s, a) can structurally reach
a known set of next states: continue from pos -> (any h, same kl, pos + 1); stop ->
(any h, any kl, pos 1). The estimate adds `alpha` pseudo-counts to each of them:

    P(s' | s, a) = (N(s, a, s') + alpha [s' reachable]) / (N(s, a) + alpha |reachable|)

so a rarely seen pair gets a near-uniform spread over where it can go, and a well-seen
pair its empirical frequencies. Mean rewards (tokens, ms, distortion) shrink the same way
toward the action's mean over all states: (sum + alpha m_a) / (N(s, a) + alpha).
Transitions that end a generation count for rewards, not for P."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .states import CONTINUE, Bins, index, unpack

REWARD_PARTS = ("tokens", "ms", "dist")


@dataclass(frozen=True)
class Estimates:
    bins: Bins
    P: sp.csr_matrix        # (S * A, S) row s * A + a: P(. | s, a)
    parts: dict             # "tokens" | "ms" | "dist" -> (S, A) mean per transition
    counts: np.ndarray      # (S, A) transitions seen
    visits: np.ndarray      # (S,) decisions taken in each state
    allowed: np.ndarray     # (S, A) bool: actions the solver may pick


def laplace(counts: np.ndarray, reachable: np.ndarray, alpha: float) -> np.ndarray:
    """counts (n,) over next states, reachable (n,) bool -> probabilities (n,)."""
    prior = alpha * reachable.astype(float)
    total = counts.sum() + prior.sum()
    return (counts + prior) / total if total > 0 else prior


def shrunk_mean(sums: np.ndarray, counts: np.ndarray, prior: np.ndarray, alpha: float) -> np.ndarray:
    """(S, A) sums and counts, (A,) prior means -> (S, A) means with alpha pseudo-counts."""
    return (sums + alpha * prior[None, :]) / (counts + alpha)


def reachable(bins: Bins, s: int, a: int) -> np.ndarray:
    """State indices reachable from (s, a) by the structure of a cycle."""
    _, kl_s, pos = unpack(bins, s)
    if a == CONTINUE:
        return np.array([index(bins, h, kl_s, pos + 1) for h in range(bins.n_h)])
    return np.array([index(bins, h, k, 1) for h in range(bins.n_h) for k in range(bins.n_kl)])


def estimate(bins: Bins, s: np.ndarray, a: np.ndarray, s2: np.ndarray, parts: dict, allowed: np.ndarray,
             alpha: float = 1.0) -> Estimates:
    """s, a (n,) of every transition; s2 (n,) next state, -1 at the end of a generation;
    parts: name -> (n,) values; allowed (S, A)."""
    S, A = bins.n_states, bins.n_actions
    counts = np.zeros((S, A))
    np.add.at(counts, (s, a), 1)
    means = {}
    for name in REWARD_PARTS:
        sums = np.zeros((S, A))
        np.add.at(sums, (s, a), parts[name])
        pooled = np.array([parts[name][a == j].mean() if (a == j).any() else 0.0 for j in range(A)])
        means[name] = shrunk_mean(sums, counts, pooled, alpha)
    P = _transitions(bins, s, a, s2, allowed, alpha)
    visits = np.bincount(s, minlength=S).astype(float)
    return Estimates(bins, P, means, counts, visits, allowed)


def _transitions(bins, s, a, s2, allowed, alpha) -> sp.csr_matrix:
    S, A = bins.n_states, bins.n_actions
    go = s2 >= 0
    seen = sp.coo_matrix((np.ones(go.sum()), (s[go] * A + a[go], s2[go])), shape=(S * A, S)).tocsr()
    rows, cols, vals = [], [], []
    for s_, a_ in zip(*np.nonzero(allowed)):
        r = s_ * A + a_
        row = np.asarray(seen[r].todense()).ravel()
        reach = np.zeros(S, dtype=bool)
        reach[reachable(bins, s_, a_)] = True
        probs = laplace(row, reach, alpha)
        nz = np.nonzero(probs)[0]
        rows += [r] * len(nz)
        cols += nz.tolist()
        vals += probs[nz].tolist()
    return sp.csr_matrix((vals, (rows, cols)), shape=(S * A, S))
