"""`heuristic` (HF's schedule): k += 2 when every draft token was accepted, else k -= 1,
kept within [k_min, k_max]. The starting k is the method's k."""
from dataclasses import dataclass

from ..errors import SpecDecodeError
from .base import CONTROLLERS, Controller


@dataclass(frozen=True)
class HeuristicParams:
    k_min: int = 1
    k_max: int = 16

    def __post_init__(self):
        if not 1 <= self.k_min <= self.k_max:
            raise SpecDecodeError(f"heuristic needs 1 <= k_min <= k_max (got {self.k_min}, {self.k_max})")


@CONTROLLERS.register("heuristic")
class HeuristicController(Controller):
    Params = HeuristicParams

    def __init__(self, params, k):
        super().__init__(params, min(max(k, params.k_min), params.k_max))

    def observe(self, record):
        if record.drafted == 0:
            return
        step = 2 if record.accepted == record.drafted else -1
        self.k = min(max(self.k + step, self.params.k_min), self.params.k_max)
