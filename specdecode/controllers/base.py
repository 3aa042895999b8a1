"""Draft-length controller protocol. A fresh controller is built for every generation.

next_k() -> k for the next cycle (0 = a target-only step); stop(i, logits, hidden) may end
drafting early, after draft position i; observe(record) sees every finished cycle (with
per-position statistics when the controller lists "positions" in `needs`).

Two seams shared by every controller:
- Stop hook. The loop hands the proposer a StopHook (or None when uses_stop is False):
  hook(i, logits_row (V,), hidden_row (d,) | None). A proposer with a hidden state of its
  own passes it when `hook.wants_hidden` (a controller lists "draft_hidden" in `needs`);
  proposers that have none call hook(i, logits) and the controller sees hidden=None.
- Carry. A decoder that runs several generations of one method (the bench worker keeps
  one per method and temperature) hands carry() of the last generation's controller to
  resume() of the next one, so adaptive estimates survive from prompt to prompt. The
  attributes named in `carried` travel (deep-copied), only when params.carry is True.
"""
from __future__ import annotations

import copy

import torch

from ..params import NoParams
from ..registry import Registry
from ..types import CycleRecord

CONTROLLERS: Registry[type["Controller"]] = Registry("controller")


class Controller:
    Params = NoParams
    uses_stop = False  # True: the loop passes a StopHook over `stop` to the proposer
    controls: frozenset[str] = frozenset()  # keys verify_control() may set, e.g. {"T"}
    needs: frozenset[str] = frozenset()  # "positions": per-position statistics in every cycle;
                                         # "draft_hidden": stop() gets the draft's hidden row
    carried: tuple[str, ...] = ()  # attributes handed to the next generation (see carry())

    def __init__(self, params, k: int):
        self.params = params
        self.k = k

    def next_k(self) -> int:
        return self.k

    def stop(self, i: int, logits: torch.Tensor, hidden: torch.Tensor | None = None) -> bool:
        return False

    def verify_control(self) -> dict | None:
        """Settings the verifier reads this cycle (VerifyInput.control), e.g. a policy's
        threshold; None for controllers that only choose the draft length."""
        return None

    def observe(self, record: CycleRecord) -> None:
        pass

    def carry(self) -> dict | None:
        """State for the next generation of the same method; None: start fresh."""
        if not self.carried or not getattr(self.params, "carry", False):
            return None
        return {name: copy.deepcopy(getattr(self, name)) for name in self.carried}

    def resume(self, state: dict | None) -> None:
        """Start from carry() of the previous generation (None: nothing to resume)."""
        for name, value in (state or {}).items():
            setattr(self, name, copy.deepcopy(value))


class StopHook:
    """What the loop hands a proposer as `stop`: hook(i, logits (V,), hidden (d,) | None)
    -> True to stop drafting after draft position i."""

    def __init__(self, controller: Controller):
        self.controller = controller
        self.wants_hidden = "draft_hidden" in controller.needs

    def __call__(self, i: int, logits: torch.Tensor, hidden: torch.Tensor | None = None) -> bool:
        if self.wants_hidden:
            return self.controller.stop(i, logits, hidden)
        return self.controller.stop(i, logits)  # controllers written before the hidden seam
