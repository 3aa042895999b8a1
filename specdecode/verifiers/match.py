"""`match`: sample-and-match for deterministic drafts (n-gram, argmax heads).

The target samples y_r ~ p_r at every row; walk the proposal while a node's token equals
the sample at its parent's row; emit the first sample no child matches, or the bonus
sample. Each emitted token is a plain sample of p at its position, so the output is exact
for any proposal, chain or tree."""
from ..sampling import sample
from .base import VERIFIERS, Verifier, match_path


@VERIFIERS.register("match")
class MatchVerifier(Verifier):
    def verify(self, proposal, inp, gen):
        return match_path(proposal, sample(inp.p, gen).tolist())  # one sample per row of p (n+1, V)
