"""Training: the target on the TRAIN crops (Gaussian NLL), drafts distilled from it, and
the undistilled (truncated) draft. Called by store.py inside a locked build.

Shapes: a crop is (W + H) patches of P values, instance-normalised by its first W patches.
Inputs are patches 0..W+H-2, row t predicts patch t+1, and the loss covers the rows that
forecast: W-1..W+H-2 (H rows), the rows the loop reads.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from .data import Geometry, instance_stats, to_patches
from .model import PatchForecaster, gaussian_nll
from .recipes import TrainConfig

SIGMA_RANGE = (0.5, 2.0)   # distillation inputs are sampled at sigma ~ U(SIGMA_RANGE)
DISTILL_MAX = 2048         # crops in the distillation set (build time; see docs/timeseries.md)
ROLLOUT_SHARE = 0.5        # share of them continued by the target's own samples
DISTILL_LOSS = "jeffreys"  # stochastic drafts (see distill); part of the recipe hash


def crop_tensor(crops: np.ndarray, g: Geometry) -> torch.Tensor:
    """(N, window) z-scored crops -> (N, W + H, P) instance-normalised patches."""
    mean, std = instance_stats(crops[:, : g.context * g.patch])
    return torch.as_tensor(to_patches((crops - mean) / std, g.patch), dtype=torch.float32)


def _optimiser(model, cfg: TrainConfig):
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    def lr_at(step):   # linear warm-up, then cosine to 10%
        if step < cfg.warmup:
            return (step + 1) / cfg.warmup
        done = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * done))
    return opt, torch.optim.lr_scheduler.LambdaLR(opt, lr_at)


def _batches(n: int, cfg: TrainConfig, gen: torch.Generator):
    for _ in range(cfg.steps):
        yield torch.randint(0, n, (min(cfg.batch, n),), generator=gen)


def _fit(model, loss_of, n: int, cfg: TrainConfig, seed: int, progress) -> float:
    """Generic loop: loss_of(index batch) -> scalar. Returns the mean loss of the last 20 steps."""
    gen = torch.Generator().manual_seed(seed)
    opt, sched = _optimiser(model, cfg)
    model.train()
    tail = []
    for idx in _batches(n, cfg, gen):
        loss = loss_of(idx)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        tail = (tail + [loss.item()])[-20:]
        progress(1)
    model.eval()
    return float(np.mean(tail)) if tail else float("nan")


def train_target(model: PatchForecaster, crops: torch.Tensor, g: Geometry, cfg: TrainConfig,
                 seed: int, progress=lambda n: None) -> float:
    rows = slice(g.context - 1, None)
    def loss_of(idx):
        x = crops[idx]                                          # (B, W + H, P)
        mean, logvar = model(x[:, :-1])                         # (B, W + H - 1, P)
        return gaussian_nll(mean[:, rows], logvar[:, rows], x[:, g.context:])
    return _fit(model, loss_of, len(crops), cfg, seed, progress)


@torch.inference_mode()
def rollout(target: PatchForecaster, x: torch.Tensor, g: Geometry, gen: torch.Generator) -> torch.Tensor:
    """x (N, W + H - 1, P) with every horizon input replaced by the target's own samples,
    drawn autoregressively at a random sigma per sequence (what the loop feeds the models
    once a forecast is under way). H - 1 target passes."""
    x = x.clone()
    sigma = torch.empty(len(x), 1).uniform_(*SIGMA_RANGE, generator=gen)      # (N, 1)
    for t in range(g.context, x.shape[1]):
        mean, logvar = target(x[:, :t])                                       # (N, t, P)
        noise = torch.randn(mean[:, -1].shape, generator=gen)
        x[:, t] = mean[:, -1] + sigma * torch.exp(0.5 * logvar[:, -1]) * noise
    return x


@torch.inference_mode()
def distill_set(target: PatchForecaster, crops: torch.Tensor, g: Geometry, seed: int,
                chunk: int = 512) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(inputs (N, W + H - 1, P), target mean, target logvar (N, H, P)).
    ROLLOUT_SHARE of the inputs are the target's own sampled continuations (`rollout`),
    the rest the true crops; the teacher's Gaussians are computed on exactly those inputs."""
    gen = torch.Generator().manual_seed(seed)
    if len(crops) > DISTILL_MAX:   # a seeded subset: the set costs H target passes
        crops = crops[torch.randperm(len(crops), generator=gen)[:DISTILL_MAX]]
    x = crops[:, :-1].clone()                                  # (N, T, P)
    n_roll = int(len(x) * ROLLOUT_SHARE)
    for lo in range(0, n_roll, chunk):
        x[lo: min(lo + chunk, n_roll)] = rollout(target, x[lo: min(lo + chunk, n_roll)], g, gen)
    means, logvars = zip(*(target(x[lo: lo + chunk]) for lo in range(0, len(x), chunk)))
    return x, torch.cat(means)[:, g.context - 1:], torch.cat(logvars)[:, g.context - 1:]


def distill(draft: PatchForecaster, dset, g: Geometry, cfg: TrainConfig, seed: int,
            progress=lambda n: None) -> float:
    """Stochastic draft: the symmetric Gaussian KL between the target's predictive and q
    (the expected NLL of p's samples under q, plus the reverse term),
    per value: ((v_p + d^2) / v_q + (v_q + d^2) / v_p - 2) / 4, d = mu_p - mu_q.
    Deterministic draft: MSE to the target's mean; its constant std is set afterwards."""
    x, mu_p, lv_p = dset
    rows = slice(g.context - 1, None)
    stochastic = draft.cfg.variance == "learned"
    def loss_of(idx):
        mean, logvar = draft(x[idx])
        mean, logvar = mean[:, rows], logvar[:, rows]           # (B, H, P)
        if not stochastic:
            return ((mean - mu_p[idx]) ** 2).mean()
        # Jeffreys: (KL(p||q) + KL(q||p)) / 2. KL(p||q) alone (the expected NLL) inflates
        # v_q by the squared mean error, and acceptance (1 - TV) pays for that inflation.
        v_p, d2 = torch.exp(lv_p[idx]), (mu_p[idx] - mean) ** 2
        v_q = torch.exp(logvar)
        return 0.25 * ((v_p + d2) / v_q + (v_q + d2) / v_p - 2).mean()
    loss = _fit(draft, loss_of, len(x), cfg, seed, progress)
    if not stochastic:   # the proposal variance: the target's mean variance
        draft.const_logvar.fill_(float(torch.log(torch.exp(lv_p).mean())))
    return loss


def truncate(target: PatchForecaster, draft: PatchForecaster) -> None:
    """The undistilled draft: copy the target's embeddings, first n blocks, final norm and
    heads into `draft` (same width, fewer layers); nothing is trained."""
    own = draft.state_dict()
    own.update({k: v.clone() for k, v in target.state_dict().items() if k in own})
    draft.load_state_dict(own)
    draft.eval()
