"""`fuzzy` (lossy): ratio-threshold speculative sampling. Accept x with probability
min(1, T * p(x) / q(x)), T >= 1; at a rejection emit a sample of norm(max(0, p - T q))
(p itself when that mass is ~0). T = 1 is speculative sampling, exact at any
temperature; larger T accepts more and drifts from p. The grid the research used:
T in {1.00, 1.22, 1.49, 1.82, 2.22, 2.71, 3.30, 4.00}. A controller may set T per
cycle through VerifyInput.control["T"] (a policy's action)."""
from dataclasses import dataclass

from ..errors import SpecDecodeError
from .base import VERIFIERS
from .rule import PositionRule

GRID = (1.00, 1.22, 1.49, 1.82, 2.22, 2.71, 3.30, 4.00)


@dataclass(frozen=True)
class FuzzyParams:
    threshold: float = 1.0  # T

    def __post_init__(self):
        if not self.threshold >= 1.0 or self.threshold == float("inf"):
            raise SpecDecodeError(f"fuzzy needs a finite threshold T >= 1 (got {self.threshold}); T = 1 is exact")


@VERIFIERS.register("fuzzy")
class FuzzyVerifier(PositionRule):
    Params = FuzzyParams
    EXACT_PARAMS = {"threshold": 1.0}
    reads_control = frozenset({"T"})

    def __init__(self, params, sampling):
        super().__init__(params, sampling)
        self._t = params.threshold  # this cycle's T (the params', or the controller's)

    @property
    def exact(self) -> bool:
        return self.params.threshold == 1.0 or self.sampling.greedy

    def verify(self, proposal, inp, gen):
        self._t = float((inp.control or {}).get("T", self.params.threshold))
        return super().verify(proposal, inp, gen)

    def accept_prob(self, row):
        return min(1.0, float(self._t * row.p[row.x] / row.q[row.x])) if row.q[row.x] > 0 else 0.0

    def recovery(self, row):
        r = (row.p - self._t * row.q).clamp_min(0)
        mass = r.sum()
        return row.p if mass <= 1e-12 else r / mass
