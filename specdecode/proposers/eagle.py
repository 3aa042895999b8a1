"""`eagle`: a hidden-state draft (EAGLE-style; models/feature_draft.py) drafts k tokens
from the target's own last hidden states.

Positions: ctx = x_0..x_{n-1}; the target's cache holds ctx[:-1], so its features
f_0..f_{n-2} are known. Draft row i reads (x_{i+1}, f_i) and predicts x_{i+2}; the rows
i < n - 1 are "true" (target features) and stay cached. propose() feeds the missing true
rows in ONE call (row n-2 predicts x_n = d_1), then one speculative row per further draft
token, each reading (d_j, o) where o is the draft's own guess of the next feature.
commit() drops the speculative rows; the next propose() reads the verified features.
Optional copy head (params copy_n_min / copy_n_max, off by default): as in proposer
`draft`, a token found by n-gram lookup replaces the draft's pick (q one-hot on it); the
draft step still runs, to carry its feature guess forward.
"""
from dataclasses import dataclass

import torch

from ..errors import SpecDecodeError
from ..sampling import sample, warp
from ..types import Proposal
from .base import PROPOSERS, Proposer
from .draft import copy_token


@dataclass(frozen=True)
class EagleParams:
    copy_n_min: int = 0  # > 0: a copy head as in proposer `draft` (n-gram lookup); 0 = off
    copy_n_max: int = 4

    def __post_init__(self):
        if self.copy_n_min and not 1 <= self.copy_n_min <= self.copy_n_max:
            raise SpecDecodeError("eagle needs 1 <= copy_n_min <= copy_n_max (or copy_n_min=0: no copy head)")


@PROPOSERS.register("eagle")
class FeatureDraftProposer(Proposer):
    Params = EagleParams
    needs_draft_model = True
    draft_kind = "feature"
    needs_target_features = True

    def bind_target(self, target):
        self.target = target
        self.draft.bind(target)

    def reset(self):
        super().reset()
        self.draft.reset()
        self.true_rows = 0  # cached draft rows read from target features (never speculative)

    def prefill(self, ctx):
        self._catch_up(ctx)  # rows 0..P-2: x_P, which row P-1 reads, is not sampled yet

    def _catch_up(self, ctx):
        """Feed true rows true_rows .. n-2 (x_{i+1} = ctx[i+1], f_i from the target's
        cache, which holds at least ctx[:-1]). Returns (o, logits) of the last row, or
        None when there is nothing new to feed."""
        start, n = self.true_rows, len(ctx)
        if start >= n - 1:
            return None
        self.calls += 1
        out = self.draft.step(ctx[start + 1 : n], self.target.features(start, n - 1))
        self.true_rows = n - 1
        return out

    def propose(self, ctx, k, sampling, gen, stop=None):
        out = self._catch_up(ctx)
        if out is None:  # only at a 1-token context: nothing to read yet
            return Proposal(tokens=[], draft_probs=None)
        o, logits = out
        tokens: list[int] = []
        probs = []
        n_min, n_max = self.params.copy_n_min, self.params.copy_n_max
        for i in range(k):
            logits = logits[:, : self.vocab_size]  # (1, V)
            copied = copy_token(ctx + tokens, n_min, n_max) if n_min else None
            if copied is not None and copied < self.vocab_size:  # q one-hot on it: exact
                tokens.append(copied)
                if not sampling.greedy:
                    probs.append(torch.zeros(1, self.vocab_size).index_fill_(1, torch.tensor([copied]), 1.0))
            elif sampling.greedy:
                tokens.append(int(logits[0].argmax()))
            else:
                q = warp(logits, sampling)
                tokens.append(int(sample(q, gen)[0]))
                probs.append(q)
            if i + 1 == k or (stop is not None and stop(i, logits[0])):
                break
            self.calls += 1
            o, logits = self.draft.step(tokens[-1:], o)
        if sampling.greedy and tokens:  # (k, V) one-hot rows, for verifiers that read q
            probs = [torch.zeros(len(tokens), self.vocab_size).scatter_(1, torch.tensor(tokens)[:, None], 1.0)]
        return Proposal(tokens=tokens, draft_probs=torch.cat(probs) if probs else None)

    def commit(self, ctx):
        self.draft.rollback_to(self.true_rows)  # drop the rows fed with the draft's own o
