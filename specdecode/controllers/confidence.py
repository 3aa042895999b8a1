"""`confidence`: draft up to k tokens, but stop after a draft token whose top
probability (untempered softmax of the draft) is below `threshold` (HF uses 0.4,
llama.cpp's p_min 0.75). `min_tokens`: never stop before that many drafted tokens
(llama.cpp's setting for Qwen2.5-Coder pairs: a long draft, k >= 16, cut by p_min, and
no verify of fewer than 4 tokens, since a memory-bound verify of 4 costs what 1 does)."""
from dataclasses import dataclass

import torch

from ..errors import SpecDecodeError
from .base import CONTROLLERS, Controller


@dataclass(frozen=True)
class ConfidenceParams:
    threshold: float = 0.4
    min_tokens: int = 0

    def __post_init__(self):
        if not 0 <= self.threshold <= 1:
            raise SpecDecodeError(f"confidence threshold must be in [0, 1] (got {self.threshold})")
        if isinstance(self.min_tokens, bool) or not isinstance(self.min_tokens, int) or self.min_tokens < 0:
            raise SpecDecodeError(f"confidence min_tokens must be an integer >= 0 (got {self.min_tokens!r}); "
                                  f"use e.g. 4")


@CONTROLLERS.register("confidence")
class ConfidenceController(Controller):
    Params = ConfidenceParams
    uses_stop = True

    def stop(self, i, logits):
        if i + 1 < self.params.min_tokens:  # i: index of the token just drafted
            return False
        top = torch.softmax(logits.float(), dim=-1).max()
        return bool(top < self.params.threshold)
