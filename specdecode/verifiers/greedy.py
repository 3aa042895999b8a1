"""`greedy`: T = 0 match. Accept while x_i == argmax p_i; emit argmax p at the first
mismatch, or the bonus argmax p_{k+1}. Identical tokens to target-only greedy."""
from ..errors import SpecDecodeError
from ..types import Verdict
from .base import VERIFIERS, Verifier


@VERIFIERS.register("greedy")
class GreedyVerifier(Verifier):
    def check(self, deterministic_proposer):
        if not self.sampling.greedy:
            raise SpecDecodeError(
                "the greedy verifier is exact only at temperature 0; use --verifier auto (or rejection / match)"
            )

    def verify(self, proposal, p, gen):
        best = p.argmax(-1).tolist()  # (k+1,)
        outcomes = []
        for i, x in enumerate(proposal.tokens):
            ok = x == best[i]
            outcomes.append(ok)
            if not ok:
                return Verdict(i, best[i], tuple(outcomes))
        k = len(proposal.tokens)
        return Verdict(k, best[k], tuple(outcomes))
