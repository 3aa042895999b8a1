"""`match`: sample-and-match for deterministic drafts (n-gram, argmax heads).

The target samples y_i ~ p_i at each position; accept while x_i == y_i; emit the first
y_i that differs, or the bonus y_{k+1}. Each emitted token is a plain sample of p at its
position, so the output is exact for any proposal."""
from ..sampling import sample
from .base import VERIFIERS, Verifier, match_prefix


@VERIFIERS.register("match")
class MatchVerifier(Verifier):
    def verify(self, proposal, p, gen):
        return match_prefix(proposal.tokens, sample(p, gen).tolist())  # one sample per row of p (k+1, V)
