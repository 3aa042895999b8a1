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
from ..lookup import copy_token
from ..sampling import sample, warp
from ..types import Proposal
from .base import PROPOSERS, Proposer, fit_width, one_hot_logits, one_hot_rows, require_model


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
    model_roles = ("draft",)

    def bind(self, target, models):
        super().bind(target, models)
        self.draft = require_model(models, "draft", "feature", "eagle")
        self.target = target
        self.draft.bind(target)
        self.target_needs = frozenset({"features"})  # the target keeps its last hidden states

    def reset(self):
        super().reset()
        self.draft.reset()
        self.true_rows = 0  # cached draft rows read from target features (never speculative)

    def prefill(self, ctx):
        self._catch_up(ctx)  # rows 0..P-2: x_P, which row P-1 reads, is not sampled yet
        return None

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
            return Proposal(tokens=[])
        o, logits = out
        V = self.vocab_size
        tokens: list[int] = []
        probs, raw = [], []  # (1, V) rows: warped q (T > 0 only) and raw draft logits
        n_min, n_max = self.params.copy_n_min, self.params.copy_n_max
        for i in range(k):
            logits = fit_width(logits, V)  # (1, V)
            copied = copy_token(ctx + tokens, n_min, n_max) if n_min else None
            if copied is not None and copied < V:  # q one-hot on it: exact
                tokens.append(copied)
                raw.append(one_hot_logits(copied, V))
                if not sampling.greedy:
                    probs.append(one_hot_rows([copied], V))
            elif sampling.greedy:
                tokens.append(int(logits[0].argmax()))
                raw.append(logits)
            else:
                q = warp(logits, sampling)
                tokens.append(int(sample(q, gen)[0]))
                probs.append(q)
                raw.append(logits)
            if i + 1 == k or (stop is not None and stop(i, logits[0])):
                break
            self.calls += 1
            o, logits = self.draft.step(tokens[-1:], o)
        if sampling.greedy and tokens:  # (k, V) one-hot rows, for verifiers that read q
            probs = [one_hot_rows(tokens, V)]
        return Proposal(tokens=tokens, draft_probs=torch.cat(probs) if probs else None,
                        draft_logits=torch.cat(raw) if raw else None)

    def commit(self, ctx):
        self.draft.rollback_to(self.true_rows)  # drop the rows fed with the draft's own o
