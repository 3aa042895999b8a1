"""Optional features of the chain `draft` proposer (DraftParams.recycle, .refine), kept
here so draft.py stays small. Both are off by default and keep verification exact at
any temperature. Rules in docs/draft-options.md.

Recycling (`recycle`). After a cycle whose draft x_1..x_n was rejected at x_j, the still
unverified tail x_{j+1..n} becomes hints for the next cycle. A hint is proposed with a
one-hot q: it was drawn in an EARLIER cycle (it never reads the current target row), so
given everything before this cycle it is deterministic and q one-hot is its true law.
  dense:  the next proposal starts with the whole tail (bet: x_j was a one-token substitution).
  sparse: the tail is kept as pairs (prev, hint) over consecutive tokens of
          [x_j, x_{j+1}, .., x_n]; at each draft position whose last token (of ctx + drafted
          so far) equals an unused pair's prev, that pair's hint is proposed and consumed
          (the earliest such pair; bet: an insertion or deletion re-aligns with the tail).

Refinement (`refine` = S > 0): Jacobi-style parallel drafting of a k-block, see `jacobi`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from ..errors import SpecDecodeError
from ..lookup import copy_token
from ..sampling import sample, warp

RECYCLE_MODES = ("off", "dense", "sparse")
GUESS_NGRAM = (1, 3)  # (n_min, n_max) lookup for refine's initial guesses when the draft has no copy head


def check_options(recycle, refine) -> None:
    """One-line errors for DraftParams.recycle / .refine that name the fix."""
    if recycle not in RECYCLE_MODES:
        raise SpecDecodeError(f"proposer 'draft': recycle={recycle!r} is not one of off, dense, sparse; "
                              "set recycle to one of them")
    if not isinstance(refine, int) or isinstance(refine, bool) or refine < 0:
        raise SpecDecodeError(f"proposer 'draft': refine={refine!r} must be an int >= 0; "
                              "use refine=0 (off) or refine=S > 0 refinement steps")
    if recycle != "off" and refine > 0:
        raise SpecDecodeError("proposer 'draft': recycle and refine cannot be combined; "
                              "set recycle=off or refine=0")


# -- recycling ---------------------------------------------------------------------------

def rejected_tail(drafted: list[int], committed: list[int]) -> list[int]:
    """[x_j, .., x_n]: the drafted tokens from the first one the cycle did not commit.
    drafted (n,): the cycle's proposal; committed: the tokens the cycle committed
    (accepted + recovered/bonus). [] when every draft token was accepted, or when the
    commit was cut short (EOS, budget) before the first difference."""
    j = 0
    while j < len(drafted) and j < len(committed) and drafted[j] == committed[j]:
        j += 1
    if j >= len(drafted) or j >= len(committed):
        return []
    return drafted[j:]


class Hints:
    """The hints one cycle leaves for the next; consumed as they are proposed.
    dense: items = [x_{j+1}, .., x_n]; sparse: items = [(x_j, x_{j+1}), .., (x_{n-1}, x_n)]."""

    def __init__(self, mode: str = "off", tail: list[int] | None = None):
        tail = tail or []
        self.mode = mode
        if mode == "dense":
            self.items = list(tail[1:])
        elif mode == "sparse":
            self.items = list(zip(tail[:-1], tail[1:]))
        else:
            self.items = []

    def __bool__(self) -> bool:
        return bool(self.items)

    def take(self, last: int) -> int | None:
        """The hint to propose after token `last` (None: none applies); it is consumed.
        dense: the next tail token, whatever `last` is (the tail is proposed as a run
        from the first draft position); sparse: the earliest pair with prev == last."""
        if self.mode == "dense":
            return self.items.pop(0) if self.items else None
        for i, (prev, hint) in enumerate(self.items):
            if prev == last:
                del self.items[i]
                return hint
        return None


# -- refinement --------------------------------------------------------------------------

def initial_guesses(ctx: list[int], d1: int, k: int, head: tuple[int, int]) -> list[int]:
    """(k - 1,) guesses for d_2..d_k: the n-gram lookup's token after ctx + [d_1] + the
    guesses so far (copy_token with head = (n_min, n_max)), else d_1 repeated."""
    seq, out = ctx + [d1], []
    for _ in range(k - 1):
        g = copy_token(seq, *head)
        g = d1 if g is None else g
        out.append(g)
        seq.append(g)
    return out


@dataclass
class Refined:
    tokens: list[int]              # (k - 1,) d_2..d_k after the last step
    raw: torch.Tensor              # (k - 1, V) raw draft rows of the last step
    q: torch.Tensor | None         # (k - 1, V) warped rows each token was drawn from (T > 0), else None
    steps: int                     # refinement steps actually run
    changed: int                   # tokens the last step changed (0 = converged)


def jacobi(rows_after: Callable[[list[int]], torch.Tensor], d1: int, guesses: list[int],
           steps: int, sampling, gen: torch.Generator) -> Refined:
    """S = steps Jacobi steps over the block [d_1, g_2..g_k].

    rows_after(block) -> (len(block), V) raw draft rows, row t predicting the token after
    ctx + block[:t + 1]: ONE causal draft call over the block. Each step feeds
    [d_1, g_2..g_{k-1}] and takes new d_2..d_k from its rows: argmax at T = 0, at T > 0 an
    independent sample of each warped row. The last step's row i is exactly the law d_i
    was drawn from; it depends on the previous step's guesses (independent randomness)
    but never on d_i itself, which keeps speculative sampling exact.
    At T = 0 an unchanged step is a fixed point (= the autoregressive greedy draft), so
    we stop there. At T > 0 we never stop early: stopping because a sample happened to
    equal its guess would make the step count depend on the samples and bias q."""
    cur = list(guesses)  # (k - 1,)
    raw = q = None
    run = changed = 0
    for _ in range(steps):
        raw = rows_after([d1] + cur[:-1])  # (k - 1, V)
        if sampling.greedy:
            new = raw.argmax(-1).tolist()
        else:
            q = warp(raw, sampling)        # (k - 1, V)
            new = sample(q, gen).tolist()
        changed = sum(a != b for a, b in zip(new, cur))
        cur, run = new, run + 1
        if sampling.greedy and changed == 0:
            break
    return Refined(tokens=cur, raw=raw, q=q, steps=run, changed=changed)
