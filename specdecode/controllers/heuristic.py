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


def hf_schedule(k: int, record, k_min: int, k_max: int) -> int:
    """The next k after a cycle that drafted: +2 if every draft token was accepted, else
    -1, kept within [k_min, k_max]. Shared with `auto`, whose drafting cycles follow it."""
    step = 2 if record.accepted == record.drafted else -1
    return min(max(k + step, k_min), k_max)


@CONTROLLERS.register("heuristic")
class HeuristicController(Controller):
    Params = HeuristicParams

    def __init__(self, params, k):
        super().__init__(params, min(max(k, params.k_min), params.k_max))

    def observe(self, record):
        if record.drafted:
            self.k = hf_schedule(self.k, record, self.params.k_min, self.params.k_max)
