"""The patch forecaster: a decoder-only transformer over patches (Timer-XL style).

A series window of T patches of P values, x (B, T, P), is embedded patch by patch, run
through causal self-attention blocks, and every position t predicts patch t+1 as a
Gaussian with a diagonal covariance: mean (B, T, P) and log-variance (B, T, P).

One causal call over [context, committed patches, drafted patches] therefore scores every
drafted patch at once: the output at position t depends only on patches 0..t, so it is
exactly the prediction a separate call on that prefix would give (up to float rounding).
That is the "one batched target call" of the speculative loop: K contexts, one forward,
costing about one single call (the sequence grows by K patches, not by K times).

Heads:
  mean      always.
  logvar    `variance="learned"`: trained with Gaussian NLL (target and stochastic
            drafts); `variance="fixed"`: a constant log-variance buffer (the deterministic
            draft: mean only, its proposal std is a constant measured on the target).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from ..errors import SpecDecodeError

LOGVAR_MIN, LOGVAR_MAX = -9.0, 4.0   # clamp: std in [0.011, 7.4] in instance-normalised units


@dataclass(frozen=True)
class ModelConfig:
    """Shape of one forecaster. max_patches bounds the sequence (learned positions)."""

    patch: int = 4           # P: values per patch
    d_model: int = 256
    n_layers: int = 6
    n_heads: int = 8
    ff_mult: int = 4
    max_patches: int = 40    # >= context + horizon patches
    variance: str = "learned"   # "learned" | "fixed"
    arch: str = "transformer"   # "transformer" | "mlp" (drafts: see PatchMLP)
    window: int = 16            # mlp: patches each row sees (the last `window`)

    def __post_init__(self):
        if self.arch not in ("transformer", "mlp"):
            raise SpecDecodeError(f"arch must be 'transformer' or 'mlp' (got {self.arch!r})")
        if self.variance not in ("learned", "fixed"):
            raise SpecDecodeError(f"variance must be 'learned' or 'fixed' (got {self.variance!r})")
        if self.d_model % self.n_heads:
            raise SpecDecodeError(f"d_model {self.d_model} must be a multiple of n_heads {self.n_heads}")


class Block(nn.Module):
    """Pre-norm causal self-attention + MLP."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.attn = nn.MultiheadAttention(cfg.d_model, cfg.n_heads, batch_first=True)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.mlp = nn.Sequential(nn.Linear(cfg.d_model, cfg.ff_mult * cfg.d_model), nn.GELU(),
                                 nn.Linear(cfg.ff_mult * cfg.d_model, cfg.d_model))

    def forward(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        a = self.ln1(h)                                    # (B, T, D)
        h = h + self.attn(a, a, a, attn_mask=mask, need_weights=False)[0]
        return h + self.mlp(self.ln2(h))


class PatchForecaster(nn.Module):
    span = None   # every row sees the whole sequence

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Linear(cfg.patch, cfg.d_model)
        self.pos = nn.Parameter(torch.zeros(cfg.max_patches, cfg.d_model))
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.mean_head = nn.Linear(cfg.d_model, cfg.patch)
        if cfg.variance == "learned":
            self.logvar_head = nn.Linear(cfg.d_model, cfg.patch)
        else:   # a constant proposal variance, set after training (train.py)
            self.register_buffer("const_logvar", torch.zeros(()))
        nn.init.normal_(self.pos, std=0.02)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, T, P) -> mean (B, T, P), logvar (B, T, P); row t predicts patch t+1."""
        t = x.shape[1]
        if t > self.cfg.max_patches:
            raise SpecDecodeError(f"sequence of {t} patches exceeds the model's max_patches "
                                  f"{self.cfg.max_patches}; shorten the context or horizon")
        mask = _causal_mask(t, x.device)                   # (T, T), True = blocked
        h = self.embed(x) + self.pos[:t]                   # (B, T, D)
        for block in self.blocks:
            h = block(h, mask)
        h = self.ln_f(h)
        mean = self.mean_head(h)
        if self.cfg.variance == "learned":
            logvar = self.logvar_head(h).clamp(LOGVAR_MIN, LOGVAR_MAX)
        else:
            logvar = self.const_logvar.expand_as(mean)
        return mean, logvar


class PatchMLP(nn.Module):
    """A draft forecaster: row t maps the last `window` patches (t-window+1..t, flattened)
    through a 2-hidden-layer MLP of width d_model to the Gaussian of patch t+1.

    Why not a small transformer: on this CPU a 1-layer transformer call costs ~1 ms of
    per-op overhead, a quarter of the target call, which eats the speedup; this MLP costs
    about a tenth of that for the same job (a fixed-window autoregression, DLinear-like).
    Rows t < window-1 see zero padding on the left; the loop never reads them."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.span = cfg.window   # row t sees patches t-span+1..t: the loop passes only those
        width = cfg.window * cfg.patch
        self.body = nn.Sequential(nn.Linear(width, cfg.d_model), nn.GELU(),
                                  nn.Linear(cfg.d_model, cfg.d_model), nn.GELU())
        self.mean_head = nn.Linear(cfg.d_model, cfg.patch)
        self.linear = nn.Linear(width, cfg.patch)   # a linear autoregression beside the MLP
        if cfg.variance == "learned":
            self.logvar_head = nn.Linear(cfg.d_model, cfg.patch)
        else:
            self.register_buffer("const_logvar", torch.zeros(()))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, T, P) -> mean (B, T, P), logvar (B, T, P); row t predicts patch t+1."""
        b, t, p = x.shape
        w = self.cfg.window
        padded = torch.cat([x.new_zeros(b, w - 1, p), x], dim=1)          # (B, T + w - 1, P)
        rows = padded.unfold(1, w, 1).transpose(2, 3).reshape(b, t, w * p)  # (B, T, w * P)
        h = self.body(rows)                                                # (B, T, D)
        mean = self.mean_head(h) + self.linear(rows)
        if self.cfg.variance == "learned":
            return mean, self.logvar_head(h).clamp(LOGVAR_MIN, LOGVAR_MAX)
        return mean, self.const_logvar.expand_as(mean)


def build_model(cfg: ModelConfig) -> nn.Module:
    return PatchMLP(cfg) if cfg.arch == "mlp" else PatchForecaster(cfg)


_MASKS: dict[tuple[int, str], torch.Tensor] = {}


def _causal_mask(t: int, device: torch.device) -> torch.Tensor:
    key = (t, str(device))
    if key not in _MASKS:   # built once per length: the loop calls the model thousands of times
        _MASKS[key] = torch.triu(torch.ones(t, t, dtype=torch.bool, device=device), diagonal=1)
    return _MASKS[key]


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def gaussian_nll(mean: torch.Tensor, logvar: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean Gaussian negative log-likelihood of y under N(mean, exp(logvar)), per value."""
    return 0.5 * (logvar + (y - mean) ** 2 * torch.exp(-logvar) + math.log(2 * math.pi)).mean()
