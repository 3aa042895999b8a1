"""Acceptance rules for drafted patches, chosen by name (RULES).

Defined once (the vLLM rejection-sampler vocabulary, for patches):
  accepted   a drafted patch x ~ q kept as it is;
  recovered  at the first rejection, a patch drawn by the rule's `recover` (the exact rule:
             from the residual norm(max(0, p - q)));
  bonus      when every drafted patch is accepted, one more patch drawn from the target's
             last row (the loop does that, not the rule).

  gaussian        accept x with probability min(1, bias * p(x)/q(x)) (the ratio capped at
                  e^20 before scaling), OR when mean((mu_p - x)^2) <= mse_tol; recover from
                  the residual. bias = 1 and mse_tol = 0 is EXACT: each committed patch has
                  the target's predictive distribution (the proof is the one for tokens:
                  P(emit in dx) = min(p, q) dx + (1 - overlap) * max(0, p - q)/(1 - overlap) dx
                  = p dx). bias > 1 or mse_tol > 0 accept more: lossy.
  stride-resample the research log's rule: like gaussian, but the rejection emits a FRESH
                  sample of p instead of the residual. Lossy even at bias 1 (the output
                  density is min(p, q) + (1 - overlap) p); kept as the biased comparison
                  the exactness test must reject.
  target-only     no drafting (the baseline; method_config proposer "none").
  draft-only      the draft forecasts alone; the target is never called.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SpecDecodeError
from ..params import NoParams
from ..registry import Registry
from .gaussian import Gaussian, log_ratio, residual_sample

RULES: Registry[type["Rule"]] = Registry("acceptance rule")
LOG_RATIO_CAP = 20.0


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    mismatch: bool   # accepted although bias 1 / mse_tol 0 would have rejected


class Rule:
    Params = NoParams
    drafts = True     # the loop drafts patches (False: target-only)
    verifies = True   # the loop calls the target (False: draft-only)

    def __init__(self, params):
        self.params = params

    @property
    def exact(self) -> bool:
        return False

    def decide(self, p: Gaussian, q: Gaussian, x: np.ndarray, rng: np.random.Generator) -> Verdict:
        raise NotImplementedError

    def recover(self, p: Gaussian, q: Gaussian, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
        """(patch, exact) at the first rejection."""
        raise NotImplementedError


@dataclass(frozen=True)
class GaussianParams:
    bias: float = 1.0       # scales the ratio p/q: > 1 accepts more (lossy)
    mse_tol: float = 0.0    # accept when mean((mu_p - x)^2) <= mse_tol (lossy when > 0)

    def __post_init__(self):
        if not self.bias >= 1.0:
            raise SpecDecodeError(f"bias must be >= 1 (got {self.bias}); 1 is the exact rule")
        if not self.mse_tol >= 0.0:
            raise SpecDecodeError(f"mse_tol must be >= 0 (got {self.mse_tol}); 0 disables it")


@RULES.register("gaussian")
class GaussianRule(Rule):
    Params = GaussianParams

    @property
    def exact(self) -> bool:
        return self.params.bias == 1.0 and self.params.mse_tol == 0.0

    def decide(self, p, q, x, rng):
        log_r = min(float(log_ratio(p, q, x)), LOG_RATIO_CAP)
        u = rng.random()
        by_ratio = u <= min(1.0, np.exp(log_r))
        relaxed = u <= min(1.0, self.params.bias * np.exp(log_r))
        close = self.params.mse_tol > 0 and float(np.mean((p.mean - x) ** 2)) <= self.params.mse_tol
        accepted = relaxed or close
        return Verdict(accepted, accepted and not by_ratio)

    def recover(self, p, q, rng):
        return residual_sample(p, q, rng)


@RULES.register("stride-resample")
class StrideResampleRule(GaussianRule):
    def recover(self, p, q, rng):
        return p.sample(rng), False

    @property
    def exact(self) -> bool:
        return False


@RULES.register("target-only")
class TargetOnly(Rule):
    drafts = False

    @property
    def exact(self) -> bool:
        return True


@RULES.register("draft-only")
class DraftOnly(Rule):
    verifies = False
