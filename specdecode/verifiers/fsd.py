"""`fsd` (lossy; FSD, arXiv 2502.20704): accept draft positions deterministically while
the divergence between the target's and the draft's own distributions (softmax of the
raw logits) is at most `threshold`; at the first failure emit a sample of p (the argmax
at T = 0). Divergences: js (Jensen-Shannon, nats, in [0, ln 2]; the default), kl
(KL(p || q), nats), tv (total variation, in [0, 1]). threshold 0 is exact (it accepts
only where the two distributions are equal)."""
import math
from dataclasses import dataclass

import torch

from ..errors import SpecDecodeError
from .base import VERIFIERS
from .rule import PositionRule

RANGES = {"js": math.log(2), "kl": math.inf, "tv": 1.0}


@dataclass(frozen=True)
class FsdParams:
    divergence: str = "js"
    threshold: float = 0.1

    def __post_init__(self):
        if self.divergence not in RANGES:
            raise SpecDecodeError(f"fsd divergence must be one of {', '.join(RANGES)} (got {self.divergence!r})")
        top = RANGES[self.divergence]
        if not (0 <= self.threshold <= top) or math.isnan(self.threshold) or math.isinf(self.threshold):
            raise SpecDecodeError(f"fsd {self.divergence} threshold must be a finite number in [0, {top:.4g}] "
                                  f"(got {self.threshold})")


def divergence(kind: str, p: torch.Tensor, q: torch.Tensor) -> float:
    """p, q (V,) probability rows."""
    if kind == "tv":
        return float(0.5 * (p - q).abs().sum())
    if kind == "kl":
        return float(torch.where(p > 0, p * (p.log() - q.clamp_min(1e-30).log()), torch.zeros(())).sum())
    m = 0.5 * (p + q)
    return 0.5 * divergence("kl", p, m) + 0.5 * divergence("kl", q, m)


@VERIFIERS.register("fsd")
class FsdVerifier(PositionRule):
    Params = FsdParams
    EXACT_PARAMS = {"threshold": 0.0}

    @property
    def exact(self) -> bool:
        return self.params.threshold == 0.0

    def accept_prob(self, row):
        if self.params.threshold == 0.0:  # exact: accept only where the two laws coincide
            return float(torch.equal(row.p, row.q))
        return float(divergence(self.params.divergence, row.p_raw, row.q_raw) <= self.params.threshold)
