"""`suffix`: SuffixDecoding (arXiv 2411.04975), model-free token trees.

Two indexes (suffix_index.py): the request's own prompt + output, updated incrementally
in commit(), and a global one over earlier outputs of this proposer. Each cycle finds
the longest match L (<= n_max) of the context's tail in each; the one with the longer
match (both on a tie) gives its most recent `max_occ` occurrences, whose continuations
form a trie scored by frequency (a node's count / its parent's, multiplied down the
path). The best min(budget, ceil(alpha * L)) nodes of frequency >= min_prob are proposed,
depth <= k: the speculation grows with the match length. A single branch is proposed as
a plain chain. Deterministic (draft_probs None): verified by sample-and-match (`match`,
`greedy`, tree-aware) or `multidraft`; exact at any temperature.

The global index lives on the proposer object, which a SpeculativeDecoder (and the bench
worker's per-method decoder cache) keeps for all its generations: reset() at the start of
a generation folds the previous generation's output in. Outputs are stored with a key of
their prompt and are never matched while the same prompt is generated again, so the
bench's repeats and warm-up of one prompt never read their own earlier output (that
would be a leak, not a speed-up). At most `global_docs` outputs are kept (oldest out).
"""
import math
from dataclasses import dataclass

from ..errors import SpecDecodeError
from ..types import EMPTY_PROPOSAL, Proposal
from .base import PROPOSERS, Proposer
from .suffix_index import TokenBuffer, continuation_tree


@dataclass(frozen=True)
class SuffixParams:
    n_max: int = 16          # longest context tail matched (pattern length)
    n_min: int = 1           # shorter matches propose nothing
    alpha: float = 2.0       # nodes proposed <= alpha * match length ...
    budget: int = 24         # ... and <= budget
    min_prob: float = 0.1    # continuation frequency floor
    max_occ: int = 64        # most recent occurrences of the pattern read
    global_docs: int = 256   # earlier outputs kept in the global index (0: none)

    def __post_init__(self):
        if not 1 <= self.n_min <= self.n_max:
            raise SpecDecodeError(f"suffix needs 1 <= n_min <= n_max (got {self.n_min}, {self.n_max})")
        if self.budget < 1:
            raise SpecDecodeError(f"suffix needs budget >= 1 node (got {self.budget}); e.g. budget: 24")
        if not (self.alpha > 0 and 0 <= self.min_prob <= 1 and self.max_occ >= 1 and self.global_docs >= 0):
            raise SpecDecodeError("suffix needs alpha > 0, 0 <= min_prob <= 1, max_occ >= 1, global_docs >= 0 "
                                  f"(got {self.alpha}, {self.min_prob}, {self.max_occ}, {self.global_docs})")


@PROPOSERS.register("suffix")
class SuffixProposer(Proposer):
    Params = SuffixParams
    deterministic = True
    tree = True
    no_draft_probs = "which a model-free suffix index does not give"

    def __init__(self, params):
        super().__init__(params)
        self.docs: list[tuple[int, list[int]]] = []  # (prompt key, output) of earlier generations
        self.glob = TokenBuffer()
        self.local = TokenBuffer()
        self.prompt_key: int | None = None
        self.prompt_len = 0
        self.ctx: list[int] = []

    # -- the global index --------------------------------------------------------------
    def reset(self):
        super().reset()
        if self.prompt_key is not None and self.params.global_docs and len(self.ctx) > self.prompt_len:
            self._add_doc(self.prompt_key, self.ctx[self.prompt_len :])
        self.local, self.ctx, self.prompt_key = TokenBuffer(), [], None

    def _add_doc(self, key: int, output: list[int]) -> None:
        self.docs.append((key, list(output)))
        if len(self.docs) > self.params.global_docs:  # oldest out: rebuild (rare, small)
            self.docs = self.docs[-self.params.global_docs :]
            self.glob = TokenBuffer()
            for key_, out in self.docs:
                self.glob.extend(out + [-1], doc=key_)
        else:
            self.glob.extend(output + [-1], doc=key)  # -1 separates outputs

    # -- the request's index -------------------------------------------------------------
    def prefill(self, ctx):
        self.prompt_key, self.prompt_len = hash(tuple(ctx)), len(ctx)
        self._sync(ctx)
        return None

    def _sync(self, ctx: list[int]) -> None:
        """Append the committed tokens the local index lacks (incremental)."""
        if len(ctx) > self.local.n:
            self.local.extend(ctx[self.local.n :])
        self.ctx = ctx

    def commit(self, ctx):
        self._sync(ctx)

    # -- proposing -----------------------------------------------------------------------
    def propose(self, ctx, k, sampling, gen, stop=None):
        self._sync(ctx)
        p = self.params
        tail = ctx[-p.n_max :]
        # local: matches must end before the context's last position (which has no continuation)
        l_len, l_ends = self.local.longest_match(tail, p.n_max, last=len(ctx) - 1)
        g_len, g_ends = (self.glob.longest_match(tail, p.n_max, skip_docs=(self.prompt_key,))
                         if self.docs else (0, []))
        best = max(l_len, g_len)
        if best < p.n_min:
            return EMPTY_PROPOSAL
        size = min(p.budget, math.ceil(p.alpha * best))
        depth = min(k, size)  # a tree of `size` nodes is at most that deep
        conts = []
        if l_len == best:
            conts += [self.local.continuation(int(e), depth) for e in l_ends[-p.max_occ :]]
        if g_len == best:
            conts += [self.glob.continuation(int(e), depth) for e in g_ends[-p.max_occ :]]
        tokens, parents = continuation_tree([c for c in conts if c], size, p.min_prob)
        if not tokens:
            return EMPTY_PROPOSAL
        chain = all(par == i - 1 for i, par in enumerate(parents))
        return Proposal(tokens=tokens, parents=None if chain else tuple(parents))
