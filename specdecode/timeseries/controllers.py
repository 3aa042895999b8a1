"""Controllers of the forecasting loop: the draft length K and sigma, per cycle, by name
(TS_CONTROLLERS). The same seam as specdecode/controllers (next_k / observe), widened by
`sigma()`: a fresh controller per forecast, observing every finished cycle.

  fixed     K and sigma as configured.
  adaptive  tracks acceptance with an EWMA and the measured draft/target cost ratio c;
            picks K in [1, k_max] maximising the predicted speedup
            E[tau] / (K c + 1), E[tau] = (1 - a^(K+1)) / (1 - a);
            moves sigma multiplicatively toward the acceptance goal `target_accept`
            within [sigma_min, sigma_max]. Moving sigma changes the target's predictive
            distribution mid-forecast, so a run with sigma_min < sigma_max is lossy (its
            records say exact: false); with sigma_min == sigma_max only K adapts.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import SpecDecodeError
from ..params import NoParams
from ..registry import Registry
from ..types import CycleRecord

TS_CONTROLLERS: Registry[type["TSController"]] = Registry("time-series controller")


class TSController:
    Params = NoParams
    moves_sigma = False

    def __init__(self, params, k: int, sigma: float):
        self.params, self.k, self._sigma = params, k, sigma

    def next_k(self) -> int:
        return self.k

    def sigma(self) -> float:
        return self._sigma

    def observe(self, record: CycleRecord) -> None:
        pass


@TS_CONTROLLERS.register("fixed")
class Fixed(TSController):
    pass


@dataclass(frozen=True)
class AdaptiveParams:
    k_max: int = 4
    ewma: float = 0.3            # weight of the newest cycle
    prior_accept: float = 0.5    # acceptance assumed before the first cycle
    prior_cost: float = 0.15     # draft step / target call before the first measurement
    target_accept: float = 0.6
    sigma_step: float = 1.15     # multiplicative sigma move per cycle
    sigma_min: float = 0.5
    sigma_max: float = 2.0

    def __post_init__(self):
        if self.k_max < 1:
            raise SpecDecodeError(f"k_max must be >= 1 (got {self.k_max})")
        if not 0 < self.sigma_min <= self.sigma_max:
            raise SpecDecodeError("need 0 < sigma_min <= sigma_max; fix the adaptive controller's params")


def predicted_speedup(alpha: float, k: int, c: float) -> float:
    alpha = min(alpha, 0.999)
    return (1 - alpha ** (k + 1)) / (1 - alpha) / (k * c + 1)


@TS_CONTROLLERS.register("adaptive")
class Adaptive(TSController):
    Params = AdaptiveParams

    def __init__(self, params: AdaptiveParams, k: int, sigma: float):
        super().__init__(params, k, min(max(sigma, params.sigma_min), params.sigma_max))
        self.moves_sigma = params.sigma_min < params.sigma_max
        self.alpha, self.cost = params.prior_accept, params.prior_cost

    def next_k(self) -> int:
        ks = range(1, self.params.k_max + 1)
        return max(ks, key=lambda k: predicted_speedup(self.alpha, k, self.cost))

    def observe(self, record: CycleRecord) -> None:
        if not record.outcomes:
            return
        w = self.params.ewma
        rate = sum(record.outcomes) / len(record.outcomes)
        self.alpha = (1 - w) * self.alpha + w * rate
        if record.target_s > 0 and record.draft_calls:
            step = record.draft_s / record.draft_calls / record.target_s
            self.cost = (1 - w) * self.cost + w * step
        if self.moves_sigma:
            up = self.alpha < self.params.target_accept
            s = self._sigma * (self.params.sigma_step if up else 1 / self.params.sigma_step)
            self._sigma = min(max(s, self.params.sigma_min), self.params.sigma_max)
