"""Draft-length controller protocol. A fresh controller is built for every generation.

next_k() -> k for the next cycle (0 = a target-only step); stop(i, logits) may end
drafting early, after draft position i; observe(record) sees every finished cycle (with
per-position statistics when the controller lists "positions" in `needs`)."""
from __future__ import annotations

import torch

from ..params import NoParams
from ..registry import Registry
from ..types import CycleRecord

CONTROLLERS: Registry[type["Controller"]] = Registry("controller")


class Controller:
    Params = NoParams
    uses_stop = False  # True: the loop passes `stop` to the proposer
    needs: frozenset[str] = frozenset()  # {"positions"}: cycles carry per-position statistics

    def __init__(self, params, k: int):
        self.params = params
        self.k = k

    def next_k(self) -> int:
        return self.k

    def stop(self, i: int, logits: torch.Tensor) -> bool:
        return False

    def verify_control(self) -> dict | None:
        """Settings the verifier reads this cycle (VerifyInput.control), e.g. a policy's
        threshold; None for controllers that only choose the draft length."""
        return None

    def observe(self, record: CycleRecord) -> None:
        pass
