"""Proposer protocol: propose(ctx, k) -> Proposal. One class per method, registered by name.

A proposer declares the named models it reads besides the target (`model_roles`, e.g.
("draft",)) and takes them in `bind(target, models)`, once, before any generation. There
it validates them (kind, tokenizer) and sets `target_needs`, what the target must keep
for it (e.g. {"features"}: the target's last hidden states), so the loop knows no
particular draft.
"""
from __future__ import annotations

from typing import Callable, Mapping

import torch

from ..config import SamplingConfig
from ..errors import SpecDecodeError
from ..params import NoParams
from ..registry import Registry
from ..types import Proposal

PROPOSERS: Registry[type["Proposer"]] = Registry("proposer")

# stop(i, raw_logits_row (V,), hidden_row (d,) | None = None) -> True to stop drafting
# after draft position i. The loop passes a controllers.base.StopHook; a proposer that
# has the draft's hidden state passes it when `stop.wants_hidden` (SpecDec++'s head).
StopFn = Callable[..., bool]


class Proposer:
    Params = NoParams
    model_roles: tuple[str, ...] = ()  # named models read besides the target, e.g. ("draft",)
    drafts = True                      # False only for target-only decoding
    deterministic = False              # True: draft_probs is None (q is one-hot on the draft)

    def __init__(self, params):
        self.params = params
        self.calls = 0                 # draft-model forward calls so far
        self.vocab_size: int | None = None  # the target's vocabulary: width of every q row
        self.target_needs: frozenset[str] = frozenset()

    def bind(self, target, models: Mapping[str, object]) -> None:
        """Take the target and the named models this proposer reads; validate them."""
        self.vocab_size = target.vocab_size

    def reset(self) -> None:
        self.calls = 0

    def prefill(self, ctx: list[int]) -> Proposal | None:
        """Called once with the prompt, inside the timed prefill stage. May return a
        pending proposal for the context after the first token (e.g. drafted while the
        target prefilled); the first cycle then verifies it instead of calling propose()."""
        return None

    def propose(self, ctx: list[int], k: int, sampling: SamplingConfig,
                gen: torch.Generator, stop: StopFn | None = None) -> Proposal:
        raise NotImplementedError

    def commit(self, ctx: list[int]) -> None:
        """Called after every cycle with the committed tokens: drop rejected draft state."""


KIND_NAMES = {"lm": "a causal LM", "feature": "a hidden-state draft"}
KIND_FIX = {"lm": "a causal-LM draft, e.g. --draft zoo:smollm2-135m-draft",
            "feature": "a hidden-state draft, e.g. --draft zoo:smollm2-135m-eagle"}
KIND_READER = {"lm": "--proposer draft", "feature": "--proposer eagle"}


def require_model(models: Mapping[str, object], role: str, kind: str, proposer: str):
    """models[role], checked to be of `kind` ('lm' or 'feature'); one-line errors."""
    model = models.get(role)
    if model is None:
        flag = "--draft MODEL" if role == "draft" else f"models: {{{role}: MODEL}}"
        raise SpecDecodeError(f"proposer '{proposer}' needs a {role} model; pass {flag}")
    have = getattr(model, "kind", "lm")
    if have != kind:
        other = f" (or {KIND_READER[have]} for this one)" if have in KIND_READER else ""
        raise SpecDecodeError(f"proposer '{proposer}' cannot use {role} {model.name} "
                              f"({KIND_NAMES.get(have, have)}); use {KIND_FIX[kind]}{other}")
    return model


def check_same_tokenizer(target, draft) -> None:
    """Token-level drafting needs the target's tokenizer: the same token for every id.
    Embedding tables may differ in padding (see fit_width)."""
    tv, dv = target.tokenizer.get_vocab(), draft.tokenizer.get_vocab()
    t_by_id = {i: t for t, i in tv.items()}
    d_by_id = {i: t for t, i in dv.items()}
    diff = sorted(i for i in set(t_by_id) | set(d_by_id) if t_by_id.get(i) != d_by_id.get(i))
    if diff:
        show = ", ".join(f"{i}: {t_by_id.get(i)!r} vs {d_by_id.get(i)!r}" for i in diff[:3])
        raise SpecDecodeError(
            f"draft and target vocabularies differ at {len(diff)} token ids (e.g. {show}); "
            "use a draft with the target's tokenizer (or --proposer ngram)"
        )


def fit_width(logits: torch.Tensor, width: int) -> torch.Tensor:
    """Draft logits (n, V_d) -> (n, width), the target's vocabulary. Rows the draft's head
    lacks get -inf (q = 0: ids it cannot emit); padding rows beyond the target's
    vocabulary are dropped (ids the target cannot emit). The target is never cut."""
    have = logits.shape[-1]
    if have == width:
        return logits
    if have > width:
        return logits[..., :width]
    pad = logits.new_full((*logits.shape[:-1], width - have), float("-inf"))
    return torch.cat([logits, pad], dim=-1)


def one_hot_rows(tokens: list[int], width: int) -> torch.Tensor:
    """(len(tokens), width) float rows, 1 at each token: q of a deterministic pick."""
    return torch.zeros(len(tokens), width).scatter_(1, torch.tensor(tokens)[:, None], 1.0)


def one_hot_logits(token: int, width: int) -> torch.Tensor:
    """(1, width) logits of a distribution that puts all mass on `token` (0 there, -inf
    elsewhere): the raw draft distribution of a copied token."""
    row = torch.full((1, width), float("-inf"))
    row[0, token] = 0.0
    return row
