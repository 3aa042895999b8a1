"""`draft`: a small causal LM with its own KV cache drafts k tokens autoregressively.

Cache invariant (checked by tests): before each propose the draft cache is a prefix of
the committed tokens. `logits_for` feeds whatever is missing in one call, so the
all-accepted case (the last draft token was never fed) and target-only steps of the
`auto` controller are caught up in the next call without an extra forward.
"""
import torch

from ..params import NoParams
from ..sampling import sample, warp
from ..types import Proposal
from .base import PROPOSERS, Proposer


@PROPOSERS.register("draft")
class DraftModelProposer(Proposer):
    Params = NoParams
    needs_draft_model = True

    def reset(self):
        super().reset()
        self.draft.reset()

    def prefill(self, ctx):
        self.draft.logits_for(ctx, 1)  # warm the draft cache with the prompt

    def propose(self, ctx, k, sampling, gen, stop=None):
        tokens: list[int] = []
        probs = []
        for i in range(k):
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
