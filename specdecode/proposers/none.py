"""`none`: target-only decoding, the baseline, through the same loop (k = 0 every cycle)."""
from ..params import NoParams
from ..types import EMPTY_PROPOSAL
from .base import PROPOSERS, Proposer


@PROPOSERS.register("none")
class TargetOnly(Proposer):
    Params = NoParams
    drafts = False

    def propose(self, ctx, k, sampling, gen, stop=None):
        return EMPTY_PROPOSAL
