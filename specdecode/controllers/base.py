"""Draft-length controller protocol. A fresh controller is built for every generation.

next_k() -> k for the next cycle (0 = a target-only step); stop(i, logits) may end
drafting early, after draft position i; observe(record) sees every finished cycle."""
from __future__ import annotations

import torch

from ..registry import Registry
from ..types import CycleRecord

CONTROLLERS: Registry[type["Controller"]] = Registry("controller")


class Controller:
    uses_stop = False  # True: the loop passes `stop` to the proposer

    def __init__(self, params, k: int):
        self.params = params
        self.k = k

    def next_k(self) -> int:
        return self.k

    def stop(self, i: int, logits: torch.Tensor) -> bool:
        return False

    def observe(self, record: CycleRecord) -> None:
        pass
