"""`auto` (default): the exact verifier that fits the setting: greedy at T = 0, match
for deterministic proposers, rejection sampling otherwise."""
from .base import VERIFIERS, Verifier
from .greedy import GreedyVerifier
from .match import MatchVerifier
from .rejection import RejectionVerifier


@VERIFIERS.register("auto")
class AutoVerifier(Verifier):
    def __init__(self, sampling):
        super().__init__(sampling)
        self._greedy = GreedyVerifier(sampling)
        self._match = MatchVerifier(sampling)
        self._rejection = RejectionVerifier(sampling)

    def verify(self, proposal, p, gen):
        if self.sampling.greedy:
            return self._greedy.verify(proposal, p, gen)
        if proposal.draft_probs is None:
            return self._match.verify(proposal, p, gen)
        return self._rejection.verify(proposal, p, gen)
