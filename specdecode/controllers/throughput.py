"""Shared machinery of the throughput schedulers `ewma` and `breakeven` (one per file):
a table of EWMA estimates per candidate draft length, the warm-up, probing and
switching schedule. Subclasses say which candidate challenges the current one
(`_challenge`) and whether a cycle forces a step down (`_step_down`).

Schedule, per observed cycle (a cycle counts for the candidate the controller chose; one
the loop clamped near the end of the budget, record.k != chosen, is ignored):
1. warm-up: every candidate `warmup_rounds` times, round-robin in the given order; then
   the best score becomes current, followed by a cool-down;
2. every `probe_every` cycles outside a cool-down, one cycle at a neighbouring size
   (one candidate below or above the current one, alternating);
3. after each cycle outside a cool-down: a candidate that beats the current one (by the
   subclass's rule) for `streak` consecutive decisions becomes current, then `cooldown`
   cycles pass with no probe and no switch;
4. `_step_down` (checked in every cycle at the current size) moves one size down at once,
   with no cool-down: a reflex that the scores may undo after `streak` decisions.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..errors import SpecDecodeError
from ..inputs import is_int
from .base import Controller

DEFAULT_CANDIDATES = (0, 1, 2, 4, 6, 8)  # 0 = a target-only step: never much slower than it


@dataclass
class Estimate:
    """EWMA of one candidate's tokens committed per cycle (tau, bonus / recovered token
    included) and seconds per cycle; None until its first cycle. The newest cycle weighs
    max(alpha, 1 / n) for the n-th cycle: the plain mean until n = 1 / alpha, so a size
    seen only in a few probes is not judged by its first (noisy: tau is geometric) cycle."""

    tau: float | None = None
    cycle_s: float | None = None
    n: int = 0

    def update(self, tau: float, cycle_s: float, alpha: float) -> None:
        self.n += 1
        w = max(alpha, 1.0 / self.n)  # 1 on the first cycle
        self.tau = tau if self.tau is None else (1 - w) * self.tau + w * tau
        self.cycle_s = cycle_s if self.cycle_s is None else (1 - w) * self.cycle_s + w * cycle_s

    @property
    def score(self) -> float | None:
        """Tokens per second; None before the first cycle."""
        if self.tau is None or not self.cycle_s or self.cycle_s <= 0:
            return None
        return self.tau / self.cycle_s


def check_common(p, name: str) -> None:
    """One-line errors for the knobs both schedulers share; candidates -> a sorted tuple."""
    cands = p.candidates
    if (not isinstance(cands, (list, tuple)) or not cands
            or not all(is_int(c) and not isinstance(c, bool) and c >= 0 for c in cands)):
        raise SpecDecodeError(f"{name} candidates must be a non-empty list of integers >= 0 "
                              f"(got {cands!r}); use e.g. [0, 1, 2, 4, 6, 8]")
    if len(set(cands)) != len(cands):
        raise SpecDecodeError(f"{name} candidates repeat a draft length (got {list(cands)}); list each once")
    object.__setattr__(p, "candidates", tuple(sorted(int(c) for c in cands)))
    if not 0 < p.alpha <= 1:
        raise SpecDecodeError(f"{name} alpha must be in (0, 1] (got {p.alpha}); use e.g. 0.1")
    for knob, low in (("probe_every", 1), ("streak", 1), ("cooldown", 0), ("warmup_rounds", 1)):
        if getattr(p, knob) < low:
            raise SpecDecodeError(f"{name} {knob} must be >= {low} (got {getattr(p, knob)})")


def candidates_field():
    return dataclasses.field(default_factory=lambda: DEFAULT_CANDIDATES)


class ThroughputScheduler(Controller):
    """Base of `ewma` and `breakeven`; the method's k is only the size it starts from
    before the warm-up has measured every candidate."""

    carried = ("table", "current", "warm", "since_probe", "cooldown_left", "probe_turn")

    def __init__(self, params, k):
        super().__init__(params, k)
        cands = params.candidates
        self.table = {b: Estimate() for b in cands}
        self.warm = [b for _ in range(params.warmup_rounds) for b in cands]  # queue, head first
        self.current = min(cands, key=lambda b: (abs(b - k), b))
        self.since_probe = 0      # cycles since the last probe
        self.cooldown_left = 0
        self.probe_turn = 0       # rotates the probed candidate
        self.streak, self.challenger = 0, None  # consecutive wins of one challenger
        self.chosen: int | None = None  # the size asked for this cycle

    # -- protocol ----------------------------------------------------------------------
    def next_k(self) -> int:
        if self.warm:
            self.chosen = self.warm[0]
        elif (self.cooldown_left == 0 and self.since_probe >= self.params.probe_every
              and len(self.table) > 1):
            self.chosen = self._probe_candidate()
        else:
            self.chosen = self.current
        self.k = self.chosen
        return self.chosen

    def observe(self, record):
        b = self.chosen
        if b is None or record.k != b:
            return  # clamped by the budget (or a pending proposal): not this size's cost
        self.table[b].update(record.accepted + 1, record.cycle_s, self.params.alpha)
        self._observed(record)
        if self.warm:
            self.warm.pop(0)
            if not self.warm:
                self._switch(self._best())
            return
        self.since_probe = 0 if b != self.current else self.since_probe + 1
        if b == self.current and self._step_down(record):
            lower = [c for c in self.table if c < self.current]
            if lower:  # a reflex, not a decision: no cool-down, so the scores can undo it
                self._switch(lower[-1], cooldown=0)
                return
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            return
        self._decide()

    # -- switching ---------------------------------------------------------------------
    def _decide(self) -> None:
        found = self._challenge()
        if found is None:
            self.streak, self.challenger = 0, None
            return
        if found == self.challenger:
            self.streak += 1
        else:
            self.streak, self.challenger = 1, found
        if self.streak >= self.params.streak:
            self._switch(found)

    def _switch(self, b: int, cooldown: int | None = None) -> None:
        self.current = b
        self.cooldown_left = self.params.cooldown if cooldown is None else cooldown
        self.streak, self.challenger = 0, None
        self._switched()

    def _best(self) -> int:
        scored = [(e.score, b) for b, e in self.table.items() if e.score is not None]
        return max(scored)[1] if scored else self.current

    def others(self) -> list[int]:
        return [b for b in self.table if b != self.current]

    def neighbours(self) -> list[int]:
        """The candidate sizes just below and just above the current one."""
        sizes = list(self.table)
        i = sizes.index(self.current)
        return [sizes[j] for j in (i - 1, i + 1) if 0 <= j < len(sizes)]

    def _probe_candidate(self) -> int:
        """Probes alternate between the neighbours: a far size (k = 8 while 1 is best)
        costs a whole slow cycle per probe, and a switch moves the neighbours along."""
        near = self.neighbours()
        self.probe_turn = (self.probe_turn + 1) % len(near)
        return near[self.probe_turn]

    # -- subclass hooks ----------------------------------------------------------------
    def _observed(self, record) -> None:
        """Any extra estimate the subclass keeps (called for every counted cycle)."""

    def _switched(self) -> None:
        """Reset per-size counters after a switch."""

    def _challenge(self) -> int | None:
        """The candidate that beats the current one in this decision, or None."""
        raise NotImplementedError

    def _step_down(self, record) -> bool:
        return False
