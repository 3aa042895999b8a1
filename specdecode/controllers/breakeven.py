"""`breakeven`: the `ewma` scheduler's table, warm-up, probes and streak, but it moves
only between ADJACENT candidate sizes, by the measured break-even, with no fixed
thresholds (no margin, no tau / k floor).

At the current size k it measures the per-position acceptance a (EWMA of accepted /
checked positions, `alpha`) and every size's cycle time (EWMA, refreshed by probes).
For a neighbour b (one size up or down) it predicts tau_b = (1 - a^(b+1)) / (1 - a)
(Leviathan; tau_0 = 1) and the break-even tau*_b = tau_k * cycle_b / cycle_k, the tau at
which b would commit tokens exactly as fast as k (tau_k predicted the same way, so both
sides share one a). b challenges when tau_b > tau*_b; `streak` consecutive wins of one
neighbour switch to it, then `cooldown` cycles pass. Why predict tau rather than use b's
own tau EWMA: a probe visits b rarely, so its tau estimate is stale, while a moves every
cycle and the cycle times, set by the models' costs, barely move.
Probes alternate between the sizes below and above the current one (throughput.py).
"""
from dataclasses import dataclass

from .base import CONTROLLERS
from .throughput import ThroughputScheduler, candidates_field, check_common


@dataclass(frozen=True)
class BreakevenParams:
    candidates: tuple[int, ...] = candidates_field()  # draft lengths to choose from; 0 = target-only
    alpha: float = 0.10         # EWMA weight of the newest cycle (acceptance and cycle times)
    warmup_rounds: int = 1      # round-robin passes over the candidates before choosing
    probe_every: int = 16       # cycles at the current size between two probes (of a neighbour)
    streak: int = 3             # consecutive break-even wins of one neighbour to move there
    cooldown: int = 8           # cycles after a switch with no probe and no switch
    carry: bool = True          # resume the previous generation's estimates

    def __post_init__(self):
        check_common(self, "breakeven")


def expected_tau(a: float, b: int) -> float:
    """Leviathan: tokens per cycle with b drafted tokens, each accepted with prob. a."""
    if b == 0:
        return 1.0
    if a >= 1.0:
        return b + 1.0
    return (1.0 - a ** (b + 1)) / (1.0 - a)


@CONTROLLERS.register("breakeven")
class BreakevenController(ThroughputScheduler):
    Params = BreakevenParams
    carried = ThroughputScheduler.carried + ("accept",)

    def __init__(self, params, k):
        super().__init__(params, k)
        self.accept: float | None = None  # EWMA of accepted / checked positions

    def _observed(self, record):
        checked = len(record.outcomes)
        if record.drafted and checked:
            now = sum(record.outcomes) / checked
            a = self.params.alpha
            self.accept = now if self.accept is None else (1 - a) * self.accept + a * now

    def breakeven_tau(self, b: int) -> float | None:
        """tau*_b: the tau size b needs to match the current size's tokens per second."""
        cur, other = self.table[self.current].cycle_s, self.table[b].cycle_s
        if self.accept is None or not cur or not other:
            return None
        return expected_tau(self.accept, self.current) * other / cur

    def _challenge(self):
        wins = []
        for b in self.neighbours():
            need = self.breakeven_tau(b)
            if need is not None and expected_tau(self.accept, b) > need:
                wins.append((expected_tau(self.accept, b) / need, b))
        return max(wins)[1] if wins else None
