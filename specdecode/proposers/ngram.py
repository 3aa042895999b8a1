"""`ngram`: prompt lookup. For n = n_max..n_min, find the latest earlier occurrence of the
last n tokens of prompt + output and propose the k tokens that followed it. No model:
deterministic drafts (draft_probs None), verified by sample-and-match."""
from dataclasses import dataclass

from ..errors import SpecDecodeError
from ..lookup import longest_lookup
from ..types import EMPTY_PROPOSAL, Proposal
from .base import PROPOSERS, Proposer


@dataclass(frozen=True)
class NgramParams:
    n_max: int = 3
    n_min: int = 1

    def __post_init__(self):
        if not 1 <= self.n_min <= self.n_max:
            raise SpecDecodeError(f"ngram needs 1 <= n_min <= n_max (got n_min={self.n_min}, n_max={self.n_max})")


@PROPOSERS.register("ngram")
class NgramProposer(Proposer):
    Params = NgramParams
    deterministic = True

    def propose(self, ctx, k, sampling, gen, stop=None):
        tokens = longest_lookup(ctx, self.params.n_min, self.params.n_max, k)
        return Proposal(tokens=tokens) if tokens else EMPTY_PROPOSAL
