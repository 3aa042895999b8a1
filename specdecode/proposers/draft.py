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

Vocabularies. The draft shares the target's tokenizer, but its embedding table and head
may be padded to another size. The target's distribution is never cut: q is the draft's
distribution over the target's ids (zero on ids the draft's head lacks, fit_width), and
ids the draft cannot embed are fed to it as a placeholder id.
"""
from dataclasses import dataclass

import torch

from ..lookup import copy_token
from ..sampling import sample, warp
from ..types import Proposal
from .base import PROPOSERS, Proposer, check_same_tokenizer, fit_width, one_hot_logits, one_hot_rows, require_model


@dataclass(frozen=True)
class DraftParams:
    copy: bool = True  # use the draft's copy head, when it has one (False: the LM alone)


@PROPOSERS.register("draft")
class DraftModelProposer(Proposer):
    Params = DraftParams
    model_roles = ("draft",)

    def bind(self, target, models):
        super().bind(target, models)
        self.draft = require_model(models, "draft", "lm", "draft")
        check_same_tokenizer(target, self.draft)
        self.head = getattr(self.draft, "copy_head", None) if self.params.copy else None
        # Ids the draft cannot embed (its table is smaller than the target's) are fed to
        # it as a placeholder id; q stays exact (fit_width gives them q = 0).
        rows = self.draft.model.get_input_embeddings().weight.shape[0]
        unk = getattr(self.draft.tokenizer, "unk_token_id", None)
        self.embeds = rows if rows < target.vocab_size else None
        self.placeholder = unk if isinstance(unk, int) and 0 <= unk < rows else 0

    def reset(self):
        super().reset()
        self.draft.reset()

    def prefill(self, ctx):
        self.draft.logits_for(self._fed(ctx), 1)  # warm the draft cache with the prompt
        return None

    def _fed(self, seq: list[int]) -> list[int]:
        """seq as the draft reads it: ids beyond its embedding table -> the placeholder."""
        if self.embeds is None:
            return seq
        return [t if t < self.embeds else self.placeholder for t in seq]

    def propose(self, ctx, k, sampling, gen, stop=None):
        V = self.vocab_size
        tokens: list[int] = []
        probs, raw = [], []  # (1, V) rows: warped q (T > 0 only) and raw draft logits
        for i in range(k):
            copied = copy_token(ctx + tokens, *self.head) if self.head else None
            if copied is not None and copied < V:  # q is one-hot on the copied token
                tokens.append(copied)
                raw.append(one_hot_logits(copied, V))
                if not sampling.greedy:
                    probs.append(one_hot_rows([copied], V))
                continue
            wants_hidden = getattr(stop, "wants_hidden", False)  # a controller reads the draft's state
            out = self.draft.logits_for(self._fed(ctx + tokens), 1, want_hidden=wants_hidden)
            self.calls += 1
            logits = fit_width(out.logits, V)  # (1, V)
            raw.append(logits)
            if sampling.greedy:  # argmax; q is one-hot, built once below
                tokens.append(int(logits[0].argmax()))
            else:
                q = warp(logits, sampling)     # (1, V)
                tokens.append(int(sample(q, gen)[0]))
                probs.append(q)
            hidden = out.last_hidden[-1] if wants_hidden else None  # (d,) post-norm, float32
            if stop is not None and i + 1 < k and stop(i, logits[0], hidden):
                break
        if sampling.greedy and tokens:  # (k, V) one-hot rows, for verifiers that read q
            probs = [one_hot_rows(tokens, V)]
        return Proposal(tokens=tokens, draft_probs=torch.cat(probs) if probs else None,
                        draft_logits=torch.cat(raw) if raw else None)

    def commit(self, ctx):
        from ..models.wrapper import common_prefix

        self.draft.rollback_to(min(common_prefix(self.draft.cached, self._fed(ctx)), len(ctx) - 1))
