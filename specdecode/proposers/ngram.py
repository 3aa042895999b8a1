"""`ngram`: prompt lookup. For n = n_max..n_min, find the latest earlier occurrence of the
last n tokens of prompt + output and propose the k tokens that followed it. No model:
deterministic drafts (draft_probs None), verified by sample-and-match."""
from dataclasses import dataclass

import numpy as np

from ..errors import SpecDecodeError
from ..types import EMPTY_PROPOSAL, Proposal
from .base import PROPOSERS, Proposer


@dataclass(frozen=True)
class NgramParams:
    n_max: int = 3
    n_min: int = 1

    def __post_init__(self):
        if not 1 <= self.n_min <= self.n_max:
            raise SpecDecodeError(f"ngram needs 1 <= n_min <= n_max (got n_min={self.n_min}, n_max={self.n_max})")


def lookup(ctx: np.ndarray, n: int, k: int) -> list[int]:
    """ctx (L,) int64. The k tokens after the latest earlier match of ctx[-n:], or []."""
    if len(ctx) <= n:
        return []
    windows = np.lib.stride_tricks.sliding_window_view(ctx[:-1], n)  # (L-n, n), excludes the suffix itself
    hits = np.flatnonzero((windows == ctx[-n:]).all(axis=1))
    if hits.size == 0:
        return []
    start = int(hits[-1]) + n
    return ctx[start : start + k].tolist()


@PROPOSERS.register("ngram")
class NgramProposer(Proposer):
    Params = NgramParams
    deterministic = True

    def propose(self, ctx, k, sampling, gen, stop=None):
        arr = np.asarray(ctx, dtype=np.int64)
        for n in range(self.params.n_max, self.params.n_min - 1, -1):
            tokens = lookup(arr, n, k)
            if tokens:
                return Proposal(tokens=tokens)
        return EMPTY_PROPOSAL
