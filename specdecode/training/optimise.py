"""The one optimiser loop every zoo model trains with, its two learning-rate schedules,
and the thread count builds run under."""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Callable, Iterable

import torch
from tqdm.auto import tqdm


@dataclass(frozen=True)
class AdamW:
    """AdamW settings besides the learning rate (the schedule gives it at every step)."""

    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.0
    clip_norm: float = 1.0  # global gradient norm, clipped before every step


# Short from-scratch runs with a high peak lr (zoo:tiny, zoo:tiny-draft): beta2 0.95.
STREAM_ADAMW_BETAS = (0.9, 0.95)


def warmup_cosine_floor(peak: float, warmup: int, steps: int) -> Callable[[int], float]:
    """lr(step): linear warm-up over `warmup` steps, then cosine decay to 10% of the peak."""

    def lr_at(step: int) -> float:
        if step < warmup:
            return peak * (step + 1) / warmup
        frac = (step - warmup) / max(1, steps - warmup)
        return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))

    return lr_at


def warmup_times_cosine(peak: float, warmup: int, steps: int) -> Callable[[int], float]:
    """lr(step) = peak * min(1, (step + 1) / warmup) * a cosine from 1 to 0 over `steps`
    (the distilled drafts). Written as peak * factor, the product torch's LambdaLR forms,
    so weights trained before this loop existed are reproduced bit for bit."""

    def lr_at(step: int) -> float:
        ramp = min(1.0, (step + 1) / warmup)
        return peak * (ramp * 0.5 * (1 + math.cos(math.pi * min(step, steps) / steps)))

    return lr_at


def optimise(params: list, batches: Iterable, step_loss: Callable[[object], torch.Tensor], steps: int,
             lr_at: Callable[[int], float], adamw: AdamW, desc: str) -> float:
    """`steps` AdamW steps, one per item of `batches` (a list, or an endless iterator):
    step_loss(batch) -> scalar loss; lr from lr_at(step); gradients clipped to
    adamw.clip_norm; a progress bar. The caller sets train()/eval() mode.
    Returns the last loss."""
    opt = torch.optim.AdamW(params, lr=lr_at(0), betas=adamw.betas, weight_decay=adamw.weight_decay)
    loss_val = float("nan")
    with tqdm(total=steps, desc=desc, unit="step", leave=False) as bar:
        for step, batch in zip(range(steps), batches):  # range first: an endless iterator is not over-read
            for group in opt.param_groups:
                group["lr"] = lr_at(step)
            loss = step_loss(batch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, adamw.clip_norm)
            opt.step()
            loss_val = loss.item()
            bar.set_postfix(loss=f"{loss_val:.3f}")
            bar.update(1)
    return loss_val


def train_on_stream(model: torch.nn.Module, windows: Iterable[torch.Tensor], loss_fn, recipe,
                    desc: str) -> float:
    """The tiny models' training: recipe.steps steps over `windows` (batching.random_windows),
    loss_fn(model, window), warm-up + cosine to 10% (recipe.lr, recipe.warmup), AdamW
    STREAM_ADAMW_BETAS with recipe.weight_decay. Returns the last loss."""
    params = list(model.parameters())
    model.train()
    loss = optimise(params, windows, lambda window: loss_fn(model, window), recipe.steps,
                    warmup_cosine_floor(recipe.lr, recipe.warmup, recipe.steps),
                    AdamW(STREAM_ADAMW_BETAS, recipe.weight_decay), desc)
    model.eval()
    return loss


@contextlib.contextmanager
def build_threads(threads: int = 1):
    """Run on `threads` torch threads, then restore. Tiny matmuls gain little from a second
    thread (21 vs 32 ms/step idle), lose 5-10x when the CPU is shared (OpenMP spin-waits),
    and a fixed count makes the weights independent of the machine's thread count."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def build_precision(recipe, native: bool | None = None):
    """The recipe a build runs with. Draft recipes ask for a bf16 teacher (teacher_dtype)
    and bf16 autocast while training (bf16): both ~2.5x faster than fp32 on a CPU with
    native bf16 matmul (AMX / avx512_bf16). A CPU known to lack it emulates bf16 and is
    slower in it (bench/teacher_throughput.py --dtypes bf16 fp32; docs/dtype.md, Builds:
    6.7x at the teacher's prefill, 28x per training step on an AVX2-only EPYC), so there
    both run in fp32, with a one-line notice.
    native: dtypes.native_bf16() unless given (None = unknown: the recipe as written).
    The zoo cache keys the recipe as written (one entry on every machine); the model's
    meta records the recipe that ran."""
    import dataclasses
    import sys

    from ..dtypes import native_bf16

    native = native_bf16() if native is None else native
    wants_bf16 = recipe.teacher_dtype == "bfloat16" or recipe.bf16
    if native is not False or not wants_bf16:
        return recipe
    print("build: this CPU has no native bf16 matmul (no amx_bf16 / avx512_bf16 flag), where "
          "bf16 is slower than fp32: the teacher and training run in fp32", file=sys.stderr)
    return dataclasses.replace(recipe, teacher_dtype="float32", bf16=False)
