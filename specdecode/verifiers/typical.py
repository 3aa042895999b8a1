"""`typical` (lossy; Medusa's typical acceptance, arXiv 2401.10774): a draft token x is
accepted when the target finds it typical, p(x) > min(eps, delta * exp(-H(p))), with p
the target's distribution at the sampling temperature (softmax of the raw logits at
T = 0) and H its entropy. Tokens the criterion does not accept still go through exact
speculative sampling (u < p(x) / q(x), residual on rejection), so the criterion only ever
adds acceptances: a threshold >= 1 (e.g. eps = 1 and a large delta) is exact, smaller
thresholds accept more, eps = 0 accepts every draft token (draft-only decoding)."""
import math
from dataclasses import dataclass

import torch

from ..errors import SpecDecodeError
from ..sampling import residual
from .base import VERIFIERS
from .rule import PositionRule


@dataclass(frozen=True)
class TypicalParams:
    eps: float = 0.09
    delta: float = 0.3

    def __post_init__(self):
        if not (0 <= self.eps <= 1):
            raise SpecDecodeError(f"typical eps must be a number in [0, 1] (got {self.eps})")
        if not (0 <= self.delta < math.inf):
            raise SpecDecodeError(f"typical delta must be a finite number >= 0 (got {self.delta})")


@VERIFIERS.register("typical")
class TypicalVerifier(PositionRule):
    Params = TypicalParams

    @property
    def exact(self) -> bool:
        return False  # the criterion's threshold depends on H(p); no setting is exact for every p

    def accept_prob(self, row):
        t = self.sampling.temperature
        p = torch.softmax(row.logits_p.float() / t, -1) if t > 0 else row.p_raw
        entropy = float(torch.special.entr(p).sum())
        if float(p[row.x]) > min(self.params.eps, self.params.delta * math.exp(-entropy)):
            return 1.0
        return min(1.0, float(row.p[row.x] / row.q[row.x])) if row.q[row.x] > 0 else 0.0

    def recovery(self, row):
        return residual(row.p, row.q)
