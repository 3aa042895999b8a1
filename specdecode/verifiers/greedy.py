"""`greedy`: T = 0 match. Walk the proposal (chain or tree) while a node's token equals
argmax p at its parent's row; emit argmax p at the first mismatch, or the bonus argmax
below the last accepted node. Identical tokens to target-only greedy."""
from ..errors import SpecDecodeError
from .base import VERIFIERS, Verifier, match_path


@VERIFIERS.register("greedy")
class GreedyVerifier(Verifier):
    def check(self, proposer):
        if not self.sampling.greedy:
            raise SpecDecodeError(
                "the greedy verifier is exact only at temperature 0; use --verifier auto (or rejection / match)"
            )

    def verify(self, proposal, inp, gen):
        return match_path(proposal, inp.p.argmax(-1).tolist())  # p (n+1, V)
