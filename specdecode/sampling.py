"""Logits -> probabilities (temperature, top-k, top-p) and seeded sampling.

The same warp is applied to the target's p and the draft's q before any acceptance test,
so exactness holds for the warped target distribution. Temperature 0 gives a one-hot
distribution on the argmax: then every verifier reduces to greedy matching.
"""
from __future__ import annotations

import torch

from .config import SamplingConfig


def warp(logits: torch.Tensor, cfg: SamplingConfig) -> torch.Tensor:
    """logits (n, V) -> probs (n, V) in float32."""
    logits = logits.float()
    if cfg.greedy:
        return torch.nn.functional.one_hot(logits.argmax(-1), logits.shape[-1]).float()
    logits = logits / cfg.temperature
    if cfg.top_k and cfg.top_k < logits.shape[-1]:
        kth = torch.topk(logits, cfg.top_k, dim=-1).values[..., -1:]  # (n, 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    if cfg.top_p < 1.0:
        probs = _top_p(probs, cfg.top_p)
    return probs


def _top_p(probs: torch.Tensor, top_p: float) -> torch.Tensor:
    """Keep the smallest set of most likely tokens whose mass reaches top_p (the first
    token is always kept), renormalised."""
    sorted_p, order = probs.sort(dim=-1, descending=True)
    mass_before = sorted_p.cumsum(-1) - sorted_p  # mass of strictly more likely tokens
    keep_sorted = mass_before < top_p
    keep = torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)
    probs = probs * keep
    return probs / probs.sum(-1, keepdim=True)


def sample(probs: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """probs (n, V) -> token ids (n,), drawn with the given generator (seeded runs repeat)."""
    return torch.multinomial(probs, 1, generator=gen).squeeze(-1)


def residual(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """norm(max(0, p - q)) for rows p, q (V,); falls back to p when that mass is ~0
    (p == q up to rounding), which keeps the emitted distribution exact."""
    r = (p - q).clamp_min(0)
    mass = r.sum()
    if mass <= 1e-12:
        return p
    return r / mass
