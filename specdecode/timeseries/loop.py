"""The speculative forecasting loop: the continuous-value sibling of specdecode/loop.py.

One forecast of H patches from a context of W patches (instance-normalised, (W, P)):

  prefill  one target call on the context; the first patch is drawn from its last row
           (as the first new token comes from the prompt's prefill).
  cycle    propose: the draft drafts k patches autoregressively, x_i ~ q_i;
           score:   ONE causal target call over [committed, x_1..x_k] gives the k+1
                    Gaussians p_1..p_{k+1} (model.py: row t sees only patches <= t);
           accept:  rule.decide(p_i, q_i, x_i) for i = 1..k until the first rejection;
           commit:  the accepted x's, then the recovered patch (rule.recover) at a
                    rejection or a bonus patch from p_{k+1} when all were accepted.
  k = 0 is a target-only step (the baseline). A draft-only forecast never calls the
  target: every patch comes from the draft (`draft_only`).

Every cycle is a types.CycleRecord (`tokens` holds the indices of the committed patches),
so records.counters / generation_to_json and the shared analysis read forecasts as they
read generations. Sampling uses one numpy Generator per forecast (seeded by the caller).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from ..types import CycleRecord, Interval, PrefillRecord
from .controllers import TSController
from .gaussian import Gaussian
from .model import PatchForecaster
from .rules import Rule


@dataclass
class Forecast:
    """What a forecast produced, in instance-normalised units."""

    patches: list[np.ndarray] = field(default_factory=list)      # H x (P,)
    dists: list[Gaussian] = field(default_factory=list)          # the distribution each was drawn from
    cycles: list[CycleRecord] = field(default_factory=list)
    prefill: PrefillRecord | None = None

    @property
    def output_ids(self) -> list[int]:   # records.generation_to_json counts these
        return list(range(len(self.patches)))

    def commit(self, patch: np.ndarray, dist: Gaussian) -> int:
        self.patches.append(patch)
        self.dists.append(dist)
        return len(self.patches) - 1


class Seq:
    """The patches a model conditions on, in a preallocated buffer (1, capacity, P) with a
    length pointer (gpt-fast's cache idea): drafts are written past the pointer, a commit
    writes the kept patches there and moves the pointer; nothing is copied per step."""

    def __init__(self, context: np.ndarray, horizon: int):
        w, p = context.shape
        self.buf = torch.zeros(1, w + horizon, p)
        self.buf[0, :w] = torch.as_tensor(context, dtype=torch.float32)
        self.n = w

    @property
    def x(self) -> torch.Tensor:
        return self.buf[:, : self.n]                               # (1, n, P)

    def extended(self, patches: list[np.ndarray]) -> torch.Tensor:
        """(1, n + len(patches), P) with `patches` after the committed ones."""
        if patches:
            self.buf[0, self.n: self.n + len(patches)] = torch.as_tensor(np.stack(patches))
        return self.buf[:, : self.n + len(patches)]

    def append(self, patches: list[np.ndarray]) -> None:
        self.extended(patches)
        self.n += len(patches)


def last_rows(model: PatchForecaster, x: torch.Tensor, n: int, sigma: float) -> list[Gaussian]:
    """The Gaussians of the last n rows of one causal call over x (1, T, P)."""
    if model.span is not None:   # rows see a fixed window: pass only what the last n rows read
        x = x[:, -(model.span + n - 1):]
    with torch.inference_mode():
        mean, logvar = model(x)                                   # (1, T, P) each
    mean, logvar = mean[0, -n:].double().numpy(), logvar[0, -n:].double().numpy()
    return [Gaussian.of(m, lv, sigma) for m, lv in zip(mean, logvar)]


def propose(draft: PatchForecaster, seq: Seq, k: int, sigma: float, rng) -> tuple[list, list]:
    """k drafted patches x_i ~ q_i, each conditioned on the ones before (k draft calls)."""
    xs, qs = [], []
    for _ in range(k):
        q = last_rows(draft, seq.extended(xs), 1, sigma)[0]
        xs.append(q.sample(rng))
        qs.append(q)
    return xs, qs


def verify(rule: Rule, ps: list[Gaussian], qs: list[Gaussian], xs: list, rng) -> tuple:
    """-> (accepted count, outcomes, mismatches, final patch, its distribution, kind);
    a recovery that could not be exact counts as a mismatch."""
    outcomes, mismatches = [], 0
    for p, q, x in zip(ps, qs, xs):
        verdict = rule.decide(p, q, x, rng)
        outcomes.append(verdict.accepted)
        mismatches += verdict.mismatch
        if not verdict.accepted:
            patch, exact = rule.recover(p, q, rng)
            return len(outcomes) - 1, outcomes, mismatches + (not exact), patch, p, "recovered"
    bonus = ps[len(xs)]
    return len(xs), outcomes, mismatches, bonus.sample(rng), bonus, "bonus"


def prefill(model: PatchForecaster, seq: Seq, out: Forecast, sigma: float, rng, what: str = "target") -> None:
    """The first patch, sampled from `model` (the target; the draft for draft-only), timed
    as the prefill stage."""
    start = time.perf_counter()
    p = last_rows(model, seq.x, 1, sigma)[0]
    mid = time.perf_counter()
    patch = p.sample(rng)
    seq.append([patch])
    out.commit(patch, p)
    out.prefill = PrefillRecord(0, [0], start, time.perf_counter(), (Interval(what, start, mid),))


def cycle(target, draft, rule, controller: TSController, seq: Seq, out: Forecast, horizon: int,
          rng) -> CycleRecord:
    start, index = time.perf_counter(), len(out.patches)
    k = min(controller.next_k() if rule.drafts else 0, horizon - index - 1)
    sigma = controller.sigma()
    xs, qs = propose(draft, seq, k, sigma, rng)
    t0 = time.perf_counter()
    ps = last_rows(target, seq.extended(xs), k + 1, sigma)      # ONE call scores all k
    t1 = time.perf_counter()
    n_acc, outcomes, mismatches, final, dist, kind = verify(rule, ps, qs, xs, rng)
    committed = xs[:n_acc] + [final]
    seq.append(committed)
    tokens = [out.commit(x, p) for x, p in zip(committed, ps[: n_acc] + [dist])]
    intervals = (Interval("draft", start, t0), Interval("target", t0, t1)) if k else \
        (Interval("target", t0, t1),)
    record = CycleRecord(k=k, drafted=k, accepted=n_acc, outcomes=tuple(outcomes), kind=kind,
                         tokens=tokens, start=start, end=time.perf_counter(), intervals=intervals,
                         draft_calls=k, token_index=index, depth=k, path=tuple(range(n_acc)),
                         mismatches=mismatches)
    controller.observe(record)
    return record


def speculative_forecast(target, draft, rule: Rule, controller: TSController,
                         context: np.ndarray, horizon: int, rng: np.random.Generator) -> Forecast:
    """H patches after context (W, P); target-only when rule.drafts is False."""
    seq, out = Seq(context, horizon), Forecast()
    prefill(target, seq, out, controller.sigma(), rng)
    while len(out.patches) < horizon:
        out.cycles.append(cycle(target, draft, rule, controller, seq, out, horizon, rng))
    return out


def draft_only(draft: PatchForecaster, controller: TSController, context: np.ndarray,
               horizon: int, rng: np.random.Generator) -> Forecast:
    """The draft alone: H draft calls; each patch is a 'cycle' of one unverified patch."""
    seq, out = Seq(context, horizon), Forecast()
    sigma = controller.sigma()
    prefill(draft, seq, out, sigma, rng, what="draft")
    while len(out.patches) < horizon:
        start = time.perf_counter()
        (x,), (q,) = propose(draft, seq, 1, sigma, rng)
        t0 = time.perf_counter()
        seq.append([x])
        index = out.commit(x, q)
        out.cycles.append(CycleRecord(k=1, drafted=1, accepted=1, outcomes=(), kind="none",
                                      tokens=[index], start=start, end=time.perf_counter(),
                                      intervals=(Interval("draft", start, t0),), draft_calls=1,
                                      token_index=index, depth=1, path=(0,)))
    return out
