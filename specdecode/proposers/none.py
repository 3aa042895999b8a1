"""`none`: target-only decoding, the baseline, through the same loop (k = 0 every cycle)."""
from dataclasses import dataclass

from ..types import EMPTY_PROPOSAL
from .base import PROPOSERS, Proposer


@dataclass(frozen=True)
class NoneParams:
    pass


@PROPOSERS.register("none")
class TargetOnly(Proposer):
    Params = NoneParams
    drafts = False

    def propose(self, ctx, k, sampling, gen, stop=None):
        return EMPTY_PROPOSAL
