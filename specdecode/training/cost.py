"""The cost ratio c = (one draft step) / (one 1-token target call), measured through the
runtime objects the decode loop uses (models/), so c includes what decoding pays: the
subset head's scatter to full width, the copy to the CPU, feature bookkeeping."""
from __future__ import annotations

import time
from typing import Callable

import torch

Call = tuple[Callable[[], object], Callable[[], None]]  # (timed call, undo it after timing)


@torch.inference_mode()
def cost_ratio(target, draft, context: list[int], calls: int = 60, warmup: int = 5) -> dict:
    """Median seconds of one 1-token target call and one draft step after `context`
    (both KV caches hold it), calls interleaved so both see the same machine load.
    target: a models CausalLM; draft: a CausalLM (kind "lm") or a FeatureDraft (kind
    "feature"). Returns target_s, draft_s and c = draft_s / target_s."""
    n = len(context)
    target.reset(keep_features=draft.kind == "feature")
    target.logits_for(context, 1)
    timed = {"target": (lambda: target.forward([context[-1]], n_logits=1), lambda: target.rollback_to(n)),
             "draft": _draft_call(draft, target, context)}
    med = median_seconds(timed, calls, warmup)
    return {"target_s": med["target"], "draft_s": med["draft"], "c": med["draft"] / med["target"]}


def _draft_call(draft, target, context: list[int]) -> Call:
    """Prefill the draft on `context`; return its one-step call and the undo."""
    n = len(context)
    if draft.kind == "feature":  # rows read (x_{i+1}, f_i): n - 1 rows hold the context
        draft.bind(target)
        draft.reset()
        draft.step(context[1:], target.features(0, n - 1))
        feat = target.features(n - 2, n - 1)  # (1, d)
        return (lambda: draft.step([context[-1]], feat)), (lambda: draft.rollback_to(n - 1))
    draft.reset()
    draft.logits_for(context, 1)
    return (lambda: draft.forward([context[-1]], n_logits=1)), (lambda: draft.rollback_to(n))


def median_seconds(timed: dict[str, Call], calls: int, warmup: int) -> dict[str, float]:
    """{name: median wall seconds of its call} over `calls` rounds after `warmup` untimed
    ones; each round runs every call once, in order, undoing it after timing."""
    times: dict[str, list[float]] = {name: [] for name in timed}
    for i in range(calls + warmup):
        for name, (call, undo) in timed.items():
            t = time.perf_counter()
            call()
            dt = time.perf_counter() - t
            undo()
            if i >= warmup:
                times[name].append(dt)
    return {name: sorted(v)[len(v) // 2] for name, v in times.items()}
