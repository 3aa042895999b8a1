"""`ewma`: a throughput scheduler over a set of candidate draft lengths (METHODS.md 16).

Each candidate b keeps EWMA estimates (weight `alpha` = 0.10 on the newest cycle) of tau_b
(tokens committed per cycle, bonus / recovered token included) and of its cycle time;
its score is tau_hat_b / cycle_hat_b, tokens per second. The rules (throughput.py runs
the schedule):
- warm-up: every candidate `warmup_rounds` times, round-robin in increasing order; the
  best score becomes current;
- probe: every `probe_every` cycles, one cycle at a non-current candidate: the sizes just
  below and above the current one, alternating (a far size would cost a whole slow
  cycle per probe; a switch moves the probed neighbourhood along);
- switch: when the best other candidate's score exceeds the current one's by more than
  `margin` (relative) in `streak` consecutive decisions, it becomes current; then
  `cooldown` cycles with no probe and no switch;
- step down: when tau / b < `low_ratio` (0.35) for `low_cycles` (2) consecutive cycles
  at the current size b, move one candidate down at once.
Candidate 0 is a target-only step (tau = 1), so a pair where drafting does not pay
settles on it: the scheduler is never much slower than target-only.
`carry`: start each generation of a decoder from the previous one's estimates (the bench
worker), so only the first prompt pays the warm-up.
Its research version did not beat the best fixed size: the report shows the oracle best
fixed k beside it (analysis/oracle.py).
"""
from dataclasses import dataclass

from ..errors import SpecDecodeError
from .base import CONTROLLERS
from .throughput import ThroughputScheduler, candidates_field, check_common


@dataclass(frozen=True)
class EwmaParams:
    candidates: tuple[int, ...] = candidates_field()  # draft lengths to choose from; 0 = target-only
    alpha: float = 0.10         # EWMA weight of the newest cycle
    warmup_rounds: int = 1      # round-robin passes over the candidates before choosing
    probe_every: int = 16       # cycles at the current size between two probes
    margin: float = 0.05        # relative score gain a challenger must show ...
    streak: int = 3             # ... in this many consecutive decisions to take over
    cooldown: int = 8           # cycles after a switch with no probe and no switch
    low_ratio: float = 0.35     # step down when tau / k < low_ratio ...
    low_cycles: int = 2         # ... for this many consecutive cycles
    carry: bool = True          # resume the previous generation's estimates

    def __post_init__(self):
        check_common(self, "ewma")
        if self.margin < 0:
            raise SpecDecodeError(f"ewma margin must be >= 0 (got {self.margin}); use e.g. 0.05")
        if not 0 <= self.low_ratio <= 1 or self.low_cycles < 1:
            raise SpecDecodeError(f"ewma needs 0 <= low_ratio <= 1 and low_cycles >= 1 "
                                  f"(got {self.low_ratio}, {self.low_cycles})")


@CONTROLLERS.register("ewma")
class EwmaController(ThroughputScheduler):
    Params = EwmaParams

    def __init__(self, params, k):
        super().__init__(params, k)
        self.low = 0  # consecutive current-size cycles with tau / k < low_ratio

    def _challenge(self):
        cur = self.table[self.current].score
        scored = [(self.table[b].score, b) for b in self.others() if self.table[b].score is not None]
        if cur is None or not scored:
            return None
        best, b = max(scored)
        return b if best > cur * (1 + self.params.margin) else None

    def _step_down(self, record):
        if self.current == 0:
            return False
        ratio = (record.accepted + 1) / self.current
        self.low = self.low + 1 if ratio < self.params.low_ratio else 0
        return self.low >= self.params.low_cycles

    def _switched(self):
        self.low = 0
