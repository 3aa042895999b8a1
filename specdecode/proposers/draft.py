"""`draft`: a small causal LM with its own KV cache drafts k tokens autoregressively.

Cache invariant (checked by tests): before each propose the draft cache is a prefix of
the committed tokens. `logits_for` feeds whatever is missing in one call, so the
all-accepted case (the last draft token was never fed) and target-only steps of the
`auto` controller are caught up in the next call without an extra forward.

Copy head. A draft may carry one (`copy_head = (n_min, n_max)`, from its
specdecode_draft.json): before each draft step, if the last n tokens of context + draft
(n = n_max..n_min) occurred earlier, the token that followed them is proposed and the LM
step is skipped (its cache catches up in the next call). q is then one-hot on that token,
so verification stays exact at any temperature. Small drafts copy badly: where this head
fired on the test splits, its token was right 0.75-0.96 of the time and the 2-layer
SmolLM2 draft's 0.31-0.71 (`specdecode zoo measure`).
"""
from dataclasses import dataclass

import numpy as np
import torch

from ..sampling import sample, warp
from ..types import Proposal
from .base import PROPOSERS, Proposer
from .ngram import lookup


@dataclass(frozen=True)
class DraftParams:
    copy: bool = True  # use the draft's copy head, when it has one (False: the LM alone)


def copy_token(seq: list[int], n_min: int, n_max: int) -> int | None:
    """The token after the latest earlier occurrence of seq's last n tokens, for the
    longest n in n_max..n_min that occurs; None when none does."""
    arr = np.asarray(seq, dtype=np.int64)
    for n in range(n_max, n_min - 1, -1):
        found = lookup(arr, n, 1)
        if found:
            return found[0]
    return None


@PROPOSERS.register("draft")
class DraftModelProposer(Proposer):
    Params = DraftParams
    needs_draft_model = True

    def reset(self):
        super().reset()
        self.draft.reset()

    def prefill(self, ctx):
        self.draft.logits_for(ctx, 1)  # warm the draft cache with the prompt

    def propose(self, ctx, k, sampling, gen, stop=None):
        head = getattr(self.draft, "copy_head", None) if self.params.copy else None
        tokens: list[int] = []
        probs = []
        for i in range(k):
            copied = copy_token(ctx + tokens, *head) if head else None
            if copied is not None and copied < self.vocab_size:
                tokens.append(copied)
                if not sampling.greedy:  # q is one-hot on the copied token
                    probs.append(torch.zeros(1, self.vocab_size).index_fill_(1, torch.tensor([copied]), 1.0))
                continue
            out = self.draft.logits_for(ctx + tokens, 1)
            self.calls += 1
            logits = out.logits[:, : self.vocab_size]  # (1, V)
            if sampling.greedy:  # argmax; q is one-hot, built once below
                tokens.append(int(logits[0].argmax()))
            else:
                q = warp(logits, sampling)             # (1, V)
                tokens.append(int(sample(q, gen)[0]))
                probs.append(q)
            if stop is not None and i + 1 < k and stop(i, logits[0]):
                break
        if sampling.greedy and tokens:  # (k, V) one-hot rows, for verifiers that read q
            probs = [torch.zeros(len(tokens), self.vocab_size).scatter_(1, torch.tensor(tokens)[:, None], 1.0)]
        return Proposal(tokens=tokens, draft_probs=torch.cat(probs) if probs else None)

    def commit(self, ctx):
        from ..models.wrapper import common_prefix

        self.draft.rollback_to(min(common_prefix(self.draft.cached, ctx), len(ctx) - 1))
