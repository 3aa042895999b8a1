"""`greedy`: T = 0 match. Accept while x_i == argmax p_i; emit argmax p at the first
mismatch, or the bonus argmax p_{k+1}. Identical tokens to target-only greedy."""
from ..errors import SpecDecodeError
from .base import VERIFIERS, Verifier, match_prefix


@VERIFIERS.register("greedy")
class GreedyVerifier(Verifier):
    def check(self, deterministic_proposer):
        if not self.sampling.greedy:
            raise SpecDecodeError(
                "the greedy verifier is exact only at temperature 0; use --verifier auto (or rejection / match)"
            )

    def verify(self, proposal, p, gen):
        return match_prefix(proposal.tokens, p.argmax(-1).tolist())  # p (k+1, V)
