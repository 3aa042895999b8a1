"""`match`: sample-and-match for deterministic drafts (n-gram, argmax heads).

The target samples y_i ~ p_i at each position; accept while x_i == y_i; emit the first
y_i that differs, or the bonus y_{k+1}. Each emitted token is a plain sample of p at its
position, so the output is exact for any proposal."""
from ..sampling import sample
from ..types import Verdict
from .base import VERIFIERS, Verifier


@VERIFIERS.register("match")
class MatchVerifier(Verifier):
    def verify(self, proposal, p, gen):
        y = sample(p, gen).tolist()  # (k+1,) one target sample per position
        outcomes = []
        for i, x in enumerate(proposal.tokens):
            ok = x == y[i]
            outcomes.append(ok)
            if not ok:
                return Verdict(i, y[i], tuple(outcomes))
        k = len(proposal.tokens)
        return Verdict(k, y[k], tuple(outcomes))
