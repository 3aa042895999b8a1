"""Diagonal Gaussians over one patch (P values), in numpy: sample, log density, and the
residual sampler the exact rule needs.

The speculative rule treats p (target) and q (draft) as N(mean, diag var) over the P values
of a patch. `sigma` scales every standard deviation (var = sigma^2 * exp(logvar)): sigma 1
is the model's own predictive; the research log's fixed-sigma setup is logvar = 0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LOG_2PI = math.log(2 * math.pi)
RESIDUAL_BATCH = 1024     # candidates drawn at once by the residual sampler
RESIDUAL_ROUNDS = 64      # at most 65,536 candidates (see residual_sample)


@dataclass(frozen=True)
class Gaussian:
    mean: np.ndarray   # (P,)
    var: np.ndarray    # (P,), > 0

    @classmethod
    def of(cls, mean: np.ndarray, logvar: np.ndarray, sigma: float) -> "Gaussian":
        return cls(np.asarray(mean, np.float64), sigma * sigma * np.exp(np.asarray(logvar, np.float64)))

    @property
    def std(self) -> np.ndarray:
        return np.sqrt(self.var)

    def sample(self, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        """(P,) or (n, P)."""
        shape = self.mean.shape if n is None else (n, *self.mean.shape)
        return self.mean + self.std * rng.standard_normal(shape)

    def log_pdf(self, x: np.ndarray) -> np.ndarray:
        """log density of x (..., P), summed over the patch -> (...)."""
        return -0.5 * (((x - self.mean) ** 2) / self.var + np.log(self.var) + LOG_2PI).sum(-1)


def log_ratio(p: Gaussian, q: Gaussian, x: np.ndarray) -> np.ndarray:
    """log p(x) - log q(x), x (..., P) -> (...)."""
    return p.log_pdf(x) - q.log_pdf(x)


def residual_sample(p: Gaussian, q: Gaussian, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """One draw from the residual r(x) = max(0, p(x) - q(x)) / (1 - overlap(p, q)).

    Rejection sampling with p as the envelope: draw y ~ p, keep it with probability
    max(0, p(y) - q(y)) / p(y) = 1 - min(1, q(y)/p(y)). The kept y has density
    proportional to p(y) * (1 - min(1, q/p)) = max(0, p - q): exactly r. The expected
    number of candidates is 1 / TV(p, q); rejections are rare exactly when TV is small,
    so the expected work per cycle stays about one candidate.

    Returns (sample, exact). After RESIDUAL_ROUNDS * RESIDUAL_BATCH candidates without a
    keep (TV below ~1e-4; such a rejection itself has probability below ~1e-4) it returns
    a draw from p and exact=False, counted as a mismatch in the cycle record.
    """
    for _ in range(RESIDUAL_ROUNDS):
        y = p.sample(rng, RESIDUAL_BATCH)                         # (N, P)
        keep_prob = -np.expm1(np.minimum(0.0, -log_ratio(p, q, y)))   # 1 - min(1, q/p)
        kept = np.flatnonzero(rng.random(RESIDUAL_BATCH) < keep_prob)
        if kept.size:
            return y[kept[0]], True
    return p.sample(rng), False


def crps(mean: np.ndarray, std: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Closed-form CRPS of N(mean, std^2) at y, elementwise (Gneiting & Raftery 2007)."""
    from scipy.stats import norm

    z = (y - mean) / std
    return std * (z * (2 * norm.cdf(z) - 1) + 2 * norm.pdf(z) - 1 / math.sqrt(math.pi))
