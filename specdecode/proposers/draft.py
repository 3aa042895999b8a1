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

Options (off by default; rules in docs/draft-options.md, code in draft_options.py):
`recycle` = "dense" | "sparse" reuses the rejected tail of the last cycle as one-hot
hints; `refine` = S > 0 drafts the block Jacobi-style, S parallel draft calls over it
(the stop hook is ignored then). Both stay exact at any temperature.
"""
from dataclasses import dataclass

import torch

from ..lookup import copy_token
from ..sampling import sample, warp
from ..types import Proposal
from .base import PROPOSERS, Proposer, check_same_tokenizer, fit_width, one_hot_logits, one_hot_rows, require_model
from .draft_options import GUESS_NGRAM, Hints, check_options, initial_guesses, jacobi, rejected_tail


@dataclass(frozen=True)
class DraftParams:
    copy: bool = True      # use the draft's copy head, when it has one (False: the LM alone)
    recycle: str = "off"   # "off" | "dense" | "sparse": last cycle's rejected tail as one-hot hints
    refine: int = 0        # S > 0: S Jacobi refinement steps over the block (k >= 2); 0 = autoregressive

    def __post_init__(self):
        check_options(self.recycle, self.refine)


@PROPOSERS.register("draft")
class DraftModelProposer(Proposer):
    Params = DraftParams
    model_roles = ("draft",)

    def __init__(self, params):
        super().__init__(params)
        self.hints = Hints()  # recycled hints for the next propose (empty unless recycle is on)
        self._last = None     # (len(ctx), tokens) of the last proposal, read by commit(); recycle only

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
        self.hints, self._last = Hints(), None

    def prefill(self, ctx):
        self.draft.logits_for(self._fed(ctx), 1)  # warm the draft cache with the prompt
        return None

    def _fed(self, seq: list[int]) -> list[int]:
        """seq as the draft reads it: ids beyond its embedding table -> the placeholder."""
        if self.embeds is None:
            return seq
        return [t if t < self.embeds else self.placeholder for t in seq]

    def propose(self, ctx, k, sampling, gen, stop=None):
        if self.params.refine and k >= 2:
            return self._refined(ctx, k, sampling, gen)
        V = self.vocab_size
        tokens: list[int] = []
        probs, raw = [], []  # (1, V) rows: warped q (T > 0 only) and raw draft logits
        recycled = 0
        for i in range(k):
            # a recycled hint first, then the copy head: both deterministic picks from the past
            hint = self.hints.take((ctx + tokens)[-1]) if self.hints else None
            copied = hint if hint is not None else (copy_token(ctx + tokens, *self.head) if self.head else None)
            if copied is not None and copied < V:  # q is one-hot on the hint / copied token
                recycled += hint is not None
                tokens.append(copied)
                raw.append(one_hot_logits(copied, V))
                if not sampling.greedy:
                    probs.append(one_hot_rows([copied], V))
                if self._stops_after_copy(stop, i, k, raw[-1][0]):
                    break
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
        if self.params.recycle != "off":
            self._last = (len(ctx), tokens)
        return Proposal(tokens=tokens, draft_probs=torch.cat(probs) if probs else None,
                        draft_logits=torch.cat(raw) if raw else None,
                        events={"recycled": recycled} if recycled else None)

    @staticmethod
    def _stops_after_copy(stop, i, k, row) -> bool:
        """The stop hook after a copied token: it sees q's one-hot row (V,), so a hook that
        ends at a position (a policy table's window) ends there whether the token was copied
        or drafted. A hook that reads the draft's hidden state is skipped: a copied token has
        none, and its one-hot q leaves a product of P(accept) unchanged."""
        if stop is None or i + 1 >= k or getattr(stop, "wants_hidden", False):
            return False
        return bool(stop(i, row, None))

    def _refined(self, ctx, k, sampling, gen):
        """refine = S > 0, k >= 2: d_1 from the row after ctx (one call), guesses for
        d_2..d_k from the n-gram lookup, then S block calls (draft_options.jacobi). The
        cache is cropped back to ctx afterwards; commit() catches up as usual."""
        V = self.vocab_size
        row0 = fit_width(self.draft.logits_for(self._fed(ctx), 1).logits, V)  # (1, V); all of ctx is cached now
        self.calls += 1
        q0 = None if sampling.greedy else warp(row0, sampling)
        d1 = int(row0[0].argmax()) if sampling.greedy else int(sample(q0, gen)[0])

        def rows_after(block):  # (len(block), V): one causal call over block, after the cached ctx
            self.calls += 1
            return fit_width(self.draft.logits_for(self._fed(ctx + block), len(block)).logits, V)

        guesses = initial_guesses(ctx, d1, k, self.head or GUESS_NGRAM)
        done = jacobi(rows_after, d1, guesses, self.params.refine, sampling, gen)
        self.draft.rollback_to(len(ctx))  # drop the block: only ctx is known to be committed
        tokens = [d1] + done.tokens
        probs = one_hot_rows(tokens, V) if sampling.greedy else torch.cat([q0, done.q])
        return Proposal(tokens=tokens, draft_probs=probs, draft_logits=torch.cat([row0, done.raw]),
                        events={"refine_steps": done.steps, "refine_changed": done.changed})

    def commit(self, ctx):
        from ..models.wrapper import common_prefix

        self.draft.rollback_to(min(common_prefix(self.draft.cached, self._fed(ctx)), len(ctx) - 1))
        # Hints are replaced after every cycle: the tail this cycle rejected, or none (all
        # accepted, or no proposal this cycle, e.g. a target-only step of `auto`).
        last, self._last = self._last, None
        if last is not None:
            base, drafted = last
            self.hints = Hints(self.params.recycle, rejected_tail(drafted, ctx[base:]))
        else:
            self.hints = Hints()
