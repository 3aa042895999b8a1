"""`topk` (lossy): accept the draft token when it is among the target's top-K tokens at
its position (ranked by the target's raw logits), or when speculative sampling accepts
it (u < p(x) / q(x)); at a rejection emit a sample of the residual norm(max(0, p - q)).
At T = 0 this is plain top-K acceptance (the exact rule accepts only the argmax, which is
in every top-K), so K = 1 at T = 0 is greedy verification, hence exact. At T > 0 the
exact rule is the floor and K relaxes it; K = 0 means all tokens: draft-only decoding."""
from dataclasses import dataclass

from ..errors import SpecDecodeError
from ..sampling import residual
from .base import VERIFIERS
from .rule import PositionRule


@dataclass(frozen=True)
class TopKParams:
    top_k: int = 4  # 0 = every token (draft-only decoding)

    def __post_init__(self):
        if self.top_k < 0:
            raise SpecDecodeError(f"topk needs top_k >= 1, or 0 for all tokens (got {self.top_k})")


@VERIFIERS.register("topk")
class TopKVerifier(PositionRule):
    Params = TopKParams
    EXACT_PARAMS = {"top_k": 1}  # exact at T = 0 (greedy); lossy at T > 0

    @property
    def exact(self) -> bool:
        return self.params.top_k == 1 and self.sampling.greedy

    def accept_prob(self, row):
        k = self.params.top_k
        if k == 0 or k >= row.logits_p.shape[-1]:
            return 1.0
        if row.logits_p[row.x] >= row.logits_p.topk(k).values[-1]:
            return 1.0
        return min(1.0, float(row.p[row.x] / row.q[row.x])) if row.q[row.x] > 0 else 0.0

    def recovery(self, row):
        return residual(row.p, row.q)
