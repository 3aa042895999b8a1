"""`auto`: speculate only while it pays. It keeps an exponentially weighted tokens/s for
target-only steps (k = 0) and for speculative cycles (k from the heuristic schedule).
It starts with a few target-only steps to measure the baseline, then speculates; when
speculation is measured slower than target-only, it falls back to target-only and
probes again after `probe_every` cycles (doubling on each failed probe, up to
`probe_max`). The result: never much slower than target-only, without tuning.

A cycle that drafted nothing and called no model (a lookup proposer, n-gram or suffix,
that found no match) is a target-only step whatever k was asked: it counts as one, so
a decision about speculating rests on cycles that speculated. Before, such cycles filled
`min_spec` with plain-speed samples, and a fallback could be decided on no draft at all.
(Measured on the default pair on an AVX2 CPU, README: the all-suite speedup of
`ngram-auto` did not move beyond noise, because there its drafting cycles themselves
often lost to plain steps.)

carry (default True): a decoder that runs several prompts of the method (the bench
worker) starts each generation from the previous one's rates, mode and k (base.py,
Controller.carry), so only the first prompt pays the target-only warm-up and the
speculative measurements are not thrown away at every prompt."""
from dataclasses import dataclass

from ..errors import SpecDecodeError
from .base import CONTROLLERS, Controller
from .heuristic import hf_schedule


@dataclass(frozen=True)
class AutoParams:
    warmup: int = 2          # target-only cycles measured first
    min_spec: int = 4        # speculative cycles observed before any decision
    ewma: float = 0.3        # weight of the newest cycle in the rate estimates
    probe_every: int = 8     # target-only cycles before speculating again
    probe_max: int = 128
    # Bounds of the drafting k. HF's schedule ignores a draft's cost, so a cheap draft
    # may pay at a longer k than the one it settles at: k_min floors it.
    k_min: int = 1
    k_max: int = 16
    carry: bool = True       # resume the previous generation's estimates (see the docstring)

    def __post_init__(self):
        if not 0 < self.ewma <= 1 or self.warmup < 1 or self.min_spec < 1 or self.probe_every < 1:
            raise SpecDecodeError("auto controller needs 0 < ewma <= 1 and warmup, min_spec, probe_every >= 1")
        if not 1 <= self.k_min <= self.k_max:
            raise SpecDecodeError(f"auto controller needs 1 <= k_min <= k_max, got k_min={self.k_min}, "
                                  f"k_max={self.k_max}: lower k_min or raise k_max")


@CONTROLLERS.register("auto")
class AutoController(Controller):
    Params = AutoParams
    carried = ("rate", "spec_k", "mode", "left", "seen_spec", "backoff")

    def __init__(self, params, k):
        super().__init__(params, k)
        self.spec_k = max(params.k_min, min(k, params.k_max))
        self.rate = {"plain": None, "spec": None}  # tokens / second, EWMA
        self.mode, self.left = "plain", params.warmup  # cycles left in this mode's stint
        self.seen_spec = 0
        self.backoff = params.probe_every

    def next_k(self):
        return 0 if self.mode == "plain" else self.spec_k

    def observe(self, record):
        kind = "plain" if record.k == 0 or not (record.drafted or record.draft_calls) else "spec"
        if record.cycle_s > 0:
            now = len(record.tokens) / record.cycle_s
            old = self.rate[kind]
            self.rate[kind] = now if old is None else (1 - self.params.ewma) * old + self.params.ewma * now
        if kind == "spec":
            self._adapt_k(record)
            self.seen_spec += 1
        self.left -= 1
        if self.mode == "plain" and self.left <= 0:
            self.mode, self.seen_spec, self.rate["spec"] = "spec", 0, None
        elif self.mode == "spec" and self.seen_spec >= self.params.min_spec:
            self._decide()

    def _adapt_k(self, record):
        if record.drafted:
            self.spec_k = hf_schedule(self.spec_k, record, self.params.k_min, self.params.k_max)

    def _decide(self):
        plain, spec = self.rate["plain"], self.rate["spec"]
        if plain is not None and spec is not None and spec < plain:
            self.mode, self.left = "plain", self.backoff
            self.backoff = min(2 * self.backoff, self.params.probe_max)
        else:
            self.backoff = self.params.probe_every
