"""`random-policy`: the exploratory behaviour policy of `specdecode policy collect`
(JointAdaSpec, METHODS.md 17). After every draft token it stops with probability
`p_stop` (always at `window` tokens) and then verifies with a fuzzy threshold drawn
uniformly from the grid, through verify_control() (pair it with `--verifier fuzzy`).
It keeps a log of its decisions per cycle (`log`, policy/steps.py) that collect turns
into transitions. Lossy at T > 0 (the thresholds), exact at T = 0."""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, replace

import torch

from ..errors import SpecDecodeError

from ..policy.states import CONTINUE, GRID
from ..policy.steps import CycleLog, Decision
from .base import CONTROLLERS, Controller


def entropy(logits: torch.Tensor) -> float:
    """Entropy in nats of softmax(logits) (V,), the draft's own row (temperature 1)."""
    log_q = torch.log_softmax(logits.float(), dim=-1)
    return float(torch.special.entr(log_q.exp()).sum())


class WindowPolicy(Controller):
    """The bookkeeping shared by the window-policy controllers (`random-policy`, the
    behaviour policy of `policy collect`, and `jointadaspec`, the solved table).

    Per cycle: next_k() opens the window (window + 1, so the stop hook also sees the row of
    the window's last token, and the controller itself ends drafting there); stop(i, logits)
    computes the entropy of the draft's row and asks `choose` for an action at state
    (entropy, KL of the last verified position, pos = i + 1); verify_control() gives the
    chosen stop's threshold, choosing a forced stop first when drafting ended without one
    (the context budget cut the window); observe() takes the KL of the cycle's last verified
    position for the next cycle's states."""

    uses_stop = True
    needs = frozenset({"positions"})  # the KL of each cycle's last verified position
    controls = frozenset({"T"})  # verify_control() sets the fuzzy threshold: lossy at T > 0

    def __init__(self, params, k: int, window: int, grid: tuple[float, ...]):
        super().__init__(params, k)
        self.window, self.grid = window, grid
        self.kl_prev: float | None = None   # KL(q || p) at the last verified position
        self.decisions: list[Decision] = []
        self.t_open = 0.0

    def choose(self, h: float, pos: int, forced: bool) -> int:
        """The action at (h, self.kl_prev, pos); forced: a stop action is required."""
        raise NotImplementedError

    def next_k(self) -> int:
        self.decisions, self.t_open = [], time.perf_counter()
        return self.window + 1

    def stop(self, i, logits):
        h, pos = entropy(logits), i + 1
        action = self.choose(h, pos, forced=pos >= self.window)
        self.decisions.append(Decision(pos, h, action, time.perf_counter(), True))
        return action != CONTINUE

    def verify_control(self):
        if not self.decisions or self.decisions[-1].action == CONTINUE:
            last = self.decisions[-1] if self.decisions else None
            h, pos = (last.h, last.pos + 1) if last else (0.0, 1)
            self.decisions.append(Decision(pos, h, self.choose(h, pos, forced=True), time.perf_counter(), False))
        return {"T": self.grid[self.decisions[-1].action - 1]}

    def observe(self, record):
        if record.positions:
            kl = record.positions[-1].kl_qp
            self.kl_prev = None if kl is None else float(kl)


@dataclass(frozen=True)
class RandomPolicyParams:
    window: int = 8        # longest draft window
    p_stop: float = 0.25   # chance to stop after each draft token (mean window ~ 1 / p_stop)
    seed: int = 0

    def __post_init__(self):
        if isinstance(self.window, bool) or not isinstance(self.window, int) or not 1 <= self.window <= 64:
            raise SpecDecodeError(f"random-policy window must be an integer in [1, 64] (got {self.window!r})")
        if not 0 < self.p_stop <= 1:
            raise SpecDecodeError(f"random-policy p_stop must be in (0, 1] (got {self.p_stop})")


@CONTROLLERS.register("random-policy")
class RandomPolicyController(WindowPolicy):
    Params = RandomPolicyParams

    def __init__(self, params, k):
        super().__init__(params, k, params.window, GRID)
        self.rng = random.Random(params.seed)
        self.log: list[CycleLog] = []

    def choose(self, h, pos, forced):
        if not forced and self.rng.random() >= self.params.p_stop:
            return CONTINUE
        return 1 + self.rng.randrange(len(self.grid))

    def observe(self, record):
        kl_in = self.kl_prev
        super().observe(record)
        decisions = list(self.decisions)
        if decisions and not decisions[-1].hooked:
            # forced at verify time (the budget cut the window): it happened when drafting
            # ended, after the tokens actually drafted, not after the target call
            draft = next((iv for iv in record.intervals if iv.what == "draft"), None)
            decisions[-1] = replace(decisions[-1], pos=max(1, min(record.drafted, self.window)),
                                    t=draft.end if draft else decisions[-1].t)
        first = decisions[0].t - self.t_open if decisions and decisions[0].hooked else record.draft_s
        self.log.append(CycleLog(tuple(decisions), kl_in, self.kl_prev, 1000 * first,
                                 1000 * (record.cycle_s - record.draft_s), record.accepted,
                                 tuple(record.outcomes), record.mismatches, record.drafted))
