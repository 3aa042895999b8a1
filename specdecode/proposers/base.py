"""Proposer protocol: propose(ctx, k) -> Proposal. One class per method, registered by name."""
from __future__ import annotations

from typing import Callable

import torch

from ..config import SamplingConfig
from ..registry import Registry
from ..types import Proposal

PROPOSERS: Registry[type["Proposer"]] = Registry("proposer")

# stop(i, raw_logits_row (V,)) -> True to stop drafting after draft position i.
StopFn = Callable[[int, torch.Tensor], bool]


class Proposer:
    drafts = True               # False only for target-only decoding
    needs_draft_model = False
    draft_kind = "lm"           # "lm": a causal LM (CausalLM); "feature": a hidden-state draft
    needs_target_features = False  # True: the target keeps its last hidden states (eagle)
    deterministic = False       # True: draft_probs is None (q is one-hot on the draft)

    def __init__(self, params, draft=None, vocab_size: int | None = None):
        self.params = params
        self.draft = draft
        self.vocab_size = vocab_size  # shared vocabulary size; logits are sliced to it
        self.calls = 0                # draft-model forward calls so far

    def reset(self) -> None:
        self.calls = 0

    def bind_target(self, target) -> None:
        """Called once by the decoder for proposers that read the target's features."""

    def prefill(self, ctx: list[int]) -> None:
        """Called once with the prompt, inside the timed prefill stage."""

    def propose(self, ctx: list[int], k: int, sampling: SamplingConfig,
                gen: torch.Generator, stop: StopFn | None = None) -> Proposal:
        raise NotImplementedError

    def commit(self, ctx: list[int]) -> None:
        """Called after every cycle with the committed tokens: drop rejected draft state."""
