"""`auto` (default): the exact verifier that fits the setting: greedy at T = 0, match
for deterministic proposals (no draft_probs), multi-draft for token trees with draft
probabilities, rejection sampling otherwise."""
from ..params import NoParams
from .base import VERIFIERS, Verifier
from .greedy import GreedyVerifier
from .match import MatchVerifier
from .multidraft import MultiDraftVerifier
from .rejection import RejectionVerifier


@VERIFIERS.register("auto")
class AutoVerifier(Verifier):
    def __init__(self, params, sampling):
        super().__init__(params, sampling)
        self._greedy = GreedyVerifier(NoParams(), sampling)
        self._match = MatchVerifier(NoParams(), sampling)
        self._rejection = RejectionVerifier(NoParams(), sampling)
        self._multidraft = MultiDraftVerifier(NoParams(), sampling)

    def verify(self, proposal, inp, gen):
        if self.sampling.greedy:
            return self._greedy.verify(proposal, inp, gen)
        if proposal.draft_probs is None:
            return self._match.verify(proposal, inp, gen)
        if not proposal.is_chain:
            return self._multidraft.verify(proposal, inp, gen)
        return self._rejection.verify(proposal, inp, gen)
