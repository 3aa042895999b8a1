"""`confidence`: draft up to k tokens, but stop after a draft token whose top
probability (untempered softmax of the draft) is below `threshold` (HF uses 0.4,
llama.cpp's p_min 0.75)."""
from dataclasses import dataclass

import torch

from ..errors import SpecDecodeError
from .base import CONTROLLERS, Controller


@dataclass(frozen=True)
class ConfidenceParams:
    threshold: float = 0.4

    def __post_init__(self):
        if not 0 <= self.threshold <= 1:
            raise SpecDecodeError(f"confidence threshold must be in [0, 1] (got {self.threshold})")


@CONTROLLERS.register("confidence")
class ConfidenceController(Controller):
    Params = ConfidenceParams
    uses_stop = True

    def stop(self, i, logits):
        top = torch.softmax(logits.float(), dim=-1).max()
        return bool(top < self.params.threshold)
